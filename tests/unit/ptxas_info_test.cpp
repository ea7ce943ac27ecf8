// ptxas's verbose lines in NVRTC's log become each kernel's resources (cache show, Kernel info).
#include "ptxas_info.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <random>

using namespace jitcu;
using jitcu::test::test_seed;

namespace {

// One kernel's block, as NVRTC 13.0 writes it with -Xptxas -v.
std::string kernel_block(const std::string& symbol, const cache::KernelResources& r) {
  return fmt::format("ptxas info    : Compiling entry function '{}' for 'sm_90'\n"
                     "ptxas info    : Function properties for {}\n"
                     "ptxas         .     {} bytes stack frame, {} bytes spill stores, {} bytes spill loads\n"
                     "ptxas info    : Used {} registers, used 1 barriers, {} bytes smem\n"
                     "ptxas info    : Compile time = 1.250 ms\n",
                     symbol, symbol, r.stack_frame_bytes, r.spill_store_bytes, r.spill_load_bytes, r.registers,
                     r.shared_bytes);
}

}  // namespace

TEST_CASE("each kernel's registers, spills, stack frame and shared memory are read from ptxas's lines") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> small(0, 255), bytes(0, 3'000'000'000);  // past int: kept whole
  const std::vector<std::string> symbols = {"_Z3dotPKfS0_Pfi", "saxpy", "_ZN2ns6affineEPKfPfi"};
  std::string log = "ptxas info    : 0 bytes gmem\n";
  std::map<std::string, cache::KernelResources> expected;
  for (const auto& symbol : symbols) {
    const cache::KernelResources r{small(rng), bytes(rng), bytes(rng), bytes(rng), bytes(rng)};
    expected[symbol] = r;
    log += kernel_block(symbol, r);
  }
  log += "k.cu(3): warning #177-D: variable \"unused\" was declared but never referenced\n";
  CHECK(detail::parse_ptxas_info(log) == expected);
}

TEST_CASE("a kernel ptxas reports no properties for has zeros; lines before any kernel are no kernel's") {
  const std::string log = "ptxas info    : Used 99 registers, used 0 barriers\n"
                          "ptxas info    : Compiling entry function 'empty' for 'sm_90'\n";
  const auto found = detail::parse_ptxas_info(log);
  REQUIRE(found.size() == 1);
  CHECK(found.at("empty") == cache::KernelResources{});
  CHECK(detail::parse_ptxas_info("").empty());
}
