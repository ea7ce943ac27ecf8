// Scans on a device against the CPU: inclusive and exclusive, sums, max, a non-commutative
// operator on a struct, input types apart from the value type, in place, repeated launches.
#include "generator_test_util.hpp"

#include <doctest/doctest.h>
#include <jitcu/kernels/scan.hpp>

#include <cmath>
#include <cstring>
#include <limits>

namespace jk = jitcu::kernels;
using namespace jitcu;
using namespace jitcu::test;

namespace {

// x -> a * x + b with wrap-around arithmetic: composition is associative, not commutative.
struct Affine {
  unsigned long long a, b;
};
constexpr const char* k_affine_preamble = "struct Affine { unsigned long long a, b; };";
// Apply `earlier`, then `later`.
Affine then(Affine earlier, Affine later) { return {later.a * earlier.a, later.a * earlier.b + later.b}; }

}  // namespace

TEST_CASE("inclusive and exclusive int64 sums match the CPU at every size") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Scan inclusive(t.engine, {.value_type = "long long", .name = "cumsum"});
  jk::Scan exclusive(t.engine, {.value_type = "long long", .kind = jk::ScanKind::exclusive, .name = "cumsum_excl"});
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto x = random_values<long long>(rng, n);
    auto x_gpu = device_copy(x);
    auto inc_gpu = poisoned<long long>(n), exc_gpu = poisoned<long long>(n);
    inclusive(n, x_gpu, inc_gpu);
    exclusive(n, x_gpu, exc_gpu);
    const auto inc = first_n(inc_gpu, n), exc = first_n(exc_gpu, n);
    long long running = 0;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      wrong += exc[i] != running;
      running += x[i];
      wrong += inc[i] != running;
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("scan reads int and sums as long long; reads __half and sums as float") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Scan widen(t.engine, {.value_type = "long long", .input_type = "int", .kind = jk::ScanKind::exclusive,
                            .name = "int_cumsum"});
  jk::Scan halves(t.engine, {.value_type = "float", .input_type = "__half", .name = "half_cumsum"});
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto x = random_values<int>(rng, n);
    auto x_gpu = device_copy(x);
    auto out_gpu = poisoned<long long>(n);
    widen(n, x_gpu, out_gpu);
    const auto out = first_n(out_gpu, n);
    long long running = 0;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      wrong += out[i] != running;
      running += x[i];
    }
    CHECK(wrong == 0);

    const auto h = random_values<jk::Half>(rng, n);
    auto h_gpu = device_copy(h);
    auto f_gpu = poisoned<float>(n);
    halves(n, h_gpu, f_gpu);
    const auto f = first_n(f_gpu, n);
    double exact = 0, magnitude = 0;
    std::size_t off = 0;
    for (std::size_t i = 0; i < n; ++i) {
      exact += jk::to_float(h[i]), magnitude += std::fabs(jk::to_float(h[i]));
      off += !(std::fabs(f[i] - exact) <= 1e-5 * magnitude + 1e-5);
    }
    CHECK(off == 0);
  }
}

TEST_CASE("inclusive max over float and double sums") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Scan max(t.engine, {.value_type = "float", .op = "fmaxf(a, b)", .neutral = "-INFINITY", .name = "running_max"});
  jk::Scan sum(t.engine, {.value_type = "double", .name = "double_cumsum"});
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    const auto x = random_values<float>(rng, n);
    auto x_gpu = device_copy(x);
    auto m_gpu = poisoned<float>(n);
    max(n, x_gpu, m_gpu);
    const auto m = first_n(m_gpu, n);
    const auto d = random_values<double>(rng, n);
    auto d_gpu = device_copy(d);
    auto s_gpu = poisoned<double>(n);
    sum(n, d_gpu, s_gpu);
    const auto s = first_n(s_gpu, n);
    float running_max = -std::numeric_limits<float>::infinity();
    double running = 0, magnitude = 0;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      running_max = std::max(running_max, x[i]);
      running += d[i], magnitude += std::fabs(d[i]);
      wrong += m[i] != running_max;
      wrong += !(std::fabs(s[i] - running) <= 1e-12 * magnitude + 1e-12);
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("scan keeps operand order for a non-commutative operator on a struct") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Scan compose(t.engine, {.value_type = "Affine", .op = "Affine{b.a * a.a, b.a * a.b + b.b}",
                              .neutral = "Affine{1, 0}", .preamble = k_affine_preamble, .name = "compose"});
  jk::Scan compose_excl(t.engine, {.value_type = "Affine", .op = "Affine{b.a * a.a, b.a * a.b + b.b}",
                                   .neutral = "Affine{1, 0}", .kind = jk::ScanKind::exclusive,
                                   .preamble = k_affine_preamble, .name = "compose_excl"});
  CHECK(compose.value_type_bytes() == sizeof(Affine));
  for (const std::size_t n : awkward_sizes()) {
    INFO("n=" << n);
    std::vector<Affine> x(n);
    for (auto& f : x) f = {rng() | 1ull, rng()};
    auto x_gpu = device_copy(x);
    auto inc_gpu = poisoned<Affine>(n), exc_gpu = poisoned<Affine>(n);
    compose(n, x_gpu, inc_gpu);
    compose_excl(n, x_gpu, exc_gpu);
    const auto inc = first_n(inc_gpu, n), exc = first_n(exc_gpu, n);
    Affine running{1, 0};
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      wrong += exc[i].a != running.a || exc[i].b != running.b;
      running = then(running, x[i]);
      wrong += inc[i].a != running.a || inc[i].b != running.b;
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("scan in place, and repeated launches of one scan at growing and shrinking sizes") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TestEngine t;
  jk::Scan scan(t.engine, {.value_type = "int", .name = "int_cumsum"});
  for (const std::size_t n : {std::size_t{5000}, std::size_t{3000000}, std::size_t{70000}, std::size_t{1},
                              std::size_t{3000000}, std::size_t{2049}}) {
    INFO("n=" << n);
    const auto x = random_values<int>(rng, n);
    auto x_gpu = device_copy(x);
    scan(n, x_gpu, x_gpu);  // in place
    const auto got = first_n(x_gpu, n);
    int running = 0;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      running += x[i];
      wrong += got[i] != running;
    }
    CHECK(wrong == 0);
  }
}
