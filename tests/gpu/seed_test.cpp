// The seed workflow on a GPU: kernels/vector_ops.cu's dot_product and saxpy on fresh random
// input, through DeviceBuffers and through in/out/inout host ranges, against the CPU.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace jitcu;
using namespace jitcu::test;

namespace {

constexpr float k_nan = std::numeric_limits<float>::quiet_NaN();

std::vector<float> products(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> c(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) c[i] = a[i] * b[i];
  return c;
}

}  // namespace

TEST_CASE("the seed: dot_product of 10000 random floats matches the CPU exactly") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Kernel dot = engine.compile(seed_source()).kernel("dot_product");

  constexpr int n = 10000;
  const auto a = random_floats(rng, n);
  const auto b = random_floats(rng, n);
  std::vector<float> c(n, k_nan);
  auto a_gpu = to_device(a);
  auto b_gpu = to_device(b);
  DeviceBuffer<float> c_gpu(n);
  c_gpu.fill_bytes(0xFF);  // NaN: every element must be written
  dot.launch(grid_for(n, 256), 256, a_gpu, b_gpu, c_gpu, n);
  c_gpu.copy_to(c);
  CHECK_SAME_VALUES(c, products(a, b));
}

TEST_CASE("dot_product over a random odd n: the tail block writes exactly n elements") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Kernel dot = engine.compile(seed_source()).kernel("dot_product");
  for (int round = 0; round < 3; ++round) {
    const std::size_t n = 1 + 2 * (rng() % 50'000);
    CAPTURE(n);
    const auto a = random_floats(rng, n);
    const auto b = random_floats(rng, n);
    auto a_gpu = to_device(a);
    auto b_gpu = to_device(b);
    DeviceBuffer<float> c_gpu(n + 256);  // room past the end: must stay poisoned
    c_gpu.fill_bytes(0xFF);
    dot.launch(grid_for(n, 256), 256, a_gpu, b_gpu, c_gpu, static_cast<int>(n));
    const auto all = c_gpu.to_host();
    const std::vector<float> c(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_SAME_VALUES(c, products(a, b));
    for (std::size_t i = n; i < all.size(); ++i) {
      INFO("past the end at " << i);
      REQUIRE(std::isnan(all[i]));
    }
  }
}

TEST_CASE("host ranges: dot_product with in/in/out, saxpy with inout") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Module module = engine.compile(seed_source());
  const std::size_t n = 1 + rng() % 100'000;
  CAPTURE(n);
  const auto a = random_floats(rng, n);
  const auto b = random_floats(rng, n);

  std::vector<float> c(n, k_nan);
  module.kernel("dot_product").launch(grid_for(n, 256), 256, in(a), in(b), out(c), static_cast<int>(n));
  CHECK_SAME_VALUES(c, products(a, b));  // out() waited and copied back

  const float alpha = std::uniform_real_distribution<float>(-4.0f, 4.0f)(rng);
  CAPTURE(alpha);
  const std::vector<float> y0 = random_floats(rng, n);
  std::vector<float> y = y0;
  module.kernel("saxpy").launch(grid_for(n, 256), 256, alpha, in(a), inout(y), static_cast<int>(n));
  const MulAdd mul_add(module, "saxpy");
  std::vector<float> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = mul_add(alpha, a[i], y0[i]);
  INFO("saxpy contracted to fma: " << mul_add.fused());
  CHECK_SAME_VALUES(y, want);
}
