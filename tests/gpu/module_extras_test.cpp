// compile() with the device runtime (dynamic parallelism), globals read and written as bytes
// at their run-time size, Module::load(), global_symbol(), and CudaArray copies to and from
// device memory; each against the CPU.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

// Dynamic parallelism: the parent launches a child grid per chunk of 128.
const char* const k_parent = R"(
__global__ void child(float* y, int offset, int count) {
  const int i = threadIdx.x;
  if (i < count) y[offset + i] = 2.0f * y[offset + i] + 1.0f;
}
extern "C" __global__ void parent(float* y, int n) {
  for (int offset = 0; offset < n; offset += 128) child<<<1, 128>>>(y, offset, min(128, n - offset));
}
)";

// TABLE_SIZE comes from a define: the host learns the variable's size only at run time.
const char* const k_globals = R"(
__device__ float table[TABLE_SIZE];
__constant__ unsigned char bias[3];
template <class T> __device__ T scaled[8];
extern "C" __global__ void read_table(float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = table[i] + bias[i % 3];
}
extern "C" __global__ void double_table(int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) table[i] *= 2.0f;
}
extern "C" __global__ void read_scaled(double* out) { out[threadIdx.x] = 3.0 * scaled<double>[threadIdx.x]; }
)";

template <class T>
std::vector<std::byte> as_bytes(const std::vector<T>& values) {
  std::vector<std::byte> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <class T>
std::vector<T> from_bytes(const std::vector<std::byte>& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

}  // namespace

TEST_CASE("compile() with the device runtime runs kernels that launch kernels, also after a disk hit") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  const Source source = Source::string(k_parent, "parent.cu");
  for (const Origin expected : {Origin::compiled, Origin::disk_cache}) {
    CAPTURE(expected);
    const Module module = engine_in(cache).compile(source, {.device_runtime = true});
    CHECK(module.origin() == expected);
    const int n = 1 + static_cast<int>(rng() % 5000);
    const auto x = random_floats(rng, static_cast<std::size_t>(n));
    std::vector<float> y = x;
    module.kernel("parent").launch(1, 1, inout(y), n);
    std::vector<float> want(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) want[i] = 2.0f * x[i] + 1.0f;
    CHECK_SAME_VALUES(y, want);
  }
}

TEST_CASE("globals as bytes at their run-time size: written, used by kernels, read back") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const int size = 1 + static_cast<int>(rng() % 4000);
  CAPTURE(size);
  TempDir cache;
  const Module module = engine_in(cache).compile(
      Source::string(k_globals, "globals.cu"),
      {.defines = {{"TABLE_SIZE", std::to_string(size)}}, .name_expressions = {"&scaled<double>"}});
  module.load();

  const auto [address, bytes] = module.global_address("table");
  CHECK(bytes == static_cast<std::size_t>(size) * sizeof(float));
  CHECK(address != 0);
  const auto table = random_floats(rng, static_cast<std::size_t>(size));
  module.write_global("table", as_bytes(table));
  const std::vector<unsigned char> bias = {static_cast<unsigned char>(rng()), static_cast<unsigned char>(rng()),
                                           static_cast<unsigned char>(rng())};
  module.write_global("bias", as_bytes(bias));
  CHECK(module.read_global("bias") == as_bytes(bias));

  std::vector<float> got(table.size(), std::numeric_limits<float>::quiet_NaN());
  module.kernel("read_table").launch(grid_for(table.size(), 256), 256, out(got), size);
  std::vector<float> want(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) want[i] = table[i] + static_cast<float>(bias[i % 3]);
  CHECK_SAME_VALUES(got, want);

  module.kernel("double_table").launch(grid_for(table.size(), 256), 256, size);
  synchronize();
  const auto doubled = from_bytes<float>(module.read_global("table"));
  for (std::size_t i = 0; i < table.size(); ++i) want[i] = 2.0f * table[i];
  CHECK_SAME_VALUES(doubled, want);

  const std::string refused = fmt::format("is {} bytes but {} bytes", bytes, bytes + 4);
  CHECK_THROWS_WITH_AS(module.write_global("table", as_bytes(std::vector<float>(table.size() + 1))),
                       doctest::Contains(refused.c_str()), ArgumentError);
  CHECK(from_bytes<float>(module.read_global("table")) == want);  // a refused write changes nothing
  CHECK_THROWS_AS(module.read_global("no_such_variable"), Error);

  // A variable template, through its name expression's lowered symbol.
  std::vector<double> scaled(8);
  for (auto& v : scaled) v = std::uniform_real_distribution<double>(-5, 5)(rng);
  module.write_global("&scaled<double>", as_bytes(scaled));
  CHECK(module.read_global(module.global_symbol("&scaled<double>")) == as_bytes(scaled));
  std::vector<double> tripled(8, std::numeric_limits<double>::quiet_NaN());
  module.kernel("read_scaled").launch(1, 8, out(tripled));
  for (std::size_t i = 0; i < 8; ++i) REQUIRE(tripled[i] == 3.0 * scaled[i]);
}

TEST_CASE("Module::load() loads every kernel up front, for a cubin and for PTX") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  for (const bool ptx_only : {false, true}) {
    CAPTURE(ptx_only);
    const std::string arch = ptx_only ? "compute_" + devices().front().arch().substr(3) : std::string();
    const Module module = engine_in(cache).compile(seed_source(), {.arch = arch, .name_expressions = {"scale<float>"}});
    module.load();
    module.load();  // twice is harmless
    const Kernel scale = module.kernel("scale<float>");
    CHECK(scale.attributes().max_threads_per_block > 0);
    const std::size_t n = 1 + rng() % 10'000;
    const auto x = random_floats(rng, n);
    std::vector<float> y(n, std::numeric_limits<float>::quiet_NaN());
    scale.launch(grid_for(n, 256), 256, in(x), out(y), 2.0f, std::uint64_t{n});
    for (std::size_t i = 0; i < n; ++i) REQUIRE(y[i] == 2.0f * x[i]);
  }
}

TEST_CASE("CudaArray copies from and to device memory; a texture reads what was copied in") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  const Module module = engine_in(cache).compile(Source::string(R"(
extern "C" __global__ void fetch_2d(cudaTextureObject_t texture, float* out, int width, int height) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x < width && y < height) out[y * width + x] = tex2D<float>(texture, x + 0.5f, y + 0.5f);
}
)", "fetch.cu"));
  const std::size_t width = 1 + rng() % 300, height = 1 + rng() % 60;
  CAPTURE(width);
  CAPTURE(height);
  const auto image = random_floats(rng, width * height);
  auto source_buffer = to_device(image);
  CudaArray<float> array(width, height);
  array.copy_from(source_buffer);

  DeviceBuffer<float> copied(image.size());
  copied.fill_bytes(0xFF);
  array.copy_to(copied);
  CHECK_SAME_VALUES(copied.to_host(), image);

  TextureObject texture(array);
  std::vector<float> fetched(image.size(), std::numeric_limits<float>::quiet_NaN());
  module.kernel("fetch_2d").launch(Dim3(grid_for(width, 64).x, height), 64, texture, out(fetched),
                                   static_cast<int>(width), static_cast<int>(height));
  CHECK_SAME_VALUES(fetched, image);

  DeviceBuffer<float> wrong(image.size() + 1);
  CHECK_THROWS_WITH_AS(array.copy_from(wrong), doctest::Contains("copied whole"), ArgumentError);
  CHECK_THROWS_WITH_AS(array.copy_to(wrong), doctest::Contains("copied whole"), ArgumentError);
}
