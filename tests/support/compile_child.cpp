// A separate process for the suites: compiles one source through jitcu (cache from
// JITCU_CACHE_DIR) and says what happened, one "name=value" line each:
//   origin=compiled|disk_cache|process_cache   nvrtc_loaded=yes|no   key=<64 hex>   kernels=a,b
// and, with --launch, runs dot_product on fresh random input and checks it against the CPU.
//
//   compile_child SOURCE [--expr E]... [--define NAME=VALUE]... [--extra OPTION]...
//                        [--launch] [--lock-and-die]
//
// --lock-and-die takes the cache's lock for the key and then kills itself (SIGKILL), to prove
// a dead compiler's lock does not block anyone.
// Exit status: 0 fine, 1 wrong launch result, 2 jitcu error or bad usage, 3 --launch without a GPU.
#define DOCTEST_CONFIG_DISABLE  // a plain program: no test registration
#include "engine_support.hpp"

#include <jitcu/cache/key.hpp>
#include <jitcu/cache/tiered_store.hpp>
#include <jitcu/jitcu.hpp>

#include <csignal>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

struct Request {
  std::string source;
  jitcu::CompileOptions options;
  bool launch = false;
  bool lock_and_die = false;
};

Request parse(int argc, char** argv) {
  Request request;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw jitcu::Error("missing value after " + arg);
      return argv[++i];
    };
    if (arg == "--expr") request.options.name_expressions.push_back(value());
    else if (arg == "--extra") request.options.extra.push_back(value());
    else if (arg == "--define") {
      const std::string text = value();
      const auto eq = text.find('=');
      request.options.defines.emplace_back(text.substr(0, eq), eq == std::string::npos ? "" : text.substr(eq + 1));
    } else if (arg == "--launch") request.launch = true;
    else if (arg == "--lock-and-die") request.lock_and_die = true;
    else if (request.source.empty()) request.source = arg;
    else throw jitcu::Error("unexpected argument " + arg);
  }
  if (request.source.empty()) throw jitcu::Error("usage: compile_child SOURCE [options]");
  return request;
}

[[noreturn]] void lock_and_die(jitcu::Engine& engine, const Request& request) {
  const auto key = engine.key_record(jitcu::Source::file(request.source), request.options).key();
  auto held = engine.store().lock(key);
  std::printf("locked=%s\n", key.hex().c_str());
  std::fflush(stdout);
  std::raise(SIGKILL);
  std::abort();  // not reached
}

// c = a * b on the GPU for a random odd n; 0 when every element is exact.
int launch_dot_product(const jitcu::Module& module) {
  if (!jitcu::cuda_available()) {
    std::printf("launch=no_device (%s)\n", jitcu::cuda_unavailable_reason().c_str());
    return 3;
  }
  const unsigned seed = jitcu::test::test_seed();
  std::mt19937 rng(seed);
  const std::size_t n = 1 + 2 * (rng() % 50'000);
  const auto a = jitcu::test::random_floats(rng, n);
  const auto b = jitcu::test::random_floats(rng, n);
  std::vector<float> c(n, std::numeric_limits<float>::quiet_NaN());
  auto a_gpu = jitcu::to_device(a);
  auto b_gpu = jitcu::to_device(b);
  jitcu::DeviceBuffer<float> c_gpu(n);
  c_gpu.fill_bytes(0xFF);
  module.kernel("dot_product").launch(jitcu::grid_for(n, 256), 256, a_gpu, b_gpu, c_gpu, static_cast<int>(n));
  c_gpu.copy_to(c);
  for (std::size_t i = 0; i < n; ++i) {
    if (c[i] != a[i] * b[i]) {
      std::printf("launch=wrong seed=%u n=%zu i=%zu got=%a want=%a\n", seed, n, i, static_cast<double>(c[i]),
                  static_cast<double>(a[i] * b[i]));
      return 1;
    }
  }
  std::printf("launch=ok seed=%u n=%zu\n", seed, n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  const Request request = parse(argc, argv);
  jitcu::Engine engine;  // JITCU_CACHE_DIR, as a user's process would
  if (request.lock_and_die) lock_and_die(engine, request);
  const jitcu::Module module = engine.compile(jitcu::Source::file(request.source), request.options);
  std::string kernels;
  for (const auto& name : module.kernel_names()) kernels += (kernels.empty() ? "" : ",") + name;
  std::printf("origin=%s\nnvrtc_loaded=%s\nkey=%s\nkernels=%s\n", jitcu::test::origin_name(module.origin()),
              jitcu::test::nvrtc_mapped() ? "yes" : "no", module.cache_key().c_str(), kernels.c_str());
  std::fflush(stdout);
  const int status = request.launch ? launch_dot_product(module) : 0;
  std::fflush(stdout);
  return status;
} catch (const std::exception& error) {
  std::printf("error=%s\n", error.what());
  std::fflush(stdout);
  return 2;
}
