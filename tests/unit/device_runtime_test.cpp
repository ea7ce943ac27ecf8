// CompileOptions::relocatable_device_code and device_runtime without a GPU: compile() links
// through nvJitLink, caches under its own key, and a device-side launch without the device
// runtime names the option to add. Also Module::global_symbol and load() without a driver.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace jitcu;
using namespace jitcu::test;

namespace {

// Dynamic parallelism: the parent launches a child grid per chunk.
const char* const k_parent = R"(
__global__ void child(float* y, int offset, int count) {
  const int i = threadIdx.x;
  if (i < count) y[offset + i] = 2.0f * y[offset + i] + 1.0f;
}
extern "C" __global__ void parent(float* y, int n) {
  for (int offset = 0; offset < n; offset += 128) child<<<1, 128>>>(y, offset, min(128, n - offset));
}
)";

}  // namespace

TEST_CASE("a device-side launch without the device runtime names the option to add") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source parent = Source::string(k_parent, "parent.cu");
  CHECK_THROWS_WITH_AS(engine.compile(parent), doctest::Contains("CompileOptions{.device_runtime = true}"), CompileError);
  // Relocatable code alone compiles, but without libcudadevrt the link misses the launch's runtime calls.
  CHECK_THROWS_WITH_AS(engine.compile(parent, {.relocatable_device_code = true}),
                       doctest::Contains("device_runtime = true"), CompileError);
  const Module linked = engine.compile(parent, {.device_runtime = true});
  CHECK(linked.origin() == Origin::compiled);
  CHECK(linked.has_kernel("parent"));
  CHECK(linked.has_kernel("child"));
  CHECK(linked.kernel("child(float*, int, int)").params().size() == 3);
  // Cached like any compile: a new Engine finds it on disk.
  const Module again = engine_in(cache).compile(parent, {.device_runtime = true});
  CHECK(again.origin() == Origin::disk_cache);
  CHECK(again.cache_key() == linked.cache_key());
}

TEST_CASE("relocatable device code and the device runtime are part of the cache key") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  TempDir cache;
  const Source source = Source::string("extern \"C\" __global__ void k(int* p) { *p = " + std::to_string(seed % 1000) + "; }\n",
                                       "k.cu");
  const std::vector<CompileOptions> variants = {
      {}, {.relocatable_device_code = true}, {.device_runtime = true},
      {.relocatable_device_code = true, .device_runtime = true}};
  std::vector<std::string> keys;
  for (const auto& options : variants) {
    const Module first = engine_in(cache).compile(source, options);
    CHECK(first.origin() == (keys.size() == 3 ? Origin::disk_cache : Origin::compiled));  // the last is the third's
    const Module hit = engine_in(cache).compile(source, options);
    CHECK(hit.origin() == Origin::disk_cache);
    CHECK(hit.cache_key() == first.cache_key());
    CHECK(hit.has_kernel("k"));
    keys.push_back(first.cache_key());
  }
  CHECK(keys[0] != keys[1]);
  CHECK(keys[1] != keys[2]);
  CHECK(keys[2] == keys[3]);  // the device runtime implies relocatable code: one compile, one key
  CHECK_THROWS_WITH_AS(engine_in(cache).compile(source, {.name_expressions = {"k"}, .device_runtime = true}),
                       doctest::Contains("CompileOptions::device_runtime"), Error);
}

TEST_CASE("global_symbol gives the lowered name of a name expression, also after a disk hit") {
  TempDir cache;
  const Source source = Source::string(R"(
template <class T> __device__ T table[4];
namespace ns { template <int N> __constant__ int sizes[N]; }
template <class T> __global__ void fill(T* out) { out[threadIdx.x] = table<T>[threadIdx.x]; }
)", "tables.cu");
  const CompileOptions options{.name_expressions = {"&table<float>", "&ns::sizes<3>", "fill<float>"}};
  const Module module = engine_in(cache).compile(source, options);
  const std::string table = module.global_symbol("&table<float>");
  CHECK(table.starts_with("_Z"));
  CHECK(module.global_symbol("table< float >") == table);  // without '&', respaced
  CHECK(module.global_symbol("& ns::sizes<3>").starts_with("_ZN2ns5sizes"));
  CHECK(module.global_symbol("fill<float>") == module.kernel("fill<float>").symbol());
  CHECK_THROWS_WITH_AS(module.global_symbol("&table<double>"), doctest::Contains("it was compiled with: &ns::sizes<3>, &table<float>, fill<float>"), Error);
  const Module hit = engine_in(cache).compile(source, options);
  REQUIRE(hit.origin() == Origin::disk_cache);
  CHECK(hit.global_symbol("&table<float>") == table);
}

TEST_CASE("without a CUDA driver, Module::load() fails early with the driver's error") {
  if (cuda_available()) {
    MESSAGE("a CUDA device is present: the no-driver load is not tested here");
    return;
  }
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source());
  CHECK(message_of<CudaError>([&] { module.load(); }).starts_with("no CUDA driver found"));
}
