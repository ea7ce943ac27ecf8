// The programs users of PyCUDA's SourceModule, CuPy's RawModule, jitify2 and NVIDIA's NVRTC
// samples write, written the jitcu way: each on fresh random input against the CPU, with its
// output poisoned first; the templated ones again from the disk cache in a new engine.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <jitcu/template_name.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// PyCUDA's tutorial kernel: C++ linkage (PyCUDA wraps it in extern "C"; jitcu finds it by name).
const char* k_multiply_them = R"(
__global__ void multiply_them(float *dest, float *a, float *b)
{
  const int i = threadIdx.x;
  dest[i] = a[i] * b[i];
}
)";

/// CuPy's RawModule example: one template, instantiated through name expressions.
const char* k_fx3 = R"(
template<typename T>
__global__ void fx3(T *arr, int N) {
  unsigned int tid = blockIdx.x * blockDim.x + threadIdx.x;
  if (tid < N) {
    arr[tid] = arr[tid] * T(3);
  }
}
)";

/// jitify2's example: a header that exists only in memory, a template over a value and a type.
const char* k_my_kernel = R"(
#include "example_headers/my_header1.cuh"
template <int N, typename T>
__global__ void my_kernel(T* data, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  T value = data[i];
  for (int k = 0; k < N - 1; ++k) value = pointless_func(value) * data[i];
  data[i] = value + OFFSET;
}
)";

const char* k_my_header1 = R"(#pragma once
template <typename T>
__device__ T pointless_func(T x) { return x; }
)";

/// NVRTC's saxpy sample, as the CUDA samples ship it.
const char* k_saxpy = R"(
extern "C" __global__
void saxpy(float a, float *x, float *y, float *out, size_t n)
{
  size_t tid = blockIdx.x * blockDim.x + threadIdx.x;
  if (tid < n) {
    out[tid] = a * x[tid] + y[tid];
  }
}
)";

/// Toolkit headers NVRTC finds by itself: half precision and cooperative groups.
const char* k_half_block_sum = R"(
#include <cuda_fp16.h>
#include <cooperative_groups.h>
namespace cg = cooperative_groups;
extern "C" __global__ void half_add_and_block_sum(const float* a, const float* b, float* c, int* block_sums, int n) {
  __shared__ int partial[256];
  cg::thread_block block = cg::this_thread_block();
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  int mine = 0;
  if (i < n) {
    const __half sum = __hadd(__float2half(a[i]), __float2half(b[i]));
    c[i] = __half2float(sum);
    mine = static_cast<int>(c[i]);
  }
  partial[threadIdx.x] = mine;
  block.sync();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    block.sync();
  }
  if (threadIdx.x == 0) block_sums[blockIdx.x] = partial[0];
}
)";

constexpr float k_nan = std::numeric_limits<float>::quiet_NaN();

/// Small integers as floats: exact in float and in half, so sums and products compare exactly.
std::vector<float> small_integers(std::mt19937& rng, std::size_t n, int limit) {
  std::uniform_int_distribution<int> pick(-limit, limit);
  std::vector<float> values(n);
  for (auto& v : values) v = static_cast<float>(pick(rng));
  return values;
}

}  // namespace

TEST_CASE("PyCUDA's SourceModule tutorial: multiply_them, found by its plain name, with in/out host ranges") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Kernel multiply_them = engine.compile(Source::string(k_multiply_them, "tutorial.cu")).kernel("multiply_them");

  const auto a = random_floats(rng, 400), b = random_floats(rng, 400);
  std::vector<float> dest(400, k_nan);
  multiply_them.launch(Dim3(1), Dim3(400), out(dest), in(a), in(b));
  for (std::size_t i = 0; i < dest.size(); ++i) {
    CAPTURE(i);
    REQUIRE(dest[i] == a[i] * b[i]);
  }
}

TEST_CASE("CuPy's RawModule: fx3<T> through name expressions, compiled, then loaded from the disk cache") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  const Source source = Source::string(k_fx3, "fx3.cu");
  const CompileOptions options{.std = "c++17", .name_expressions = {"fx3<float>", "fx3<double>", "fx3<int>"}};

  for (const Origin expected : {Origin::compiled, Origin::disk_cache}) {
    auto engine = engine_in(cache);  // a new engine: the second round reads the disk cache
    const Module module = engine.compile(source, options);
    REQUIRE(module.origin() == expected);
    const int n = 1 + static_cast<int>(rng() % 100'000);
    CAPTURE(n);

    const auto floats = small_integers(rng, static_cast<std::size_t>(n), 1 << 20);
    auto floats_gpu = to_device(floats);
    module.kernel("fx3<float>").launch(grid_for(n, 128), 128, floats_gpu, n);
    const auto floats_out = floats_gpu.to_host();

    std::vector<int> ints(static_cast<std::size_t>(n));
    for (auto& v : ints) v = static_cast<int>(rng() % 1'000'000) - 500'000;
    auto ints_gpu = to_device(ints);
    module.kernel(template_name("fx3", type<int>())).launch(grid_for(n, 128), 128, ints_gpu, n);
    const auto ints_out = ints_gpu.to_host();

    std::vector<double> doubles(static_cast<std::size_t>(n));
    for (auto& v : doubles) v = std::ldexp(static_cast<double>(rng()), -7);
    auto doubles_gpu = to_device(doubles);
    module.kernel("fx3<double>").launch(grid_for(n, 128), 128, doubles_gpu, n);
    const auto doubles_out = doubles_gpu.to_host();

    for (std::size_t i = 0; i < floats.size(); ++i) {
      CAPTURE(i);
      REQUIRE(floats_out[i] == floats[i] * 3.0f);
      REQUIRE(ints_out[i] == ints[i] * 3);
      REQUIRE(doubles_out[i] == doubles[i] * 3.0);
    }
  }
}

TEST_CASE("jitify2's example: a template over a value and a type, its header only in memory, a define") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  const Source source = Source::string(k_my_kernel, "my_program.cu");
  const int offset = static_cast<int>(rng() % 1000);
  CAPTURE(offset);
  const std::string name = template_name("my_kernel", 3, type<int>());
  const CompileOptions options{.defines = {{"OFFSET", std::to_string(offset)}},
                               .headers = {{"example_headers/my_header1.cuh", k_my_header1}},
                               .name_expressions = {name}};

  for (const Origin expected : {Origin::compiled, Origin::disk_cache}) {
    auto engine = engine_in(cache);
    const Module module = engine.compile(source, options);
    REQUIRE(module.origin() == expected);
    const int n = 1 + static_cast<int>(rng() % 50'000);
    std::vector<int> data(static_cast<std::size_t>(n));
    for (auto& v : data) v = static_cast<int>(rng() % 2001) - 1000;
    auto data_gpu = to_device(data);
    module.kernel(name).launch(grid_for(n, 256), 256, data_gpu, n);
    const auto result = data_gpu.to_host();
    for (std::size_t i = 0; i < data.size(); ++i) {
      CAPTURE(i);
      REQUIRE(result[i] == data[i] * data[i] * data[i] + offset);
    }
  }
}

TEST_CASE("NVRTC's saxpy sample: 32 blocks of 128 threads, a float and a size_t by value") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Kernel saxpy = engine.compile(Source::string(k_saxpy, "saxpy.cu")).kernel("saxpy");

  constexpr std::size_t n = 128 * 32;
  const float a = std::uniform_real_distribution<float>(-4.0f, 4.0f)(rng);
  const auto x = random_floats(rng, n), y = random_floats(rng, n);
  auto x_gpu = to_device(x), y_gpu = to_device(y);
  DeviceBuffer<float> out_gpu(n);
  out_gpu.fill_bytes(0xFF);  // NaN: every element must be written
  saxpy.launch(Dim3(32), Dim3(128), a, x_gpu, y_gpu, out_gpu, n);
  const auto result = out_gpu.to_host();
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    // NVRTC may contract a * x + y into one fused multiply-add (--fmad=true is its default).
    const volatile float product = a * x[i];
    const float separate = product + y[i], fused = std::fma(a, x[i], y[i]);
    CAPTURE(separate);
    CAPTURE(fused);
    REQUIRE((result[i] == fused || result[i] == separate));
  }
}

TEST_CASE("toolkit headers: cuda_fp16.h and cooperative_groups.h in one kernel") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Kernel kernel =
      engine.compile(Source::string(k_half_block_sum, "half_sum.cu")).kernel("half_add_and_block_sum");

  const int n = 1 + static_cast<int>(rng() % 100'000);
  CAPTURE(n);
  const auto a = small_integers(rng, static_cast<std::size_t>(n), 1000);  // sums to 2000: exact in half
  const auto b = small_integers(rng, static_cast<std::size_t>(n), 1000);
  const std::uint64_t blocks = grid_for(static_cast<std::uint64_t>(n), 256).x;
  std::vector<float> c(static_cast<std::size_t>(n), k_nan);
  std::vector<int> block_sums(blocks, std::numeric_limits<int>::min());
  kernel.launch(grid_for(n, 256), 256, in(a), in(b), inout(c), inout(block_sums), n);

  std::vector<int> expected_sums(blocks, 0);
  for (std::size_t i = 0; i < c.size(); ++i) {
    CAPTURE(i);
    REQUIRE(c[i] == a[i] + b[i]);
    expected_sums[i / 256] += static_cast<int>(a[i] + b[i]);
  }
  CHECK(block_sums == expected_sums);
}

namespace {

/// jitify-style: standard headers in device code (NVRTC has none; jitcu gives libcu++-based ones).
const char* k_clamp_scale = R"(
#include <algorithm>
#include <cfloat>
#include <cstdint>
#include <limits>
#include <type_traits>
template <typename T>
__global__ void clamp_scale(const T* in, T* out, std::int32_t n, T factor) {
  static_assert(std::is_floating_point<T>::value, "clamp_scale needs a floating-point T");
  const std::int32_t i = static_cast<std::int32_t>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= n) return;
  const T limit = std::is_same<T, float>::value ? T(FLT_MAX) / T(4) : std::numeric_limits<T>::max() / T(4);
  const T v = in[i];
  out[i] = v != v ? std::numeric_limits<T>::lowest() : std::clamp(v * factor, -limit, limit);
}
)";

/// The kernel's result on the CPU.
template <class T>
T clamp_scale_on_cpu(T v, T factor) {
  const T limit = std::numeric_limits<T>::max() / T(4);
  return std::isnan(v) ? std::numeric_limits<T>::lowest() : std::clamp(v * factor, -limit, limit);
}

template <class T>
void check_clamp_scale(const Module& module, std::mt19937& rng) {
  const int n = 1 + static_cast<int>(rng() % 20'000);
  CAPTURE(n);
  std::uniform_real_distribution<T> pick(-1, 1);
  const T factor = std::numeric_limits<T>::max() * pick(rng);  // large: many products clamp
  std::vector<T> in(static_cast<std::size_t>(n));
  for (auto& v : in) v = std::ldexp(pick(rng), static_cast<int>(rng() % 8));
  in[rng() % in.size()] = std::numeric_limits<T>::quiet_NaN();
  auto in_gpu = to_device(in);
  DeviceBuffer<T> out_gpu(in.size());
  out_gpu.fill_bytes(0xFF);  // NaN: every element must be written
  module.kernel(template_name("clamp_scale", type<T>())).launch(grid_for(n, 128), 128, in_gpu, out_gpu, n, factor);
  const auto out = out_gpu.to_host();
  for (std::size_t i = 0; i < in.size(); ++i) {
    CAPTURE(i);
    CAPTURE(in[i]);
    REQUIRE(out[i] == clamp_scale_on_cpu(in[i], factor));
  }
}

}  // namespace

TEST_CASE("jitify-style standard headers: <cstdint>, <limits>, <algorithm>, <cfloat> in a template, then from the disk cache") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  const Source source = Source::string(k_clamp_scale, "clamp_scale.cu");
  const CompileOptions options{
      .name_expressions = {template_name("clamp_scale", type<float>()), template_name("clamp_scale", type<double>())}};
  for (const Origin expected : {Origin::compiled, Origin::disk_cache}) {
    auto engine = engine_in(cache);
    const Module module = engine.compile(source, options);
    REQUIRE(module.origin() == expected);
    check_clamp_scale<float>(module, rng);
    check_clamp_scale<double>(module, rng);
  }
}
