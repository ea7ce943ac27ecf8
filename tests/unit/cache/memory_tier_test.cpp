// The memory tier: the disk tier's get/put/remove/lock, in this process only, under a size cap.
#include "cache_test_util.hpp"

#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/record.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <atomic>
#include <set>

using namespace jitcu::cache;
using namespace jitcu::test;

TEST_CASE("memory tier: round trip, selected blobs, first put wins, misses, remove") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  clear_log();
  MemoryTier tier(1ull << 30);
  CHECK(tier.describe() == "memory");
  const Key key = random_key(rng);
  CHECK_FALSE(tier.get(key, BlobSelection::all()).has_value());
  const Entry entry = random_entry(rng, key, rng() % 100'000);
  tier.put(key, entry);
  tier.put(key, random_entry(rng, key));  // the first put of a key wins
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  for (const std::string& name : loadable_blobs())
    CHECK(same_entry(tier.get(key, BlobSelection::only(name)), selected(entry, BlobSelection::only(name))));
  CHECK(same_entry(tier.get(key, BlobSelection::none()), selected(entry, BlobSelection::none())));
  CHECK(same_entry(tier.get(key, BlobSelection::only("sm_80.cubin")), selected(entry, BlobSelection::none())));
  CHECK(tier.entry_count() == 1);
  CHECK(tier.size_bytes() == entry.record.blob_bytes() + encode_record(entry.record).size());

  tier.remove(key);
  tier.remove(key);  // absent: nothing happens
  CHECK_FALSE(tier.get(key, BlobSelection::all()).has_value());
  CHECK(tier.entry_count() == 0);
  CHECK(tier.size_bytes() == 0);
  const Entry again = random_entry(rng, key);
  tier.put(key, again);
  CHECK(same_entry(tier.get(key, BlobSelection::all()), again));
  CHECK(warnings().empty());
}

TEST_CASE("memory tier: least recently used entries go over the cap; one too large for it is not kept") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  std::vector<Key> keys;
  std::vector<Entry> entries;
  for (int i = 0; i < 10; ++i) {
    keys.push_back(random_key(rng));
    entries.push_back(random_entry(rng, keys.back(), 10'000));  // all of one size
  }
  MemoryTier measure(1ull << 30);
  measure.put(keys[0], entries[0]);
  const std::uint64_t one = measure.size_bytes();
  measure.put(keys[1], entries[1]);
  REQUIRE(measure.size_bytes() == 2 * one);

  MemoryTier tier(one * 5 + one / 2);  // room for five
  for (std::size_t i = 0; i < 5; ++i) tier.put(keys[i], entries[i]);
  REQUIRE(tier.entry_count() == 5);
  REQUIRE(tier.get(keys[0], BlobSelection::none()));  // 0 becomes the most recently used
  tier.put(keys[5], entries[5]);
  std::set<Key> left;
  for (std::size_t i = 0; i < 6; ++i)
    if (tier.get(keys[i], BlobSelection::none())) left.insert(keys[i]);
  CHECK(left == std::set<Key>{keys[0], keys[2], keys[3], keys[4], keys[5]});
  CHECK(tier.entry_count() == 5);
  CHECK(tier.size_bytes() <= one * 5 + one / 2);
  CHECK(tier.tally()->total().evictions == 1);
  tier.remove(keys[0]);  // a removal is not an eviction
  CHECK(tier.tally()->total().evictions == 1);
  for (std::size_t i = 6; i < 10; ++i) tier.put(keys[i], entries[i]);  // four more into four held: three go
  CHECK(tier.entry_count() == 5);
  CHECK(tier.tally()->total().evictions == 4);

  MemoryTier small(one / 2);
  small.put(keys[6], entries[6]);
  CHECK_FALSE(small.get(keys[6], BlobSelection::all()).has_value());
  CHECK(small.entry_count() == 0);
  CHECK(small.size_bytes() == 0);
  CHECK(small.tally()->total().evictions == 1);
}

TEST_CASE("memory tier: a store over it counts the tier's evictions with its hits") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  const Key first = random_key(rng), second = random_key(rng);
  const Entry first_entry = random_entry(rng, first, 10'000), second_entry = random_entry(rng, second, 10'000);
  MemoryTier measure(1ull << 30);
  measure.put(first, first_entry);
  auto tier = std::make_shared<MemoryTier>(measure.size_bytes() + measure.size_bytes() / 2);  // room for one
  TieredStore store({tier});
  store.put(first, first_entry);
  REQUIRE(store.get(first, BlobSelection::all()).has_value());
  store.put(second, second_entry);  // the first goes
  CHECK_FALSE(store.get(first, BlobSelection::all()).has_value());
  const CacheCounters counted = store.counters();
  CHECK(counted.evictions == 1);
  CHECK(counted.memory_hits == 1);
}

TEST_CASE("memory tier: lock() excludes threads per key, not across keys, and outlives the tier") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  auto tier = std::make_unique<MemoryTier>(1ull << 30);
  const Key key = random_key(rng);
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        const auto held = tier->lock(key);
        if (inside.fetch_add(1) != 0) overlapped = true;
        std::this_thread::yield();
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK_FALSE(overlapped.load());
  auto held = tier->lock(key);
  const auto other = tier->lock(random_key(rng));  // another key does not wait
  CHECK(other != nullptr);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    const auto mine = tier->lock(key);
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(got.load());  // blocked on the held key
  held.reset();
  waiter.join();
  CHECK(got.load());
  auto last = tier->lock(key);
  tier.reset();  // a lock may be released after its tier is gone
  last.reset();
}
