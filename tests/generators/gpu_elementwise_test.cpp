// Elementwise kernels on a device against the CPU: every awkward size, float, double, int64
// and __half, outputs poisoned first; vector and scalar paths, partial writes, raw indexing.
#include "generator_test_util.hpp"

#include <doctest/doctest.h>
#include <jitcu/kernels/elementwise.hpp>

#include <cmath>
#include <cstring>

namespace jk = jitcu::kernels;
using namespace jitcu;
using namespace jitcu::test;

namespace {

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST_CASE("elementwise c = a * b matches the CPU at every size") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Elementwise mul(t.engine, {.params = "const float* a, const float* b, float* c",
                                 .operation = "c[i] = a[i] * b[i]", .name = "multiply"});
  CHECK(mul.vector_width() == 4);
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto a = random_values<float>(rng, n), b = random_values<float>(rng, n);
    auto a_gpu = device_copy(a), b_gpu = device_copy(b);
    auto c_gpu = poisoned<float>(n);
    mul(n, a_gpu, b_gpu, c_gpu);
    const auto c = first_n(c_gpu, n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += !same_bits(c[i], a[i] * b[i]);
    CHECK(wrong == 0);
  }
}

TEST_CASE("elementwise axpy with a placeholder works for float and double") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  auto check_type = [&]<class T>(T alpha) {
    jk::Elementwise axpy(t.engine, {.params = "T a, const T* x, T* y", .operation = "y[i] = a * x[i] + y[i]",
                                    .name = "axpy", .types = {jk::bind<T>("T")}});
    for (const std::size_t n : awkward_sizes()) {
      INFO("n=" << n << " sizeof(T)=" << sizeof(T));
      const auto x = random_values<T>(rng, n), y = random_values<T>(rng, n);
      auto x_gpu = device_copy(x), y_gpu = device_copy(y);
      axpy(n, alpha, x_gpu, y_gpu);
      const auto got = first_n(y_gpu, n);
      std::size_t wrong = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const T want = std::fma(alpha, x[i], y[i]);
        const T tolerance = std::numeric_limits<T>::epsilon() * 4 * (std::fabs(alpha * x[i]) + std::fabs(y[i]));
        wrong += !(std::fabs(got[i] - want) <= tolerance);
      }
      CHECK(wrong == 0);
    }
  };
  check_type(2.5f);
  check_type(-0.75);
}

TEST_CASE("elementwise on int64 with i in the operation is exact") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Elementwise k(t.engine, {.params = "const long long* x, long long* y, long long scale",
                               .operation = "y[i] = x[i] * scale - i + n", .name = "affine_index"});
  CHECK(k.vector_width() == 2);
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto x = random_values<long long>(rng, n);
    auto x_gpu = device_copy(x);
    auto y_gpu = poisoned<long long>(n);
    k(n, x_gpu, y_gpu, 7LL);
    const auto y = first_n(y_gpu, n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i)
      wrong += y[i] != x[i] * 7 - static_cast<long long>(i) + static_cast<long long>(n);
    CHECK(wrong == 0);
  }
}

TEST_CASE("elementwise on __half, and half in with float out") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Elementwise twice(t.engine, {.params = "const __half* x, __half* y",
                                   .operation = "y[i] = __float2half(__half2float(x[i]) * 2.0f)", .name = "twice"});
  jk::Elementwise widen(t.engine, {.params = "const __half* x, float* y", .operation = "y[i] = __half2float(x[i])",
                                   .name = "widen"});
  CHECK(twice.vector_width() == 8);
  CHECK(widen.vector_width() == 8);
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto x = random_values<jk::Half>(rng, n);
    auto x_gpu = device_copy(x);
    auto y_half = poisoned<jk::Half>(n);
    auto y_float = poisoned<float>(n);
    twice(n, x_gpu, y_half);
    widen(n, x_gpu, y_float);
    const auto got_half = first_n(y_half, n);
    const auto got_float = first_n(y_float, n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      wrong += got_half[i].bits != jk::to_half(jk::to_float(x[i]) * 2.0f).bits;
      wrong += !same_bits(got_float[i], jk::to_float(x[i]));
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("elementwise takes the scalar path for misaligned pointers") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Elementwise mul(t.engine, {.params = "const float* a, const float* b, float* c",
                                 .operation = "c[i] = a[i] * b[i]", .name = "multiply"});
  const std::size_t n = 1000003;
  const auto a = random_values<float>(rng, n + 1), b = random_values<float>(rng, n + 1);
  auto a_gpu = device_copy(a), b_gpu = device_copy(b);
  auto c_gpu = poisoned<float>(n + 1);
  // Every pointer one float past a 16-byte boundary: a DevicePtr is accepted for a pointer.
  mul(n, a_gpu.ptr() + 4, b_gpu.ptr() + 4, c_gpu.ptr() + 4);
  const auto c = first_n(c_gpu, n + 1);
  CHECK(std::isnan(c[0]));  // before the range: untouched
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) wrong += !same_bits(c[i + 1], a[i + 1] * b[i + 1]);
  CHECK(wrong == 0);
}

TEST_CASE("elementwise keeps what a conditional operation does not write") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Elementwise relu_into(t.engine, {.params = "const double* x, double* y",
                                       .operation = "if (x[i] > 0) y[i] = x[i];", .name = "positive_only"});
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto x = random_values<double>(rng, n);
    auto x_gpu = device_copy(x);
    auto y_gpu = device_copy(std::vector<double>(std::max<std::size_t>(n, 1), -7.0));
    relu_into(n, x_gpu, y_gpu);
    const auto y = first_n(y_gpu, n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += y[i] != (x[i] > 0 ? x[i] : -7.0);
    CHECK(wrong == 0);
  }
}

TEST_CASE("elementwise in place, with raw indexing and a preamble helper") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Elementwise scale(t.engine, {.params = "float* x", .operation = "x[i] = twice(x[i])",
                                   .preamble = "__device__ float twice(float v) { return v * 2.0f; }",
                                   .name = "scale_in_place"});
  jk::Elementwise reverse(t.engine, {.params = "const long long* x, long long* y", .operation = "y[i] = x[n - 1 - i]",
                                     .name = "reverse"});
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto x = random_values<float>(rng, n);
    auto x_gpu = device_copy(x);
    scale(n, x_gpu);
    const auto scaled = first_n(x_gpu, n);
    const auto v = random_values<long long>(rng, n);
    auto v_gpu = device_copy(v);
    auto r_gpu = poisoned<long long>(n);
    reverse(n, v_gpu, r_gpu);
    const auto r = first_n(r_gpu, n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      wrong += !same_bits(scaled[i], x[i] * 2.0f);
      wrong += r[i] != v[n - 1 - i];
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("elementwise accepts in/out host ranges") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Elementwise add(t.engine, {.params = "const int* a, const int* b, int* c", .operation = "c[i] = a[i] + b[i]",
                                 .name = "add_ints"});
  const std::size_t n = 4099;
  const auto a = random_values<int>(rng, n), b = random_values<int>(rng, n);
  std::vector<int> c(n, -1);
  add(n, in(a), in(b), out(c));  // waits and copies back
  for (std::size_t i = 0; i < n; ++i) REQUIRE(c[i] == a[i] + b[i]);
}

TEST_CASE("a grid of a few blocks strides over every element") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  for (const std::uint32_t blocks : {1u, 3u}) {
    jk::Elementwise add_one(t.engine, {.params = "const double* x, double* y", .operation = "y[i] = x[i] + 1.0",
                                       .name = "add_one", .max_blocks = blocks});
    for (const std::size_t n : awkward_sizes()) {
      INFO("n=" << n << " blocks=" << blocks);
      CHECK(add_one.config_for(n).grid.x <= blocks);
      const auto x = random_values<double>(rng, n);
      auto x_gpu = device_copy(x);
      auto y_gpu = poisoned<double>(n);
      add_one(n, x_gpu, y_gpu);
      const auto y = first_n(y_gpu, n);
      std::size_t wrong = 0;
      for (std::size_t i = 0; i < n; ++i) wrong += y[i] != x[i] + 1.0;
      CHECK(wrong == 0);
    }
  }
}
