// The size cap: least recently used entries go first, the running total stays honest.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_store.hpp>

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
Filled fill(DiskStore& store, std::mt19937_64& rng, int count) {
  Filled filled;
  for (int i = 0; i < count; ++i) {
    const Key key = random_key(rng);
    REQUIRE(store.put(key, make_entry(rng, 2'000 + rng() % 20'000)));
    filled.by_use.push_back(key);
    filled.sizes[key] = store.find(key)->total_size_bytes;
  }
  std::shuffle(filled.by_use.begin(), filled.by_use.end(), rng);
  const auto base = std::chrono::system_clock::now() - std::chrono::hours(1);
  for (std::size_t i = 0; i < filled.by_use.size(); ++i) {
    set_mtime(store.entry_dir(filled.by_use[i]), base + std::chrono::seconds(i));
  }
  return filled;
}

std::set<Key> surviving(DiskStore& store) {
  std::set<Key> keys;
  for (const FoundEntry& entry : store.list()) keys.insert(entry.key);
  return keys;
}

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
  DiskStore store(dir / "cache", k_big_cap);
  const Filled filled = fill(store, rng, 30);
  const std::uint64_t total = store.stats().total_size_bytes;
  const std::uint64_t cap = total / 3;

  const std::size_t removed = store.prune_to_size(cap);
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
    DiskStore roomy(root, k_big_cap);
    filled = fill(roomy, rng, 30);
  }
  const std::uint64_t cap = DiskStore(root, k_big_cap).stats().total_size_bytes / 2;
  DiskStore store(root, cap);
  // A hit makes the oldest entry the newest one.
  const Key revived = filled.by_use.front();
  REQUIRE(store.find(revived).has_value());
  filled.by_use.erase(filled.by_use.begin());
  filled.by_use.push_back(revived);

  const Key added = random_key(rng);
  REQUIRE(store.put(added, make_entry(rng, 10'000)));
  filled.by_use.push_back(added);
  const std::set<Key> survivors = surviving(store);
  CHECK(survivors.contains(added));
  CHECK(survivors.contains(revived));
  check_lru_suffix(filled.by_use, survivors);
  const StoreStats stats = store.stats();
  CHECK(stats.total_size_bytes <= cap);
  CHECK(stats.entries == survivors.size());
  CHECK(stats.entries < 31);
  const auto ledger = nlohmann::json::parse(read_file(root / "size"));
  CHECK(ledger["total_size_bytes"] == stats.total_size_bytes);
}

TEST_CASE("the running total in <root>/size follows puts and removals, and is rebuilt if lost") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  DiskStore store(root, k_big_cap);
  auto ledger_total = [&] {
    return nlohmann::json::parse(read_file(root / "size"))["total_size_bytes"].get<std::uint64_t>();
  };
  std::vector<Key> keys;
  for (int i = 0; i < 10; ++i) {
    keys.push_back(random_key(rng));
    REQUIRE(store.put(keys.back(), make_entry(rng, rng() % 10'000)));
    CHECK(ledger_total() == store.stats().total_size_bytes);
  }
  store.remove(keys[3]);
  CHECK(ledger_total() == store.stats().total_size_bytes);
  fs::remove(root / "size");
  REQUIRE(store.put(random_key(rng), make_entry(rng)));
  CHECK(ledger_total() == store.stats().total_size_bytes);
  write_file(root / "size", "garbage");
  REQUIRE(store.put(random_key(rng), make_entry(rng)));
  CHECK(ledger_total() == store.stats().total_size_bytes);
  // A total recorded too low (a crash between publish and update) is fixed by the daily scan.
  write_file(root / "size", R"({"total_size_bytes": 5, "last_scan_unix": 1000})");
  REQUIRE(store.put(random_key(rng), make_entry(rng)));
  CHECK(ledger_total() == store.stats().total_size_bytes);
}

TEST_CASE("a writer killed between publishing and counting: the next put recounts, opening does not") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  std::vector<Key> stored;
  {
    DiskStore roomy(root, k_big_cap);
    for (int i = 0; i < 20; ++i) {
      stored.push_back(random_key(rng));
      REQUIRE(roomy.put(stored.back(), make_entry(rng, 4'000 + rng() % 8'000)));
    }
  }
  const std::uint64_t filled = DiskStore(root, k_big_cap).stats().total_size_bytes;
  const std::uint64_t cap = filled + filled / 4;
  // What the dead writer left: its marker, and a total that misses its entry (here most of them),
  // scanned a moment ago so that the daily rescan does not come to the rescue.
  const auto now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  const auto low_ledger = nlohmann::json{{"total_size_bytes", filled / 10}, {"last_scan_unix", now_unix}}.dump();
  write_file(root / "size", low_ledger);
  write_file(root / "locks" / "publishing", "");
  auto ledger_total = [&] {
    return nlohmann::json::parse(read_file(root / "size"))["total_size_bytes"].get<std::uint64_t>();
  };

  DiskStore store(root, cap);
  REQUIRE(store.find(stored.front()).has_value());
  CHECK(fs::exists(root / "locks" / "publishing"));  // opening and hits write nothing
  CHECK(ledger_total() == filled / 10);

  // A put the ledger would let through (filled/10 + filled/2 < cap) takes the cache over its cap.
  const Key added = random_key(rng);
  REQUIRE(store.put(added, make_entry(rng, filled / 2)));
  CHECK_FALSE(fs::exists(root / "locks" / "publishing"));
  const StoreStats after = store.stats();
  CHECK(after.total_size_bytes <= cap);
  CHECK(after.entries < stored.size() + 1);  // something was evicted
  CHECK(ledger_total() == after.total_size_bytes);
  CHECK(store.find(added).has_value());

  // A prune counts everything too, and so takes the marker away.
  write_file(root / "size", low_ledger);
  write_file(root / "locks" / "publishing", "");
  store.prune_to_size(cap);
  CHECK_FALSE(fs::exists(root / "locks" / "publishing"));
  CHECK(ledger_total() == store.stats().total_size_bytes);
}

TEST_CASE("an entry bigger than the whole cap is published and then evicted, alone") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", 40'000);
  const Key small = random_key(rng);
  REQUIRE(store.put(small, make_entry(rng, 1'000)));
  const Key huge = random_key(rng);
  CHECK(store.put(huge, make_entry(rng, 100'000)));
  CHECK_FALSE(store.find(huge).has_value());
  CHECK(store.stats().total_size_bytes <= 40'000);
  // An entry that fits is kept even where the headroom below the cap is smaller than it.
  const Key fitting = random_key(rng);
  REQUIRE(store.put(fitting, make_entry(rng, 38'000)));
  CHECK(store.find(fitting).has_value());
  CHECK(store.stats().total_size_bytes <= 40'000);
}

TEST_CASE("a reader holding an evicted entry gets a miss, never wrong bytes") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));
  const auto found = store.find(key);
  REQUIRE(found);
  clear_log();
  CHECK(store.prune_to_size(0) == 1);
  CHECK(store.read_blob(*found, "sm_90.cubin") == std::nullopt);
  CHECK(warnings().empty());

  // Under eviction pressure from another thread, reads are right or missing.
  std::vector<Key> keys;
  for (int i = 0; i < 8; ++i) {
    keys.push_back(random_key(rng));
    REQUIRE(store.put(keys.back(), entry_for_key(keys.back())));
  }
  const std::uint64_t cap = store.stats().total_size_bytes / 2;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::thread reader([&] {
    std::mt19937_64 local(seed);
    while (!stop) {
      const Key& k = keys[local() % keys.size()];
      const auto hit = store.find(k);
      if (!hit) continue;
      for (const auto& [name, bytes] : entry_for_key(k).blobs) {
        const auto read = store.read_blob(*hit, name);
        if (read && *read != bytes) ++wrong;
      }
    }
  });
  for (int i = 0; i < 60; ++i) {
    store.prune_to_size(cap);
    for (const Key& k : keys) {
      if (!store.find(k)) store.put(k, entry_for_key(k));
    }
  }
  stop = true;
  reader.join();
  CHECK(wrong == 0);
  CHECK(warnings().empty());
}
