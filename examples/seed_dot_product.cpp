// PyCUDA's SourceModule seed, natively: compile kernels/vector_ops.cu through jitcu's cache,
// launch dot_product (c[i] = a[i] * b[i]) on n = 10000 random floats, check against the CPU.
// With no GPU it still compiles and caches, and says plainly that it skipped the launch.
#include <jitcu/jitcu.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <fmt/format.h>

namespace {
double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}
const char* origin_text(jitcu::Origin origin) {
  switch (origin) {
    case jitcu::Origin::compiled: return "compiled with NVRTC";
    case jitcu::Origin::disk_cache: return "loaded from the disk cache";
    case jitcu::Origin::process_cache: return "already in this process";
  }
  return "";
}
}  // namespace

int main(int argc, char** argv) try {
  const std::string path = argc > 1 ? argv[1] : JITCU_KERNELS_DIR "/vector_ops.cu";
  constexpr int n = 10000;
  constexpr int block = 256;

  auto start = std::chrono::steady_clock::now();
  jitcu::Engine engine;
  jitcu::Module module = engine.compile(jitcu::Source::file(path));
  jitcu::Kernel dot_product = module.kernel("dot_product");
  fmt::print("compile: {} for {} in {:.2f} ms\n", origin_text(module.origin()), module.arch(), ms_since(start));
  fmt::print("cache entry: {}\n", module.cache_path().empty() ? "(memory only)" : module.cache_path().string());

  if (!jitcu::cuda_available()) {
    fmt::print("launch: SKIPPED, no CUDA device here ({}); the kernel is compiled and cached\n",
               jitcu::cuda_unavailable_reason());
    return 0;
  }

  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(n), b(n), c(n, std::nanf(""));  // c poisoned: every element must be written
  std::generate(a.begin(), a.end(), [&] { return dist(rng); });
  std::generate(b.begin(), b.end(), [&] { return dist(rng); });

  // mem_alloc + memcpy_htod, launch with block=(256,1,1), grid=(ceil(n/256),1), memcpy_dtoh
  start = std::chrono::steady_clock::now();
  auto a_gpu = jitcu::to_device(a);
  auto b_gpu = jitcu::to_device(b);
  jitcu::DeviceBuffer<float> c_gpu(n);
  dot_product.launch(jitcu::grid_for(n, block), block, a_gpu, b_gpu, c_gpu, n);
  c_gpu.copy_to(c);
  const double launch_ms = ms_since(start);

  float max_error = 0.0f;
  for (int i = 0; i < n; ++i) max_error = std::max(max_error, std::fabs(c[i] - a[i] * b[i]));
  const bool ok = max_error == 0.0f && std::none_of(c.begin(), c.end(), [](float v) { return std::isnan(v); });
  fmt::print("launch: {} blocks x {} threads on {}, copies and kernel {:.3f} ms\n", jitcu::grid_for(n, block).x,
             block, jitcu::devices().at(0).name, launch_ms);
  fmt::print("result: n = {}, max |c - a*b| = {} -> {}\n", n, max_error, ok ? "OK" : "WRONG");
  return ok ? 0 : 1;
} catch (const jitcu::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 2;
}
