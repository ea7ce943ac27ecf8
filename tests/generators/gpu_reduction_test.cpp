// Reductions on a device against the CPU: sums, counts, max, dot products, post-processing and
// output types apart from the input's, at every awkward size; bit-for-bit repeats; 2^31+ elements
// where the device has the memory.
#include "generator_test_util.hpp"

#include <doctest/doctest.h>
#include <jitcu/kernels/elementwise.hpp>
#include <jitcu/kernels/reduction.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace jk = jitcu::kernels;
using namespace jitcu;
using namespace jitcu::test;

TEST_CASE("reduction sums float, double and int64 at every size") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  auto check_type = [&]<class T>(T) {
    jk::Reduction sum(t.engine, {.params = "const T* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                                 .reduce_type = "T", .name = "sum", .types = {jk::bind<T>("T")}});
    for (const std::size_t n : awkward_sizes()) {
      INFO("n=" << n << " sizeof(T)=" << sizeof(T));
      const auto x = random_values<T>(rng, n);
      auto x_gpu = device_copy(x);
      auto out = poisoned<T>(1);
      sum(n, out, x_gpu);
      const T got = first_n(out, 1)[0];
      if constexpr (std::is_integral_v<T>) {
        T want = 0;
        for (auto v : x) want += v;
        CHECK(got == want);
      } else {
        double want = 0, magnitude = 0;
        for (auto v : x) want += v, magnitude += std::fabs(v);
        CHECK(std::fabs(static_cast<double>(got) - want) <= 1e-5 * magnitude + 1e-6);
      }
    }
  };
  check_type(0.0f);
  check_type(0.0);
  check_type(0LL);
}

TEST_CASE("reduction results repeat bit for bit on the same input") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Reduction sum(t.engine, {.params = "const float* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                               .reduce_type = "float", .name = "sum"});
  const std::size_t n = (std::size_t{1} << 24) + 7;
  auto x_gpu = device_copy(random_values<float>(rng, n));
  const float first = sum.value<float>(n, x_gpu);
  for (int repeat = 0; repeat < 5; ++repeat) {
    const float again = sum.value<float>(n, x_gpu);
    CHECK(std::memcmp(&first, &again, sizeof first) == 0);
  }
}

TEST_CASE("reduction sums __half into float and counts into int64") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Reduction half_sum(t.engine, {.params = "const __half* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                                    .reduce_type = "float", .name = "half_sum"});
  jk::Reduction count(t.engine, {.params = "const double* x, double threshold", .map = "x[i] > threshold ? 1 : 0",
                                 .reduce = "a + b", .neutral = "0", .reduce_type = "long long", .name = "count_above"});
  CHECK(half_sum.vector_width() == 8);
  CHECK(half_sum.reduce_type_bytes() == 4);
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto h = random_values<jk::Half>(rng, n);
    auto h_gpu = device_copy(h);
    double want = 0, magnitude = 0;
    for (auto v : h) want += jk::to_float(v), magnitude += std::fabs(jk::to_float(v));
    CHECK(std::fabs(static_cast<double>(half_sum.value<float>(n, h_gpu)) - want) <= 1e-5 * magnitude + 1e-6);

    const auto d = random_values<double>(rng, n);
    auto d_gpu = device_copy(d);
    auto out = poisoned<long long>(1);
    count(n, out, d_gpu, 0.25);
    long long above = 0;
    for (auto v : d) above += v > 0.25;
    CHECK(first_n(out, 1)[0] == above);
  }
}

TEST_CASE("reduction max, dot product with post, mean, and a float result from a double sum") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Reduction max(t.engine, {.params = "const double* x", .map = "x[i]", .reduce = "fmax(a, b)",
                               .neutral = "-INFINITY", .reduce_type = "double", .name = "maximum"});
  jk::Reduction norm(t.engine, {.params = "const double* x, const double* y", .map = "x[i] * y[i]", .reduce = "a + b",
                                .neutral = "0", .post = "sqrt(fabs(a))", .reduce_type = "double", .name = "dot_norm"});
  jk::Reduction mean(t.engine, {.params = "const int* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                                .post = "n > 0 ? (double)a / n : 0.0", .reduce_type = "long long",
                                .output_type = "double", .name = "mean"});
  jk::Reduction narrow(t.engine, {.params = "const double* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                                  .post = "(float)a", .reduce_type = "double", .output_type = "float",
                                  .name = "sum_to_float"});
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto x = random_values<double>(rng, n), y = random_values<double>(rng, n);
    const auto ints = random_values<int>(rng, n);
    auto x_gpu = device_copy(x), y_gpu = device_copy(y);
    auto ints_gpu = device_copy(ints);
    double want_max = -std::numeric_limits<double>::infinity(), dot = 0, magnitude = 0, sum = 0;
    long long int_sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      want_max = std::max(want_max, x[i]);
      dot += x[i] * y[i], magnitude += std::fabs(x[i] * y[i]), sum += x[i];
      int_sum += ints[i];
    }
    CHECK(max.value<double>(n, x_gpu) == want_max);
    CHECK(std::fabs(norm.value<double>(n, x_gpu, y_gpu) - std::sqrt(std::fabs(dot))) <= 1e-6 * (1 + std::sqrt(magnitude)));
    const double want_mean = n > 0 ? static_cast<double>(int_sum) / static_cast<double>(n) : 0.0;
    CHECK(mean.value<double>(n, ints_gpu) == doctest::Approx(want_mean).epsilon(1e-12));
    auto out = poisoned<float>(1);
    narrow(n, out, x_gpu);
    CHECK(std::fabs(first_n(out, 1)[0] - static_cast<float>(sum)) <= 1e-5f * static_cast<float>(1 + magnitude));
  }
}

TEST_CASE("reduction over 2^31 + 7 elements when the device has the memory") {
  const std::size_t n = (std::size_t{1} << 31) + 7;
  const auto all = devices();
  if (all.empty() || all[0].total_memory_bytes < 4 * n) {
    MESSAGE("skipped: the device has less than " << 4 * n << " bytes");
    return;
  }
  std::optional<DeviceBuffer<signed char>> x;
  try {
    x.emplace(n);
  } catch (const CudaError& error) {
    MESSAGE("skipped: cannot allocate " << n << " bytes: " << error.what());
    return;
  }
  TestEngine t;
  // Fill on the device from i alone (64-bit indices past 2^31), then sum the bytes as int64.
  jk::Elementwise fill(t.engine, {.params = "signed char* x",
                                  .operation = "x[i] = (signed char)((unsigned long long)i * 2654435761ull >> 27)",
                                  .name = "fill_pattern"});
  jk::Reduction sum(t.engine, {.params = "const signed char* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                               .reduce_type = "long long", .name = "byte_sum"});
  jk::Reduction count(t.engine, {.params = "const signed char* x", .map = "1", .reduce = "a + b", .neutral = "0",
                                 .reduce_type = "unsigned long long", .name = "count_all"});
  fill(n, *x);
  long long want = 0;
  for (std::size_t i = 0; i < n; ++i)
    want += static_cast<signed char>(static_cast<unsigned char>((i * 2654435761ull) >> 27));
  CHECK(sum.value<long long>(n, *x) == want);
  CHECK(count.value<unsigned long long>(n, *x) == n);
}

TEST_CASE("reduction with one block, and with a few, combines every element") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  for (const std::uint32_t blocks : {1u, 7u}) {
    jk::Reduction sum(t.engine, {.params = "const int* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                                 .reduce_type = "long long", .name = "int_sum", .block = 256, .max_blocks = blocks});
    for (const std::size_t n : awkward_sizes()) {
      INFO("n=" << n << " blocks=" << blocks);
      const auto x = random_values<int>(rng, n);
      auto x_gpu = device_copy(x);
      long long want = 0;
      for (auto v : x) want += v;
      CHECK(sum.value<long long>(n, x_gpu) == want);
      CHECK(sum.value<long long>(n, x_gpu) == want);  // the counter was reset for the next launch
    }
  }
}
