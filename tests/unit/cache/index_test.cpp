// The entry index: what a cache hit reads instead of meta.json, and how its damage is handled.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_store.hpp>

#include <stdexcept>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

}  // namespace

TEST_CASE("find_quick reads the index alone: blobs and summary, no metadata") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  NewEntry entry = make_entry(rng, 1 + rng() % 40'000);
  entry.summary = random_bytes(rng, rng() % 3000);  // any bytes: newlines, NULs, digits
  REQUIRE(store.put(key, entry));
  CHECK(fs::is_regular_file(store.entry_dir(key) / "index"));

  clear_log();
  const auto quick = store.find_quick(key);
  REQUIRE(quick);
  CHECK(quick->meta.is_null());
  CHECK(quick->summary == entry.summary);
  CHECK(quick->dir == store.entry_dir(key));
  const auto full = store.find(key);
  REQUIRE(full);
  CHECK(full->summary == entry.summary);
  CHECK(full->meta == entry.meta);
  CHECK(quick->blobs == full->blobs);
  CHECK(quick->created == full->created);
  CHECK(reads_back(store, *quick, entry));
  CHECK(warnings().empty());
  CHECK_FALSE(store.find_quick(random_key(rng)).has_value());  // a plain miss
}

TEST_CASE("an entry without an index (written before it existed) is found through meta.json") {
  std::mt19937_64 rng(test_seed());
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  const NewEntry entry = make_entry(rng);
  REQUIRE(store.put(key, entry));
  fs::remove(store.entry_dir(key) / "index");
  clear_log();
  const auto found = store.find_quick(key);
  REQUIRE(found);
  CHECK(found->meta == entry.meta);
  CHECK(found->summary.empty());
  CHECK(reads_back(store, *found, entry));
  const auto results = store.verify();
  REQUIRE(results.size() == 1);
  CHECK(results[0].ok);
  CHECK(warnings().empty());
}

TEST_CASE("a damaged index is a miss with one warning; the entry goes and can be put again") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (const bool truncate : {false, true}) {
    INFO((truncate ? "truncated" : "a flipped byte"));
    TempDir dir;
    DiskStore store(dir / "cache", k_big_cap);
    const Key key = random_key(rng);
    NewEntry entry = make_entry(rng);
    entry.summary = "kernels and their parameters";
    REQUIRE(store.put(key, entry));
    const fs::path index = store.entry_dir(key) / "index";
    damage_file_bytes(index, truncate, rng);

    const auto results = store.verify();
    REQUIRE(results.size() == 1);
    CHECK_FALSE(results[0].ok);
    CHECK(results[0].problem.rfind("index: ", 0) == 0);

    clear_log();
    CHECK_FALSE(store.find_quick(key).has_value());
    const auto logged = warnings();
    REQUIRE(logged.size() == 1);
    CHECK(logged[0].find(key.hex()) != std::string::npos);
    CHECK(logged[0].find("index: ") != std::string::npos);
    CHECK_FALSE(fs::exists(store.entry_dir(key)));

    REQUIRE(store.put(key, entry));
    const auto again = store.find_quick(key);
    REQUIRE(again);
    CHECK(again->summary == entry.summary);
  }
}

TEST_CASE("an index that lists other blobs than meta.json is damage") {
  std::mt19937_64 rng(test_seed());
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap), elsewhere(dir / "other", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));
  REQUIRE(elsewhere.put(key, make_entry(rng)));  // same key, other blobs: a self-consistent index
  fs::copy_file(elsewhere.entry_dir(key) / "index", store.entry_dir(key) / "index",
                fs::copy_options::overwrite_existing);
  const auto results = store.verify();
  REQUIRE(results.size() == 1);
  CHECK(results[0].problem == "index: its blobs differ from meta.json's");
  clear_log();
  CHECK_FALSE(store.find(key).has_value());
  CHECK(warnings().size() == 1);
}

TEST_CASE("\"index\" is the store's own file, not a blob name") {
  std::mt19937_64 rng(test_seed());
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  NewEntry entry = make_entry(rng);
  entry.blobs["index"] = "mine";
  CHECK_THROWS_AS(store.put(random_key(rng), entry), std::invalid_argument);
}
