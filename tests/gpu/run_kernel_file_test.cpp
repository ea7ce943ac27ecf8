// examples/run_kernel_file on a GPU: a kernel from a user's .cu file launched with arguments
// from the command line gives the CPU's results.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

using namespace jitcu;
using namespace jitcu::test;

#ifdef JITCU_RUN_KERNEL_FILE
constexpr bool k_example_built = true;
#else
#define JITCU_RUN_KERNEL_FILE ""
constexpr bool k_example_built = false;
#endif

TEST_CASE("run_kernel_file launches a user's kernel with command-line arguments" * doctest::skip(!k_example_built)) {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir tmp, cache;
  // y[i] = a * i + b, in integers: exact on any GPU.
  write_file(tmp / "ramp.cu", R"(
__global__ void ramp(long long a, int b, long long* y, unsigned char* marks, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) { y[i] = a * i + b; marks[i] += 1; }
}
)");
  const long long a = static_cast<long long>(rng() % 2'000'000) - 1'000'000;
  const int b = static_cast<int>(rng() % 2000) - 1000;
  const int n = 1 + static_cast<int>(rng() % 5000);
  const int show = 1 + static_cast<int>(rng() % 20);
  const auto result = run_process({JITCU_RUN_KERNEL_FILE, (tmp / "ramp.cu").string(), "--kernel", "ramp", "--grid",
                                   std::to_string((n + 127) / 128), "--block", "128", "--show", std::to_string(show),
                                   fmt::format("i64={}", a), fmt::format("int={}", b),
                                   fmt::format("long long[{}]=-7", n), fmt::format("u8[{}]=0xfe", n),
                                   fmt::format("i32={}", n)},
                                  {{"JITCU_CACHE_DIR", cache.path().string()}});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(result.output.find("launched ramp(long long, int, long long*, unsigned char*, int)") != std::string::npos);
  std::string want_y, want_marks;
  for (int i = 0; i < std::min(n, show); ++i) {
    want_y += fmt::format("{}{}", i ? " " : "", a * i + b);
    want_marks += fmt::format("{}255", i ? " " : "");
  }
  const std::string more = n > show ? " ..." : "";
  CHECK(result.output.find(fmt::format("argument 2 (long long[{}]=-7): {}{}\n", n, want_y, more)) != std::string::npos);
  CHECK(result.output.find(fmt::format("argument 3 (u8[{}]=0xfe): {}{}\n", n, want_marks, more)) != std::string::npos);
}
