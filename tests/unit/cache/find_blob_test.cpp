// Store::find_blob, the cache hit's one-pass read: the same answers as find_quick + read_blob,
// for intact entries, missing ones, damaged ones and entries written before the index existed.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_store.hpp>
#include <jitcu/cache/memory_store.hpp>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

/// `large`: a summary of 3-20 KB, so the index is larger than the page the hit reads it with.
NewEntry entry_with_summary(std::mt19937_64& rng, bool large = false) {
  NewEntry entry = make_entry(rng, 1 + rng() % 40'000);
  // Any bytes: the store keeps them as given.
  entry.summary = random_bytes(rng, large ? 3'000 + rng() % 17'000 : rng() % 600);
  return entry;
}

}  // namespace

TEST_CASE("find_blob gives what find_quick and read_blob give, in a disk and a memory store") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore disk(dir / "cache", k_big_cap);
  MemoryStore memory(k_big_cap);
  for (Store* store : {static_cast<Store*>(&disk), static_cast<Store*>(&memory)}) {
    INFO("store " << store->location());
    for (int round = 0; round < 8; ++round) {
      const Key key = random_key(rng);
      const NewEntry entry = entry_with_summary(rng, round % 2 == 1);
      REQUIRE(store->put(key, entry));
      for (const auto& [name, bytes] : entry.blobs) {
        const std::optional<FoundBlob> found = store->find_blob(key, name);
        REQUIRE(found);
        CHECK(found->bytes == bytes);
        CHECK(found->summary == entry.summary);
        const std::optional<FoundEntry> quick = store->find_quick(key);
        REQUIRE(quick);
        CHECK(found->dir == quick->dir);
      }
      CHECK_FALSE(store->find_blob(key, "sm_80.cubin").has_value());  // no such blob: the entry stays
      CHECK(store->find_quick(key).has_value());
      CHECK_FALSE(store->find_blob(random_key(rng), "sm_90.cubin").has_value());  // no such entry
    }
  }
  CHECK(warnings().empty());
}

TEST_CASE("find_blob on a damaged blob or index: one warning, a miss, the entry removed") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (const std::string file : {"sm_90.cubin", "index"}) {
    for (const bool truncate : {false, true}) {
      INFO(file << (truncate ? ": truncated" : ": a byte flipped"));
      TempDir dir;
      DiskStore store(dir / "cache", k_big_cap);
      const Key key = random_key(rng);
      const NewEntry entry = entry_with_summary(rng);
      REQUIRE(store.put(key, entry));
      damage_file_bytes(store.entry_dir(key) / file, truncate, rng);

      clear_log();
      CHECK_FALSE(store.find_blob(key, "sm_90.cubin").has_value());
      const auto logged = warnings();
      REQUIRE(logged.size() == 1);
      CHECK(logged[0].find(key.hex()) != std::string::npos);
      CHECK_FALSE(fs::exists(store.entry_dir(key)));
      REQUIRE(store.put(key, entry));  // the caller compiles again
      const auto again = store.find_blob(key, "sm_90.cubin");
      REQUIRE(again);
      CHECK(again->bytes == entry.blobs.at("sm_90.cubin"));
    }
  }
}

TEST_CASE("find_blob reads an entry written before the index existed, through meta.json") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  const NewEntry entry = entry_with_summary(rng);
  REQUIRE(store.put(key, entry));
  fs::remove(store.entry_dir(key) / "index");
  clear_log();
  const auto found = store.find_blob(key, "sm_90.cubin");
  REQUIRE(found);
  CHECK(found->bytes == entry.blobs.at("sm_90.cubin"));
  CHECK(found->summary.empty());  // meta.json has no summary: the engine then reads meta.json
  CHECK(warnings().empty());
}

TEST_CASE("find_blob records the use as find does") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, entry_with_summary(rng)));
  const fs::path entry_dir = store.entry_dir(key);
  set_mtime(entry_dir, std::chrono::system_clock::now() - std::chrono::hours(2 + rng() % 100));
  const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
  REQUIRE(store.find_blob(key, "program.ptx"));
  CHECK(mtime_of(entry_dir) > before);
}
