// Run-time argument lists on a GPU: built from Kernel::parameters() and text, as a plugin host
// would, they launch the seed kernels with the results a typed launch gives; a refused list
// runs nothing.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <limits>

#include <fmt/format.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

struct Affine {
  float scale;
  float offset;
  int clamp_to_zero;
};

}  // namespace

TEST_CASE("saxpy from a list of text scalars and buffers matches the CPU, on a stream and timed") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source());
  const Kernel saxpy = module.kernel("saxpy");
  const MulAdd mul_add(module, saxpy.symbol());
  const std::size_t n = 1 + rng() % 200'000;
  const float alpha = std::uniform_real_distribution<float>(-4.0f, 4.0f)(rng);
  CAPTURE(n);
  CAPTURE(alpha);
  const auto x = random_floats(rng, n);
  const auto y0 = random_floats(rng, n);
  auto x_gpu = to_device(x);
  auto y_gpu = to_device(y0);

  ArgumentList args;
  args.add_scalar(*scalar_type_named("float"), fmt::format("{}", alpha))  // exact: shortest round-trip text
      .add(x_gpu)
      .add_pointer(y_gpu.ptr())
      .add_scalar(ScalarType::i32, std::to_string(n));
  Stream stream;
  const float ms = saxpy.launch_timed(LaunchConfig{grid_for(n, 256), 256, 0, stream}, args);
  CHECK(ms >= 0.0f);
  std::vector<float> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = mul_add(alpha, x[i], y0[i]);
  CHECK_SAME_VALUES(y_gpu.to_host(), want);

  // The same list again on the default stream: y = alpha * x + y once more.
  saxpy.launch(grid_for(n, 256), 256, args);
  for (std::size_t i = 0; i < n; ++i) want[i] = mul_add(alpha, x[i], want[i]);
  CHECK_SAME_VALUES(y_gpu.to_host(), want);
}

TEST_CASE("a struct by value as raw bytes with the parameter's alignment matches the typed launch") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source());
  const Kernel affine = module.kernel("jitcu_kernels::affine(jitcu_kernels::Affine, float const*, float*, int)");
  const MulAdd mul_add(module, affine.symbol());
  const std::size_t n = 1 + rng() % 100'000;
  const auto x = random_floats(rng, n);
  auto x_gpu = to_device(x);
  DeviceBuffer<float> y_gpu(n);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  const Affine map{dist(rng), dist(rng), static_cast<int>(rng() % 2)};
  CAPTURE(map.scale);
  CAPTURE(map.offset);
  CAPTURE(map.clamp_to_zero);

  const auto parameters = affine.parameters();
  REQUIRE(parameters.size() == 4);
  REQUIRE(parameters[0].kind == ValueKind::bytes);
  std::vector<std::byte> raw(parameters[0].size_bytes);
  REQUIRE(raw.size() == sizeof(map));
  std::memcpy(raw.data(), &map, sizeof(map));
  ArgumentList args;
  args.add_bytes(raw, parameters[0].alignment).add(x_gpu).add(y_gpu).add(static_cast<int>(n));
  y_gpu.fill_bytes(0xFF);
  affine.launch(grid_for(n, 256), 256, args);
  std::vector<float> want(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float v = mul_add(map.scale, x[i], map.offset);
    want[i] = (map.clamp_to_zero && v < 0.0f) ? 0.0f : v;
  }
  CHECK_SAME_VALUES(y_gpu.to_host(), want);

  // A list the check refuses launches nothing: the poisoned output stays poisoned.
  y_gpu.fill_bytes(0xFF);
  ArgumentList wrong;
  wrong.add_bytes(std::span(raw).first(8), 4).add(x_gpu).add(y_gpu).add(static_cast<int>(n));
  CHECK_THROWS_WITH_AS(affine.launch(grid_for(n, 256), 256, wrong), doctest::Contains("parameter 0"), ArgumentError);
  synchronize();
  for (float v : y_gpu.to_host()) REQUIRE(std::isnan(v));
}
