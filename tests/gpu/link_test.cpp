// Engine::link: device functions across files, LTO, the device runtime; against the CPU.
#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include "test_support.hpp"

#include <limits>

using namespace jitcu;

namespace {

const char* k_caller = R"(
__device__ float poly(float x);
extern "C" __global__ void apply_poly(const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = poly(x[i]);
}
)";
const char* k_callee = R"(
__device__ float poly(float x) { return 3.0f * x * x - 2.0f * x + 0.5f; }
)";

// Dynamic parallelism: the parent launches a child grid per call (needs libcudadevrt).
const char* k_parent = R"(
__global__ void child(float* y, int offset, int count) {
  const int i = threadIdx.x;
  if (i < count) y[offset + i] = 2.0f * y[offset + i] + 1.0f;
}
extern "C" __global__ void parent(float* y, int n) {
  const int chunk = 128;
  for (int offset = 0; offset < n; offset += chunk)
    child<<<1, chunk>>>(y, offset, min(chunk, n - offset));
}
)";

}  // namespace

TEST_CASE("a __device__ function defined in one file runs when called from another, with and without LTO") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  test::TempDir dir("jitcu-gpu-link");
  Engine engine(EngineOptions{.cache_dir = dir.path()});
  for (bool lto : {false, true}) {
    CAPTURE(lto);
    auto module = engine.link({Source::string(k_caller, "caller.cu"), Source::string(k_callee, "callee.cu")}, {},
                              {.lto = lto});
    CHECK(module.origin() == Origin::compiled);
    const int n = 1 + static_cast<int>(rng() % 200'000);
    const auto x = test::random_floats(rng, static_cast<std::size_t>(n));
    std::vector<float> y(x.size(), std::numeric_limits<float>::quiet_NaN());
    module.kernel("apply_poly").launch(grid_for(static_cast<std::uint64_t>(n), 256), 256, in(x), out(y), n);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float expected = 3.0f * x[i] * x[i] - 2.0f * x[i] + 0.5f;
      REQUIRE(y[i] == doctest::Approx(expected).epsilon(1e-6));
    }
    Engine fresh(EngineOptions{.cache_dir = dir.path()});
    auto again = fresh.link({Source::string(k_caller, "caller.cu"), Source::string(k_callee, "callee.cu")}, {},
                            {.lto = lto});
    CHECK(again.origin() == Origin::disk_cache);
    std::fill(y.begin(), y.end(), std::numeric_limits<float>::quiet_NaN());
    again.kernel("apply_poly").launch(grid_for(static_cast<std::uint64_t>(n), 256), 256, in(x), out(y), n);
    CHECK(y.back() == doctest::Approx(3.0f * x.back() * x.back() - 2.0f * x.back() + 0.5f).epsilon(1e-6));
  }
}

TEST_CASE("a missing definition is a link error naming the symbol") {
  test::TempDir dir("jitcu-gpu-link");
  Engine engine(EngineOptions{.cache_dir = dir.path()});
  CHECK_THROWS_WITH_AS(engine.link({Source::string(k_caller, "caller.cu")}), doctest::Contains("poly"), CompileError);
}

TEST_CASE("kernels launching kernels link with the device runtime") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  test::TempDir dir("jitcu-gpu-link");
  Engine engine(EngineOptions{.cache_dir = dir.path()});
  auto module = engine.link({Source::string(k_parent, "parent.cu")}, {}, {.device_runtime = true});
  const int n = 1 + static_cast<int>(rng() % 5000);
  const auto x = test::random_floats(rng, static_cast<std::size_t>(n));
  std::vector<float> y = x;
  module.kernel("parent").launch(1, 1, inout(y), n);
  for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(y[i] == 2.0f * x[i] + 1.0f);
}
