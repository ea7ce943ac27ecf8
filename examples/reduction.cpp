// PyCUDA's ReductionKernel, natively: the sum of n random __half values into a float, and a
// count into an int64, each from a map expression, a reduce expression and a neutral element.
// One deterministic launch each; checked on the CPU. With no GPU it still generates, compiles
// and caches, and says plainly that it skipped the launch.
#include <jitcu/jitcu.hpp>
#include <jitcu/kernels/reduction.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <fmt/format.h>

namespace jk = jitcu::kernels;

int main() try {
  constexpr std::size_t n = 10'000'019;

  jitcu::Engine engine;
  jk::Reduction sum(engine, {.params = "const __half* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                             .reduce_type = "float", .name = "half_sum"});
  jk::Reduction positives(engine, {.params = "const __half* x", .map = "__half2float(x[i]) > 0.0f",
                                   .reduce = "a + b", .neutral = "0", .reduce_type = "long long",
                                   .name = "count_positive"});
  fmt::print("kernels: '{}' ({} halves a thread per step), '{}'\n", sum.kernel().name(), sum.vector_width(),
             positives.kernel().name());
  fmt::print("cache entry of '{}': {}\n", sum.kernel().name(),
             sum.module().cache_path().empty() ? "(memory only)" : sum.module().cache_path().string());

  if (!jitcu::cuda_available()) {
    fmt::print("launch: SKIPPED, no CUDA device here ({}); the kernels are generated, compiled and cached\n",
               jitcu::cuda_unavailable_reason());
    return 0;
  }

  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<jk::Half> x(n);
  for (auto& v : x) v = jk::to_half(dist(rng));
  double want_sum = 0, magnitude = 0;
  long long want_count = 0;
  for (auto v : x) {
    want_sum += jk::to_float(v);
    magnitude += std::fabs(jk::to_float(v));
    want_count += jk::to_float(v) > 0.0f;
  }

  auto x_gpu = jitcu::to_device(x);
  const float got_sum = sum.value<float>(n, x_gpu);  // waits; or sum(n, out_buffer, x_gpu) to stay async
  const long long got_count = positives.value<long long>(n, x_gpu);
  const bool ok = std::fabs(got_sum - want_sum) <= 1e-5 * magnitude && got_count == want_count;
  fmt::print("sum: {} (CPU, in double: {:.4f}); positive: {} (CPU: {}) -> {}\n", got_sum, want_sum, got_count,
             want_count, ok ? "OK" : "WRONG");
  return ok ? 0 : 1;
} catch (const jitcu::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 2;
}
