// A kernel whose code comes from headers given as text (CompileOptions::headers), launched on
// fresh random input and checked against the CPU; another text in the same engine runs its own code.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// The device function, in memory: y = x * MUL + ADD, wrapping as unsigned arithmetic does.
std::string affine_header(std::uint32_t mul, std::uint32_t add) {
  return "#pragma once\n#include \"ops/constants.cuh\"\n"
         "__device__ inline unsigned affine(unsigned x) { return x * MUL + ADD; }\n"
         "// MUL=" + std::to_string(mul) + " ADD=" + std::to_string(add) + "\n";
}

std::string constants_header(std::uint32_t mul, std::uint32_t add) {
  return "#pragma once\n#define MUL " + std::to_string(mul) + "u\n#define ADD " + std::to_string(add) + "u\n";
}

const char* k_kernel = R"(#include <ops/affine.cuh>
extern "C" __global__ void apply(const unsigned* x, unsigned* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = affine(x[i]);
}
)";

}  // namespace

TEST_CASE("a kernel calling code from in-memory headers matches the CPU on fresh input, for each header text") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string(k_kernel, "apply.cu");
  const std::size_t n = 1 + rng() % 200'000;  // odd sizes: the tail block
  CAPTURE(n);
  std::vector<std::uint32_t> x(n);
  for (auto& v : x) v = static_cast<std::uint32_t>(rng());
  auto x_gpu = to_device(x);

  for (int round = 0; round < 2; ++round) {
    const std::uint32_t mul = static_cast<std::uint32_t>(rng()) | 1u, add = static_cast<std::uint32_t>(rng());
    CAPTURE(mul);
    CAPTURE(add);
    const CompileOptions options{.headers = {{"ops/affine.cuh", affine_header(mul, add)},
                                             {"ops/constants.cuh", constants_header(mul, add)}}};
    const Kernel apply = engine.compile(source, options).kernel("apply");
    DeviceBuffer<std::uint32_t> y_gpu(n + 256);  // room past the end: must stay poisoned
    y_gpu.fill_bytes(0xAB);
    apply.launch(grid_for(n, 256), 256, x_gpu, y_gpu, static_cast<int>(n));
    const auto y = y_gpu.to_host();
    for (std::size_t i = 0; i < n; ++i) {
      if (y[i] == x[i] * mul + add) continue;
      INFO("at " << i << ": x=" << x[i] << " got " << y[i]);
      REQUIRE(y[i] == x[i] * mul + add);
    }
    for (std::size_t i = n; i < y.size(); ++i) {
      INFO("past the end at " << i);
      REQUIRE(y[i] == 0xABABABABu);
    }
  }
}
