// Streams, events, attributes, occupancy, shared-memory opt-in, launch checks, globals,
// templates on demand, cooperative and cluster launches: each against a CPU reference.
#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include "test_support.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <numeric>

using namespace jitcu;
using jitcu::test::TempDir;

namespace {

Engine engine_in(const TempDir& dir) { return Engine(EngineOptions{.cache_dir = dir.path()}); }

const char* k_features_source = R"(
#include <cooperative_groups.h>
namespace cg = cooperative_groups;

extern "C" __global__ void add_one(float* x, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) x[i] += 1.0f;
}

// Reverses each block's slice through dynamic shared memory of `count` floats.
extern "C" __global__ void reverse_in_shared(const float* x, float* y, int count) {
  extern __shared__ float tile[];
  for (int i = threadIdx.x; i < count; i += blockDim.x) tile[i] = x[blockIdx.x * count + i];
  __syncthreads();
  for (int i = threadIdx.x; i < count; i += blockDim.x) y[blockIdx.x * count + i] = tile[count - 1 - i];
}

extern "C" __global__ void __launch_bounds__(128) bounded(int* out) { out[threadIdx.x] = threadIdx.x; }

__device__ int counter;
__constant__ float coeffs[4];
namespace ns { __device__ float value; }

extern "C" __global__ void use_globals(float* out) {
  atomicAdd(&counter, 1);
  if (threadIdx.x == 0 && blockIdx.x == 0) out[0] = coeffs[0] + coeffs[1] * 10.0f + coeffs[2] * 100.0f + coeffs[3] * 1000.0f + ns::value;
}

template <class T>
__global__ void scale(const T* x, T* y, T factor, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = factor * x[i];
}

// Every block adds its sum to partial[block]; after grid.sync() block 0 totals them.
extern "C" __global__ void grid_sum(const float* x, float* partial, float* total, int n) {
  cg::grid_group grid = cg::this_grid();
  float sum = 0.0f;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) sum += x[i];
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  __shared__ float warp_sums[32];
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    float block_sum = 0.0f;
    for (int w = 0; w < (blockDim.x + 31) / 32; ++w) block_sum += warp_sums[w];
    partial[blockIdx.x] = block_sum;
  }
  grid.sync();
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    float all = 0.0f;
    for (int b = 0; b < gridDim.x; ++b) all += partial[b];
    *total = all;
  }
}

extern "C" __global__ void cluster_ranks(unsigned* rank, unsigned* size) {
  cg::cluster_group cluster = cg::this_cluster();
  if (threadIdx.x == 0) {
    rank[blockIdx.x] = cluster.block_rank();
    size[blockIdx.x] = cluster.num_blocks();
  }
}
)";

struct Fixture {
  TempDir dir{"jitcu-gpu-features"};
  Engine engine = engine_in(dir);
  Module module = engine.compile(Source::string(k_features_source, "features.cu"));
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a launch on a stream with pinned async copies matches the CPU, and is timed") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const int n = 1 + static_cast<int>(rng() % 500'000);
  PinnedBuffer<float> host(static_cast<std::size_t>(n));
  const auto x = test::random_floats(rng, static_cast<std::size_t>(n));
  std::copy(x.begin(), x.end(), host.begin());
  Stream stream;
  DeviceBuffer<float> device(static_cast<std::size_t>(n));
  device.copy_from_async(std::span<const float>(host.data(), host.size()), stream);
  auto kernel = module.kernel("add_one");
  LaunchConfig config = kernel.config_for(static_cast<std::uint64_t>(n));
  config.stream = stream;
  const float ms = kernel.launch_timed(config, device, n);
  std::fill(host.begin(), host.end(), std::numeric_limits<float>::quiet_NaN());  // poison
  device.copy_to_async(host.span(), stream);
  stream.synchronize();
  CHECK(ms > 0.0f);
  for (int i = 0; i < n; ++i) REQUIRE(host[static_cast<std::size_t>(i)] == x[static_cast<std::size_t>(i)] + 1.0f);

  Event start, end;
  start.record(stream);
  kernel.launch(config, device, n);
  end.record(stream);
  end.synchronize();
  CHECK(end.elapsed_ms_since(start) >= 0.0f);
}

TEST_CASE_FIXTURE(Fixture, "attributes and occupancy come from the driver") {
  auto kernel = module.kernel("add_one");
  const auto attributes = kernel.attributes();
  CHECK(attributes.registers > 0);
  CHECK(attributes.max_threads_per_block >= 128);
  CHECK(attributes.binary_version == devices().at(0).major * 10 + devices().at(0).minor);
  CHECK(attributes.ptx_version > 0);
  CHECK(kernel.max_active_blocks_per_sm(256) >= 1);
  const auto block = kernel.suggested_block_size();
  CHECK(block >= 32);
  CHECK(block <= 1024);
  const auto config = kernel.config_for(1'000'003);
  CHECK(config.grid.x * config.block.x >= 1'000'003);
  const auto stride = kernel.config_for_grid_stride(1ull << 30);
  CHECK(stride.grid.x <= static_cast<std::uint64_t>(kernel.max_active_blocks_per_sm(static_cast<std::uint32_t>(stride.block.x))) * 1000);
  CHECK(module.kernel("bounded").attributes().max_threads_per_block == 128);
}

TEST_CASE_FIXTURE(Fixture, "dynamic shared memory over 48 KiB is opted into; more than the device has is refused") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const int count = 20'000;  // 80,000 bytes of floats: needs the opt-in
  const int blocks = 3;
  auto x = test::random_floats(rng, static_cast<std::size_t>(count * blocks));
  std::vector<float> y(x.size(), std::numeric_limits<float>::quiet_NaN());
  auto kernel = module.kernel("reverse_in_shared");
  kernel.launch(LaunchConfig{blocks, 256, count * 4u}, in(x), out(y), count);
  for (int b = 0; b < blocks; ++b)
    for (int i = 0; i < count; ++i)
      REQUIRE(y[static_cast<std::size_t>(b * count + i)] == x[static_cast<std::size_t>(b * count + count - 1 - i)]);
  DeviceBuffer<float> dx(x.size()), dy(x.size());
  CHECK_THROWS_WITH_AS(kernel.launch(LaunchConfig{1, 256, 4u << 20}, dx, dy, count),
                       doctest::Contains("dynamic shared memory"), LaunchConfigError);
}

TEST_CASE_FIXTURE(Fixture, "launch limits are checked before launch and name the limit") {
  DeviceBuffer<int> out_buffer(2048);
  out_buffer.fill_bytes(0xAB);
  auto bounded = module.kernel("bounded");
  CHECK_THROWS_WITH_AS(bounded.launch(1, 256, out_buffer), doctest::Contains("128"), LaunchConfigError);
  CHECK_THROWS_WITH_AS(bounded.launch(1, 2048, out_buffer), doctest::Contains("2048"), LaunchConfigError);
  CHECK_THROWS_WITH_AS(bounded.launch(Dim3(0), 64, out_buffer), doctest::Contains("grid dimension x is 0"), LaunchConfigError);
  CHECK_THROWS_WITH_AS(bounded.launch(Dim3(1, 70'000), 64, out_buffer), doctest::Contains("grid dimension y"), LaunchConfigError);
  const auto untouched = out_buffer.to_host();
  for (int v : untouched) REQUIRE(static_cast<unsigned>(v) == 0xABABABABu);  // nothing ran
  bounded.launch(1, 128, out_buffer);
  const auto written = out_buffer.to_host();
  for (int i = 0; i < 128; ++i) REQUIRE(written[static_cast<std::size_t>(i)] == i);
}

TEST_CASE_FIXTURE(Fixture, "__device__ and __constant__ globals are read, written and size-checked") {
  auto counter = module.global<int>("counter");
  counter.write(5);
  module.global<std::array<float, 4>>("coeffs").write({1.0f, 2.0f, 3.0f, 4.0f});
  module.global<float>("ns::value").write(0.5f);
  std::vector<float> result(1, std::numeric_limits<float>::quiet_NaN());
  module.kernel("use_globals").launch(4, 64, out(result));
  CHECK(counter.read() == 5 + 256);
  CHECK(result[0] == 4321.5f);
  CHECK_THROWS_WITH_AS(module.global<double>("counter"), doctest::Contains("4 bytes"), ArgumentError);
  CHECK_THROWS_WITH_AS(module.global<int>("no_such_global"), doctest::Contains("no_such_global"), Error);
}

TEST_CASE_FIXTURE(Fixture, "a template instantiation the module lacks is compiled on demand and cached") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const int n = 1 + static_cast<int>(rng() % 100'000);
  std::vector<double> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = std::uniform_real_distribution<double>(-1, 1)(rng);
  std::vector<double> y(x.size(), std::numeric_limits<double>::quiet_NaN());
  const std::string name = template_name("scale", type<double>());
  CHECK(name == "scale<double>");
  auto kernel = module.kernel(name);
  const double factor = 0.25 + static_cast<double>(rng() % 100);
  kernel.launch(grid_for(static_cast<std::uint64_t>(n), 256), 256, in(x), out(y), factor, n);
  for (int i = 0; i < n; ++i) REQUIRE(y[static_cast<std::size_t>(i)] == factor * x[static_cast<std::size_t>(i)]);
  CHECK_THROWS_AS(kernel.launch(1, 1, in(x), out(y), 1.0f, n), ArgumentError);  // float for double

  Engine other = engine_in(dir);  // same cache: the instantiation is a disk hit now
  auto again = other.compile(Source::string(k_features_source, "features.cu"), {.name_expressions = {"scale<double>"}});
  CHECK(again.origin() == Origin::disk_cache);
}

TEST_CASE_FIXTURE(Fixture, "a cooperative launch syncs the grid; a grid too large to be resident is refused") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const int n = 1'000'000 + static_cast<int>(rng() % 1000);
  std::vector<float> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = static_cast<float>(rng() % 8);  // small integers: the float sum is exact
  auto kernel = module.kernel("grid_sum");
  const std::uint32_t block = 256;
  const auto blocks = static_cast<std::uint64_t>(kernel.max_active_blocks_per_sm(block)) * 16;
  DeviceBuffer<float> partial(blocks);
  std::vector<float> total(1, std::numeric_limits<float>::quiet_NaN());
  kernel.launch(LaunchConfig{.grid = blocks, .block = block, .kind = LaunchKind::cooperative}, in(x), partial, out(total), n);
  CHECK(total[0] == std::accumulate(x.begin(), x.end(), 0.0));
  DeviceBuffer<float> big_partial(1 << 20);
  CHECK_THROWS_WITH_AS(kernel.launch(LaunchConfig{.grid = 1u << 20, .block = block, .kind = LaunchKind::cooperative},
                                     in(x), big_partial, out(total), n),
                       doctest::Contains("resident"), LaunchConfigError);
}

TEST_CASE_FIXTURE(Fixture, "thread-block clusters launch with the asked shape") {
  if (devices().at(0).major < 9) {
    MESSAGE("clusters need sm_90; skipped on this device");
    return;
  }
  const int blocks = 8;
  std::vector<unsigned> rank(blocks, 99), size(blocks, 99);
  auto kernel = module.kernel("cluster_ranks");
  kernel.launch(LaunchConfig{.grid = blocks, .block = 32, .cluster = Dim3(2)}, out(rank), out(size));
  for (int b = 0; b < blocks; ++b) {
    CHECK(rank[static_cast<std::size_t>(b)] == static_cast<unsigned>(b % 2));
    CHECK(size[static_cast<std::size_t>(b)] == 2u);
  }
  CHECK_THROWS_WITH_AS(kernel.launch(LaunchConfig{.grid = 7, .block = 32, .cluster = Dim3(2)}, out(rank), out(size)),
                       doctest::Contains("multiple of cluster"), LaunchConfigError);
}
