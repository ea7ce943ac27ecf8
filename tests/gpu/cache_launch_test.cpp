// What comes out of the cache runs right: a disk hit in this process and in a new process
// (which must not load NVRTC), and a build that differs only by -ftz=true is really another
// kernel (NVRTC's own cache would hand back the earlier cubin: DESIGN.md).
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

using namespace jitcu;
using namespace jitcu::test;

namespace {

// ftz_mode writes what NVVM resolved __CUDA_FTZ to; multiply may produce denormals.
const char* const k_ftz_source = R"(
extern "C" __global__ void ftz_mode(int* out) { out[0] = __nvvm_reflect("__CUDA_FTZ"); }
extern "C" __global__ void multiply(const float* x, const float* y, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = x[i] * y[i];
}
)";

int ftz_mode_of(const Module& module) {
  std::vector<int> mode{-1};
  module.kernel("ftz_mode").launch(1, 1, out(mode));
  return mode[0];
}

}  // namespace

TEST_CASE("a disk hit in this process, through a new Engine, launches correctly") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  {
    auto first = engine_in(cache);
    REQUIRE(first.compile(seed_source()).origin() == Origin::compiled);
  }
  auto engine = engine_in(cache);
  const Module hit = engine.compile(seed_source());
  REQUIRE(hit.origin() == Origin::disk_cache);
  const std::size_t n = 1 + rng() % 100'000;
  const auto a = random_floats(rng, n);
  const auto b = random_floats(rng, n);
  std::vector<float> c(n, std::numeric_limits<float>::quiet_NaN());
  hit.kernel("dot_product").launch(grid_for(n, 256), 256, in(a), in(b), out(c), static_cast<int>(n));
  std::vector<float> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = a[i] * b[i];
  CHECK_SAME_VALUES(c, want);
}

TEST_CASE("kernels whose Engine and Module are gone load and launch after the heap was reused") {
  // The driver uses the module's image in place (CU_LIBRARY_BINARY_IS_PRESERVED), and the code
  // loads at the first launch: the image must live as long as any Kernel of the module.
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  { REQUIRE(engine_in(cache).compile(seed_source()).origin() == Origin::compiled); }
  std::optional<Kernel> dot, saxpy;
  std::optional<MulAdd> mul_add;
  {
    auto engine = engine_in(cache);
    const Module hit = engine.compile(seed_source());
    REQUIRE(hit.origin() == Origin::disk_cache);
    dot = hit.kernel("dot_product");
    saxpy = hit.kernel("saxpy");
    mul_add.emplace(hit, "saxpy");
  }
  const auto churn = [&] {  // freed blocks written over, as a dangling image would be
    std::vector<std::string> blocks;
    for (int i = 0; i < 64; ++i) blocks.emplace_back(1024 + rng() % 65536, static_cast<char>(rng()));
  };
  churn();
  const std::size_t n = 1 + rng() % 100'000;
  const auto a = random_floats(rng, n);
  const auto b = random_floats(rng, n);
  std::vector<float> c(n, std::numeric_limits<float>::quiet_NaN());
  dot->launch(grid_for(n, 256), 256, in(a), in(b), out(c), static_cast<int>(n));
  std::vector<float> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = a[i] * b[i];
  CHECK_SAME_VALUES(c, want);
  churn();
  const float alpha = std::uniform_real_distribution<float>(-4.0f, 4.0f)(rng);
  std::vector<float> y = b;
  saxpy->launch(grid_for(n, 256), 256, alpha, in(a), inout(y), static_cast<int>(n));  // a second lookup
  for (std::size_t i = 0; i < n; ++i) want[i] = (*mul_add)(alpha, a[i], b[i]);
  CHECK_SAME_VALUES(y, want);
}

TEST_CASE("a second process compiles from the warm cache without NVRTC and launches correctly") {
  TempDir cache;
  const Module parent = engine_in(cache).compile(seed_source());
  REQUIRE(parent.origin() == Origin::compiled);
  const auto result = run_process({JITCU_TEST_CHILD, kernel_path("vector_ops.cu").string(), "--launch"},
                                  {{"JITCU_CACHE_DIR", cache.path().string()}, {"JITCU_DISABLE_CACHE", ""}});
  INFO("child output:\n" << result.output);
  CHECK(result.exit_code == 0);
  CHECK(output_field(result.output, "origin") == "disk_cache");
  CHECK(output_field(result.output, "nvrtc_loaded") == "no");
  CHECK(output_field(result.output, "key") == parent.cache_key());
  CHECK(output_field(result.output, "launch").starts_with("ok"));
}

TEST_CASE("-ftz=true right after a default build of the same source is another kernel") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string(k_ftz_source, "ftz.cu");
  const Module plain = engine.compile(source);
  CHECK(ftz_mode_of(plain) == 0);
  const Module ftz = engine.compile(source, {.extra = {"-ftz=true"}});
  REQUIRE(ftz.origin() == Origin::compiled);
  CHECK(ftz_mode_of(ftz) == 1);
  CHECK(ftz_mode_of(plain) == 0);  // both stay loaded and distinct

  // and from the disk cache, in a new engine, each entry still holds its own cubin
  auto other = engine_in(cache);
  CHECK(ftz_mode_of(other.compile(source, {.extra = {"--ftz=true"}})) == 1);
  CHECK(ftz_mode_of(other.compile(source)) == 0);
}

TEST_CASE("-ftz=true flushes a denormal product to zero; the default keeps it") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string(k_ftz_source, "ftz.cu");
  constexpr std::size_t n = 1000;
  std::uniform_real_distribution<float> tiny(1e-20f, 2e-20f);  // products 1e-40..4e-40: denormal
  std::vector<float> x(n), y(n), product(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = tiny(rng);
    y[i] = tiny(rng);
    product[i] = x[i] * y[i];
    REQUIRE(std::fpclassify(product[i]) == FP_SUBNORMAL);
  }

  std::vector<float> kept(n, std::numeric_limits<float>::quiet_NaN());
  engine.compile(source).kernel("multiply").launch(grid_for(n, 256), 256, in(x), in(y), out(kept), static_cast<int>(n));
  CHECK_SAME_VALUES(kept, product);

  std::vector<float> flushed(n, std::numeric_limits<float>::quiet_NaN());
  engine.compile(source, {.extra = {"-ftz=true"}})
      .kernel("multiply")
      .launch(grid_for(n, 256), 256, in(x), in(y), out(flushed), static_cast<int>(n));
  CHECK_SAME_VALUES(flushed, std::vector<float>(n, 0.0f));  // +0 == -0 here; never the denormal
}
