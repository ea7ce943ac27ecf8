// The memory store: the disk store's semantics, in this process only.
#include "cache_test_util.hpp"

#include <jitcu/cache/memory_store.hpp>

#include <set>

using namespace jitcu::cache;
using namespace jitcu::test;

TEST_CASE("memory store: round trip, first put wins, misses") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  MemoryStore store(1ull << 30);
  CHECK(store.location() == "memory");
  const Key key = random_key(rng);
  CHECK_FALSE(store.find(key).has_value());
  const NewEntry entry = make_entry(rng, rng() % 100'000);
  REQUIRE(store.put(key, entry));
  CHECK_FALSE(store.put(key, make_entry(rng)));
  const auto found = store.find(key);
  REQUIRE(found);
  CHECK(found->key == key);
  CHECK(found->dir.empty());
  CHECK(reads_back(store, *found, entry));
  CHECK(store.read_blob(*found, "absent.bin") == std::nullopt);
  CHECK_THROWS_AS(store.read_blob(*found, "../x"), std::invalid_argument);
  NewEntry bad = make_entry(rng);
  bad.blobs["meta.json"] = "x";
  CHECK_THROWS_AS(store.put(random_key(rng), bad), std::invalid_argument);
  for (const auto& result : store.verify()) CHECK(result.ok);
  CHECK(store.stats().entries == 1);
  CHECK(store.stats().total_size_bytes == found->total_size_bytes);

  store.remove(key);
  CHECK_FALSE(store.find(key).has_value());
  CHECK(store.read_blob(*found, "program.ptx") == std::nullopt);  // evicted: a miss
  REQUIRE(store.put(key, entry));
  CHECK(store.clear() == 1);
  CHECK(store.stats().total_size_bytes == 0);
}

TEST_CASE("memory store: least recently used entries go over the cap") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  std::vector<Key> keys;
  std::vector<NewEntry> entries;
  for (int i = 0; i < 10; ++i) {
    keys.push_back(random_key(rng));
    entries.push_back(make_entry(rng, 10'000));
  }
  MemoryStore measure(1ull << 30);
  REQUIRE(measure.put(keys[0], entries[0]));
  const std::uint64_t one = measure.stats().total_size_bytes;

  MemoryStore store(one * 5 + one / 2);  // room for five
  for (int i = 0; i < 5; ++i) REQUIRE(store.put(keys[static_cast<std::size_t>(i)], entries[static_cast<std::size_t>(i)]));
  REQUIRE(store.find(keys[0]));  // 0 becomes the most recently used
  REQUIRE(store.put(keys[5], entries[5]));
  std::set<Key> left;
  for (const auto& entry : store.list()) left.insert(entry.key);
  CHECK(left == std::set<Key>{keys[0], keys[2], keys[3], keys[4], keys[5]});
  CHECK(store.stats().total_size_bytes <= one * 5 + one / 2);

  CHECK(store.prune_to_size(one * 2 + one / 2) == 3);
  left.clear();
  for (const auto& entry : store.list()) left.insert(entry.key);
  CHECK(left == std::set<Key>{keys[0], keys[5]});
  CHECK(store.prune_older_than(std::chrono::system_clock::now() - std::chrono::hours(1)) == 0);
  CHECK(store.prune_older_than(std::chrono::system_clock::now() + std::chrono::seconds(1)) == 2);
}

TEST_CASE("memory store: lock() excludes threads per key, not across keys") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  MemoryStore store(1ull << 30);
  const Key key = random_key(rng);
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        const auto held = store.lock(key);
        if (inside.fetch_add(1) != 0) overlapped = true;
        std::this_thread::yield();
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK_FALSE(overlapped.load());
  const auto held = store.lock(key);
  const auto other = store.lock(random_key(rng));  // another key does not wait
  CHECK(other != nullptr);
}
