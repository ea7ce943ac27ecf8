// PyCUDA's ElementwiseKernel, natively: y = a * x + y over n random floats from a parameter
// list and one line of code. The kernel is generated, compiled through jitcu's cache (a second
// run loads it from disk) and launched with 16-byte loads; the result is checked on the CPU.
// With no GPU it still generates, compiles and caches, and says plainly that it skipped the launch.
#include <jitcu/jitcu.hpp>
#include <jitcu/kernels/elementwise.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <fmt/format.h>

namespace jk = jitcu::kernels;

int main() try {
  constexpr std::size_t n = 1'000'003;  // odd on purpose: the vector loop leaves a tail
  constexpr float a = 2.5f;

  jitcu::Engine engine;
  // T is a placeholder: bind it to float here, to double for a double axpy.
  jk::Elementwise axpy(engine, {.params = "T a, const T* x, T* y",
                                .operation = "y[i] = a * x[i] + y[i]",
                                .name = "axpy",
                                .types = {jk::bind<float>("T")}});
  fmt::print("kernel '{}': {} in {}\n", axpy.kernel().name(),
             axpy.module().origin() == jitcu::Origin::compiled ? "compiled with NVRTC" : "loaded from the cache",
             axpy.module().cache_path().empty() ? "(memory only)" : axpy.module().cache_path().string());
  fmt::print("vector width: {} floats a thread per step; the generated source is source.cu in that folder\n",
             axpy.vector_width());

  if (!jitcu::cuda_available()) {
    fmt::print("launch: SKIPPED, no CUDA device here ({}); the kernel is generated, compiled and cached\n",
               jitcu::cuda_unavailable_reason());
    return 0;
  }

  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(n), y(n);
  std::generate(x.begin(), x.end(), [&] { return dist(rng); });
  std::generate(y.begin(), y.end(), [&] { return dist(rng); });

  auto x_gpu = jitcu::to_device(x);
  auto y_gpu = jitcu::to_device(y);
  axpy(n, a, x_gpu, y_gpu);  // checked: a float, two float buffers of at least n elements
  const auto result = y_gpu.to_host();

  float max_error = 0.0f;
  for (std::size_t i = 0; i < n; ++i) max_error = std::max(max_error, std::fabs(result[i] - (a * x[i] + y[i])));
  const bool ok = max_error <= 1e-6f;
  const auto shape = axpy.config_for(n);
  fmt::print("launch: {} blocks x {} threads on {}\n", shape.grid.x, shape.block.x, jitcu::devices().at(0).name);
  fmt::print("result: n = {}, max |y - (a*x + y)| = {} -> {}\n", n, max_error, ok ? "OK" : "WRONG");
  return ok ? 0 : 1;
} catch (const jitcu::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 2;
}
