// Many processes and many threads on one cache: one compile per key, no damage, no errors.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_store.hpp>
#include <jitcu/cache/memory_store.hpp>

#include <algorithm>
#include <latch>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

// Appends one line with O_APPEND: lines from all processes interleave whole.
bool append_line(const fs::path& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const std::string text = line + "\n";
  const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return wrote;
}

// One worker process: looks each key up under its lock and "compiles" on a miss.
int compile_worker(const fs::path& root, const std::vector<Key>& keys, const fs::path& compiles,
                   std::uint64_t seed) {
  clear_log();  // what the parent logged before fork() is not ours
  std::mt19937_64 rng(seed);
  DiskStore store(root, k_big_cap);
  for (int round = 0; round < 3; ++round) {
    std::vector<Key> order = keys;
    std::shuffle(order.begin(), order.end(), rng);
    for (const Key& key : order) {
      if (rng() % 2 == 0) {  // a lock-free peek, as a hit path would do
        if (auto peek = store.find(key); peek && !reads_back(store, *peek, entry_for_key(key))) return 2;
      }
      const auto held = store.lock(key);
      if (auto found = store.find(key)) {
        if (!reads_back(store, *found, entry_for_key(key))) return 3;
        continue;
      }
      if (!append_line(compiles, key.hex())) return 4;
      if (!store.put(key, entry_for_key(key))) return 5;
    }
  }
  return warnings().empty() ? 0 : 6;
}

}  // namespace

TEST_CASE("8 processes on overlapping keys: one compile per key, every entry intact") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  const fs::path compiles = dir / "compiles.txt";
  std::vector<Key> keys;
  for (int i = 0; i < 24; ++i) keys.push_back(random_key(rng));

  std::vector<pid_t> children;
  for (int p = 0; p < 8; ++p) {
    const std::uint64_t child_seed = rng();
    children.push_back(fork_child([&] { return compile_worker(root, keys, compiles, child_seed); }));
  }
  for (pid_t child : children) CHECK(wait_child(child) == 0);

  std::map<std::string, int> counted;
  std::istringstream lines(read_file(compiles));
  for (std::string line; std::getline(lines, line);) ++counted[line];
  CHECK(counted.size() == keys.size());
  for (const Key& key : keys) {
    INFO("key " << key.hex());
    CHECK(counted[key.hex()] == 1);
  }
  DiskStore store(root, k_big_cap);
  const auto results = store.verify();
  CHECK(results.size() == keys.size());
  for (const auto& result : results) CHECK(result.ok);
  for (const Key& key : keys) {
    const auto found = store.find(key);
    REQUIRE(found);
    CHECK(found->meta == entry_for_key(key).meta);
  }
  CHECK(count_children(root / "tmp") == 0);
  // The running total agrees with a full count.
  const auto ledger = nlohmann::json::parse(read_file(root / "size"));
  CHECK(ledger["total_size_bytes"] == store.stats().total_size_bytes);
}

TEST_CASE("threads racing to put one key: exactly one wins, the winner's bytes are kept") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore disk(dir / "cache", k_big_cap);
  MemoryStore memory(k_big_cap);
  for (Store* store : {static_cast<Store*>(&disk), static_cast<Store*>(&memory)}) {
    INFO(store->location());
    for (int race = 0; race < 5; ++race) {
      const Key key = random_key(rng);
      constexpr int k_threads = 8;
      std::vector<NewEntry> entries;
      for (int t = 0; t < k_threads; ++t) entries.push_back(make_entry(rng, 20'000));
      std::vector<int> won(k_threads, 0);
      std::latch start(k_threads);
      std::vector<std::thread> threads;
      for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
          start.arrive_and_wait();
          won[static_cast<std::size_t>(t)] = store->put(key, entries[static_cast<std::size_t>(t)]) ? 1 : 0;
          (void)store->find(key);
        });
      }
      for (auto& thread : threads) thread.join();
      REQUIRE(std::count(won.begin(), won.end(), 1) == 1);
      const auto winner = static_cast<std::size_t>(std::find(won.begin(), won.end(), 1) - won.begin());
      const auto found = store->find(key);
      REQUIRE(found);
      CHECK(reads_back(*store, *found, entries[winner]));
    }
  }
  CHECK(count_children(dir / "cache" / "tmp") == 0);
}

TEST_CASE("readers racing with removal and republishing get the right bytes or a miss") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  std::vector<Key> keys;
  for (int i = 0; i < 4; ++i) keys.push_back(random_key(rng));
  for (const Key& key : keys) REQUIRE(store.put(key, entry_for_key(key, 50'000)));
  clear_log();
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<int> hits{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 local(seed + static_cast<unsigned>(t));
      while (!stop) {
        const Key& key = keys[local() % keys.size()];
        const auto found = store.find(key);
        if (!found) continue;
        const auto bytes = store.read_blob(*found, "sm_90.cubin");
        if (!bytes) continue;
        if (*bytes != entry_for_key(key, 50'000).blobs.at("sm_90.cubin")) ++wrong;
        ++hits;
      }
    });
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  while (std::chrono::steady_clock::now() < until) {
    const Key& key = keys[rng() % keys.size()];
    store.remove(key);
    store.put(key, entry_for_key(key, 50'000));
  }
  stop = true;
  for (auto& reader : readers) reader.join();
  CHECK(wrong == 0);
  CHECK(hits > 0);
  std::string seen;
  for (const auto& warning : warnings()) seen += warning + "\n";
  CHECK_MESSAGE(seen.empty(), seen);  // a race is a miss, never "damage"
  for (const auto& result : store.verify()) CHECK(result.ok);
}
