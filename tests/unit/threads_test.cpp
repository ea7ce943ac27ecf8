// Threads of one process compiling through one disk cache, for ThreadSanitizer (.ci/run) as much
// as for the results: the same and different keys, compile() and compile_async(), and a cap so
// small that entries are evicted while other threads hit them.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>

using namespace jitcu;
using namespace jitcu::test;

namespace {

const char* const k_kernel = "extern \"C\" __global__ void k(int* x) { *x = VALUE * 1000003 + 17; }\n";
constexpr std::uint64_t k_cap_bytes = 10 * 1024;  // an entry is ~7 KiB: one fits, three keys evict each other

CompileOptions with_value(int value) {
  return CompileOptions{.defines = {{"VALUE", std::to_string(value)}}, .arch = "sm_90"};
}

}  // namespace

TEST_CASE("4 threads, 3 keys, compile and compile_async, a cap that evicts under hits: every module is its key's") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  TempDir cache;
  const Source source = Source::string(k_kernel, "threads.cu");
  std::atomic<int> wrong{0}, modules{0};
  std::vector<std::jthread> threads;
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(seed + t);
      // One engine per thread and another per round: a new engine's first compile of a key is
      // a disk hit (or a compile after an eviction), not the process cache of a shared engine.
      Engine shared(EngineOptions{.cache_dir = cache.path(), .cache_max_bytes = k_cap_bytes, .worker_processes = 0});
      for (int round = 0; round < 6; ++round) {
        const int value = static_cast<int>(rng() % 3);
        Engine fresh(EngineOptions{.cache_dir = cache.path(), .cache_max_bytes = k_cap_bytes, .worker_processes = 0});
        const Module module = rng() % 2 ? fresh.compile(source, with_value(value))
                                        : shared.compile_async(source, with_value(value)).get();
        ++modules;
        if (module.ptx().find(std::to_string(value * 1000003 + 17)) == std::string::npos) ++wrong;
      }
    });
  }
  threads.clear();  // joins
  CHECK(modules == 24);
  CHECK(wrong == 0);
  auto checker = engine_in(cache);
  for (const auto& result : checker.store().disk()->verify()) CHECK_MESSAGE(result.ok, result.problem);
}
