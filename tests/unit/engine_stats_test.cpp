// Engine::stats(): what this engine's cache did in this process, and the totals every process
// adds to <cache>/stats: a miss, a hit in process memory, a disk hit in a new process, damage.
#include "engine_support.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>

#include <fstream>

using namespace jitcu;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

cache::CacheCounters recorded(const TempDir& cache) {
  return cache::DiskTier(cache.path(), 1ull << 30).recorded_counters().counters;
}

ProcessResult run_child(const TempDir& cache, const fs::path& source) {
  return run_process({JITCU_TEST_CHILD, source.string()},
                     {{"JITCU_CACHE_DIR", cache.path().string()}, {"JITCU_DISABLE_CACHE", ""}});
}

}  // namespace

TEST_CASE("Engine::stats counts a miss and a memory hit; a new process's disk hit reaches <cache>/stats") {
  TempDir cache;
  TempDir sources;
  const fs::path source = sources / "stats.cu";
  write_file(source, "extern \"C\" __global__ void counted(float* x) { x[0] = " + std::to_string(test_seed()) + ".0f; }\n");
  double compile_ms = 0;
  {
    Engine engine = engine_in(cache);
    const Module first = engine.compile(Source::file(source));
    compile_ms = first.compile_ms();
    CHECK(engine.stats().misses == 1);
    CHECK(engine.stats().compiles == 1);
    CHECK(engine.stats().compile_ns > 0);
    CHECK(recorded(cache).misses == 1);  // flushed after the compile: a miss pays for it
    engine.compile(Source::file(source));
    const cache::CacheCounters after_hit = engine.stats();
    CHECK(after_hit.memory_hits == 1);
    CHECK(after_hit.saved_ns == static_cast<std::uint64_t>(compile_ms * 1e6));
    CHECK(recorded(cache).memory_hits == 0);  // the hit is in memory until the engine goes
  }
  CHECK(recorded(cache).memory_hits == 1);

  const ProcessResult child = run_child(cache, source);
  INFO(child.output);
  REQUIRE(child.exit_code == 0);
  CHECK(output_field(child.output, "origin") == "disk_cache");
  const cache::CacheCounters total = recorded(cache);
  CHECK(total.disk_hits == 1);
  CHECK(total.misses == 1);
  CHECK(total.compiles == 1);
  CHECK(total.hits() == 2);

  SUBCASE("a damaged entry is counted, with the miss and compile that replace it") {
    Engine engine = engine_in(cache);
    const std::string key = engine.compile(Source::file(source)).cache_key();
    Engine fresh = engine_in(cache);  // a new store: no process-memory copy
    const fs::path cubin = engine.store().disk()->entry_dir(*cache::Key::from_hex(key)) / "sm_90.cubin";
    fs::permissions(cubin, fs::perms::owner_write, fs::perm_options::add);
    { std::ofstream(cubin, std::ios::app) << "x"; }
    fresh.compile(Source::file(source));
    CHECK(fresh.stats().damaged == 1);
    CHECK(fresh.stats().misses == 1);
    CHECK(recorded(cache).damaged == 1);
  }
}
