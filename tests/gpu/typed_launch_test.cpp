// Typed launches on a GPU: template instantiations, a struct passed by value, dynamic shared
// memory, and launches the check refuses (nothing runs: the poisoned output stays poisoned).
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <limits>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// The host mirror of jitcu_kernels::Affine (kernels/vector_ops.cu): same members, same order.
struct Affine {
  float scale;
  float offset;
  int clamp_to_zero;
};
static_assert(sizeof(Affine) == 12 && alignof(Affine) == 4);

std::vector<double> random_doubles(std::mt19937& rng, std::size_t n) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> values(n);
  for (auto& v : values) v = dist(rng);
  return values;
}

/// True when every byte of `values` is 0xFF (the poison fill_bytes(0xFF) leaves).
template <class T>
bool all_poison(const std::vector<T>& values) {
  std::vector<unsigned char> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  for (unsigned char byte : bytes)
    if (byte != 0xFF) return false;
  return true;
}

}  // namespace

TEST_CASE("scale<float> and scale<double> match the CPU on a random factor and odd n") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Module module = engine.compile(seed_source(), {.name_expressions = {"scale<float>", "scale<double>"}});
  const std::size_t n = 1 + 2 * (rng() % 50'000);
  CAPTURE(n);

  SUBCASE("float") {
    const float factor = std::uniform_real_distribution<float>(-8.0f, 8.0f)(rng);
    CAPTURE(factor);
    const auto x = random_floats(rng, n);
    std::vector<float> y(n, std::numeric_limits<float>::quiet_NaN());
    module.kernel("scale<float>").launch(grid_for(n, 256), 256, in(x), out(y), factor, std::uint64_t{n});
    std::vector<float> want(n);
    for (std::size_t i = 0; i < n; ++i) want[i] = factor * x[i];
    CHECK_SAME_VALUES(y, want);
  }
  SUBCASE("double") {
    const double factor = std::uniform_real_distribution<double>(-8.0, 8.0)(rng);
    CAPTURE(factor);
    const auto x = random_doubles(rng, n);
    auto x_gpu = to_device(x);
    DeviceBuffer<double> y_gpu(n);
    y_gpu.fill_bytes(0xFF);
    module.kernel("scale< double >").launch(grid_for(n, 256), 256, x_gpu, y_gpu, factor, std::uint64_t{n});
    std::vector<double> want(n);
    for (std::size_t i = 0; i < n; ++i) want[i] = factor * x[i];
    const auto y = y_gpu.to_host();
    CHECK_SAME_VALUES(y, want);
  }
}

TEST_CASE("a struct by value: jitcu_kernels::affine with clamping on and off") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Module module = engine.compile(seed_source());
  const Kernel affine = module.kernel("jitcu_kernels::affine");
  const MulAdd mul_add(module, affine.symbol());
  INFO("affine contracted to fma: " << mul_add.fused());
  const std::size_t n = 1 + rng() % 100'000;
  const auto x = random_floats(rng, n);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);

  for (int clamp : {0, 1}) {
    CAPTURE(clamp);
    const Affine map{dist(rng), dist(rng), clamp};
    CAPTURE(map.scale);
    CAPTURE(map.offset);
    std::vector<float> y(n, std::numeric_limits<float>::quiet_NaN());
    affine.launch(grid_for(n, 256), 256, map, in(x), out(y), static_cast<int>(n));
    std::vector<float> want(n);
    std::size_t negatives = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const float v = mul_add(map.scale, x[i], map.offset);
      negatives += v < 0.0f ? 1 : 0;
      want[i] = (clamp && v < 0.0f) ? 0.0f : v;
    }
    CHECK_SAME_VALUES(y, want);
    if (clamp == 0 && negatives > 0) CHECK(std::any_of(y.begin(), y.end(), [](float v) { return v < 0.0f; }));
  }
}

TEST_CASE("a launch the check refuses runs nothing: the poisoned output stays poisoned") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Module module = engine.compile(seed_source());
  const std::size_t n = 1 + rng() % 10'000;
  const auto x = random_floats(rng, n);
  auto x_gpu = to_device(x);
  DeviceBuffer<float> y_gpu(n);
  y_gpu.fill_bytes(0xFF);
  const int count = static_cast<int>(n);

  const Kernel saxpy = module.kernel("saxpy");
  CHECK_THROWS_WITH_AS(saxpy.launch(grid_for(n, 256), 256, 2.0, x_gpu, y_gpu, count),  // double for float
                       doctest::Contains("parameter 0"), ArgumentError);
  CHECK_THROWS_WITH_AS(saxpy.launch(grid_for(n, 256), 256, 2.0f, x_gpu, y_gpu, std::size_t{n}),
                       doctest::Contains("parameter 3"), ArgumentError);
  CHECK_THROWS_WITH_AS(saxpy.launch(grid_for(n, 256), 256, 2.0f, x_gpu, y_gpu), doctest::Contains("3 argument"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(saxpy.launch(Dim3(grid_for(n, 256).x, 0), 256, 2.0f, x_gpu, y_gpu, count),
                       doctest::Contains("grid dimension y"), LaunchConfigError);
  CHECK_THROWS_WITH_AS(saxpy.launch(grid_for(n, 256), Dim3(0), 2.0f, x_gpu, y_gpu, count),
                       doctest::Contains("block dimension x"), LaunchConfigError);
  synchronize();
  CHECK(all_poison(y_gpu.to_host()));

  // the same with host ranges: nothing is copied back either
  std::vector<float> y(n, std::numeric_limits<float>::quiet_NaN());
  CHECK_THROWS_AS(saxpy.launch(grid_for(n, 256), 256, 2.0, in(x), inout(y), count), ArgumentError);
  CHECK(std::all_of(y.begin(), y.end(), [](float v) { return std::isnan(v); }));

  // and the right arguments then run
  y.assign(n, 1.0f);
  saxpy.launch(grid_for(n, 256), 256, 2.0f, in(x), inout(y), count);
  const MulAdd mul_add(module, "saxpy");
  std::vector<float> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = mul_add(2.0f, x[i], 1.0f);
  CHECK_SAME_VALUES(y, want);
}

TEST_CASE("dynamic shared memory through LaunchConfig: each block reverses its slice") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Kernel reverse = engine
                             .compile(Source::string(R"(
extern "C" __global__ void reverse_blocks(const float* x, float* y, unsigned count) {
  extern __shared__ float tile[];
  const unsigned base = blockIdx.x * count;
  for (unsigned i = threadIdx.x; i < count; i += blockDim.x) tile[i] = x[base + i];
  __syncthreads();
  for (unsigned i = threadIdx.x; i < count; i += blockDim.x) y[base + i] = tile[count - 1 - i];
}
)",
                                                     "reverse_blocks.cu"))
                             .kernel("reverse_blocks");
  const unsigned count = 1024 + static_cast<unsigned>(rng() % 9000);  // up to ~40 KiB of floats
  const std::size_t blocks = 1 + rng() % 64;
  const std::size_t n = blocks * count;
  CAPTURE(count);
  CAPTURE(blocks);
  const auto x = random_floats(rng, n);
  std::vector<float> y(n, std::numeric_limits<float>::quiet_NaN());
  const LaunchConfig config{Dim3(blocks), Dim3(128), static_cast<std::uint32_t>(count * sizeof(float))};
  reverse.launch(config, in(x), out(y), count);
  std::vector<float> want(n);
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t i = 0; i < count; ++i) want[b * count + i] = x[b * count + count - 1 - i];
  CHECK_SAME_VALUES(y, want);
}
