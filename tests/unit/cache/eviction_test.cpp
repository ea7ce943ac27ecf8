// The size cap: least recently used entries go first, the running total stays honest.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_tier.hpp>

#include <algorithm>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

struct Filled {
  std::vector<Key> by_use;  // least recently used first
  std::map<Key, std::uint64_t> sizes;
};

// Puts `count` entries of random sizes, then gives them last-use times in a random order.
Filled fill(DiskTier& store, std::mt19937_64& rng, int count) {
  Filled filled;
  for (int i = 0; i < count; ++i) {
    const Key key = random_key(rng);
    store.put(key, random_entry(rng, key, 2'000 + rng() % 20'000));
    filled.by_use.push_back(key);
  }
  filled.sizes = entry_sizes(store);
  REQUIRE(filled.sizes.size() == filled.by_use.size());
  std::shuffle(filled.by_use.begin(), filled.by_use.end(), rng);
  const auto base = std::chrono::system_clock::now() - std::chrono::hours(1);
  for (std::size_t i = 0; i < filled.by_use.size(); ++i) {
    set_mtime(store.entry_dir(filled.by_use[i]), base + std::chrono::seconds(i));
  }
  return filled;
}

std::set<Key> surviving(DiskTier& store) {
  std::set<Key> keys;
  for (const ListedEntry& entry : store.list()) keys.insert(entry.record.key);
  return keys;
}

/// A hit, as the engine's: the record and the image.
bool hit(DiskTier& store, const Key& key) { return store.get(key, BlobSelection::only("sm_90.cubin")).has_value(); }

// Survivors are exactly the most recently used suffix of `by_use`.
void check_lru_suffix(const std::vector<Key>& by_use, const std::set<Key>& survivors) {
  const auto first_kept = std::find_if(by_use.begin(), by_use.end(),
                                       [&](const Key& k) { return survivors.contains(k); });
  for (auto it = first_kept; it != by_use.end(); ++it) {
    INFO("use rank " << (it - by_use.begin()));
    CHECK(survivors.contains(*it));
  }
}

}  // namespace

TEST_CASE("prune_to_size keeps the most recently used entries within the cap") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier store(dir / "cache", k_big_cap);
  const Filled filled = fill(store, rng, 30);
  const std::uint64_t total = store.stats().total_size_bytes;
  const std::uint64_t cap = total / 3;

  const std::size_t removed = store.prune_to_size(cap).entries;
  const std::set<Key> survivors = surviving(store);
  CHECK(removed + survivors.size() == filled.by_use.size());
  CHECK_FALSE(survivors.empty());
  CHECK(survivors.contains(filled.by_use.back()));
  check_lru_suffix(filled.by_use, survivors);
  const std::uint64_t kept = store.stats().total_size_bytes;
  CHECK(kept <= cap);
  // No more than needed went: the last one evicted would not have fitted.
  const Key last_evicted = filled.by_use[filled.by_use.size() - survivors.size() - 1];
  CHECK(kept + filled.sizes.at(last_evicted) > cap);
  CHECK(count_children(dir / "cache" / "tmp") == 0);
}

TEST_CASE("put evicts least recently used entries once the cap is reached") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  Filled filled;
  {
    DiskTier roomy(root, k_big_cap);
    filled = fill(roomy, rng, 30);
  }
  const std::uint64_t cap = DiskTier(root, k_big_cap).stats().total_size_bytes / 2;
  DiskTier store(root, cap);
  // A hit makes the oldest entry the newest one.
  const Key revived = filled.by_use.front();
  REQUIRE(hit(store, revived));
  filled.by_use.erase(filled.by_use.begin());
  filled.by_use.push_back(revived);

  const Key added = random_key(rng);
  store.put(added, random_entry(rng, added, 10'000));
  filled.by_use.push_back(added);
  const std::set<Key> survivors = surviving(store);
  CHECK(survivors.contains(added));
  CHECK(survivors.contains(revived));
  check_lru_suffix(filled.by_use, survivors);
  const DiskStats stats = store.stats();
  CHECK(stats.total_size_bytes <= cap);
  CHECK(stats.entries == survivors.size());
  CHECK(stats.entries < 31);
  CHECK(ledger_total(root) == stats.total_size_bytes);
}

TEST_CASE("the running total in <root>/size follows puts and removals, and is rebuilt if lost") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  DiskTier store(root, k_big_cap);
  const auto put_new = [&](std::size_t cubin_bytes) {
    const Key key = random_key(rng);
    store.put(key, random_entry(rng, key, cubin_bytes));
    REQUIRE(hit(store, key));
    return key;
  };
  std::vector<Key> keys;
  for (int i = 0; i < 10; ++i) {
    keys.push_back(put_new(rng() % 10'000));
    CHECK(ledger_total(root) == store.stats().total_size_bytes);
  }
  store.remove(keys[3]);
  CHECK(ledger_total(root) == store.stats().total_size_bytes);
  fs::remove(root / "size");
  put_new(4096);
  CHECK(ledger_total(root) == store.stats().total_size_bytes);
  write_file(root / "size", "garbage");
  put_new(4096);
  CHECK(ledger_total(root) == store.stats().total_size_bytes);
  // A total recorded too low (a crash between publish and update) is fixed by the daily scan.
  write_file(root / "size", R"({"total_size_bytes": 5, "last_scan_unix": 1000})");
  put_new(4096);
  CHECK(ledger_total(root) == store.stats().total_size_bytes);
}

TEST_CASE("a writer killed between publishing and counting: the next put recounts, opening does not") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  std::vector<Key> stored;
  {
    DiskTier roomy(root, k_big_cap);
    for (int i = 0; i < 20; ++i) {
      stored.push_back(random_key(rng));
      roomy.put(stored.back(), random_entry(rng, stored.back(), 4'000 + rng() % 8'000));
    }
  }
  const std::uint64_t filled = DiskTier(root, k_big_cap).stats().total_size_bytes;
  const std::uint64_t cap = filled + filled / 4;
  // What the dead writer left: its marker, and a total that misses its entry (here most of them),
  // scanned a moment ago so that the daily rescan does not come to the rescue.
  const auto now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  const auto low_ledger = nlohmann::json{{"total_size_bytes", filled / 10}, {"last_scan_unix", now_unix}}.dump();
  write_file(root / "size", low_ledger);
  write_file(root / "locks" / "publishing", "");

  DiskTier store(root, cap);
  REQUIRE(hit(store, stored.front()));
  CHECK(fs::exists(root / "locks" / "publishing"));  // opening and hits write nothing
  CHECK(ledger_total(root) == filled / 10);

  // A put the ledger would let through (filled/10 + filled/2 < cap) takes the cache over its cap.
  const Key added = random_key(rng);
  store.put(added, random_entry(rng, added, filled / 2));
  CHECK_FALSE(fs::exists(root / "locks" / "publishing"));
  const DiskStats after = store.stats();
  CHECK(after.total_size_bytes <= cap);
  CHECK(after.entries < stored.size() + 1);  // something was evicted
  CHECK(ledger_total(root) == after.total_size_bytes);
  CHECK(hit(store, added));

  // A prune counts everything too, and so takes the marker away.
  write_file(root / "size", low_ledger);
  write_file(root / "locks" / "publishing", "");
  store.prune_to_size(cap);
  CHECK_FALSE(fs::exists(root / "locks" / "publishing"));
  CHECK(ledger_total(root) == store.stats().total_size_bytes);
}

TEST_CASE("an entry bigger than the whole cap is published and then evicted, alone") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier store(dir / "cache", 40'000);
  const Key small = random_key(rng);
  store.put(small, random_entry(rng, small, 1'000));
  REQUIRE(hit(store, small));
  const Key huge = random_key(rng);
  store.put(huge, random_entry(rng, huge, 100'000));
  CHECK_FALSE(hit(store, huge));
  CHECK(store.stats().total_size_bytes <= 40'000);
  // An entry that fits is kept even where the headroom below the cap is smaller than it.
  const Key fitting = random_key(rng);
  store.put(fitting, random_entry(rng, fitting, 36'000));
  CHECK(hit(store, fitting));
  CHECK(store.stats().total_size_bytes <= 40'000);
}

TEST_CASE("reads under eviction from another thread give the right entry or a miss, never a warning") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier store(dir / "cache", k_big_cap);
  std::vector<Key> keys;
  for (int i = 0; i < 8; ++i) {
    keys.push_back(random_key(rng));
    store.put(keys.back(), entry_for_key(keys.back()));
  }
  clear_log();
  const std::uint64_t cap = store.stats().total_size_bytes / 2;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<int> hits{0};
  std::thread reader([&] {
    std::mt19937_64 local(seed);
    while (!stop) {
      const Key& k = keys[local() % keys.size()];
      const std::optional<Entry> found = store.get(k, BlobSelection::all());
      if (!found) continue;
      ++hits;
      if (!same_entry(found, entry_for_key(k))) ++wrong;
    }
  });
  for (int i = 0; i < 60; ++i) {
    store.prune_to_size(cap);
    for (const Key& k : keys) {
      if (!store.get(k, BlobSelection::none())) store.put(k, entry_for_key(k));
    }
  }
  stop = true;
  reader.join();
  CHECK(wrong == 0);
  MESSAGE("hits during eviction: " << hits.load());
  CHECK(warnings().empty());
  for (const VerifyResult& result : store.verify()) CHECK(result.ok);
}
