// Many processes and many threads on one cache: one compile per key, no damage, no errors.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/memory_tier.hpp>

#include <algorithm>
#include <latch>
#include <map>
#include <sstream>

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
  DiskTier tier(root, k_big_cap);
  for (int round = 0; round < 3; ++round) {
    std::vector<Key> order = keys;
    std::shuffle(order.begin(), order.end(), rng);
    for (const Key& key : order) {
      if (rng() % 2 == 0) {  // a lock-free peek, as a hit path would do
        if (auto peek = tier.get(key, BlobSelection::only("sm_90.cubin"));
            peek && !same_entry(peek, selected(entry_for_key(key), BlobSelection::only("sm_90.cubin"))))
          return 2;
      }
      const auto held = tier.lock(key);
      if (auto found = tier.get(key, BlobSelection::all())) {
        if (!same_entry(found, entry_for_key(key))) return 3;
        continue;
      }
      if (!append_line(compiles, key.hex())) return 4;
      tier.put(key, entry_for_key(key));
      if (!same_entry(tier.get(key, BlobSelection::all()), entry_for_key(key))) return 5;
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
  DiskTier tier(root, k_big_cap);
  const auto results = tier.verify();
  CHECK(results.size() == keys.size());
  for (const auto& result : results) CHECK(result.ok);
  for (const Key& key : keys) CHECK(same_entry(tier.get(key, BlobSelection::all()), entry_for_key(key)));
  CHECK(count_children(root / "tmp") == 0);
  // The running total agrees with a full count.
  CHECK(ledger_total(root) == tier.stats().total_size_bytes);
}

TEST_CASE("threads racing to put one key: one whole entry is kept, never a mix, and counted once") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier disk(dir / "cache", k_big_cap);
  MemoryTier memory(k_big_cap);
  clear_log();
  for (Tier* tier : {static_cast<Tier*>(&disk), static_cast<Tier*>(&memory)}) {
    INFO(tier->describe());
    for (int race = 0; race < 5; ++race) {
      const Key key = random_key(rng);
      constexpr int k_threads = 8;
      std::vector<Entry> entries;
      for (int t = 0; t < k_threads; ++t) entries.push_back(random_entry(rng, key, 20'000));
      std::latch start(k_threads);
      std::vector<std::thread> threads;
      for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
          start.arrive_and_wait();
          tier->put(key, entries[static_cast<std::size_t>(t)]);
          (void)tier->get(key, BlobSelection::all());
        });
      }
      for (auto& thread : threads) thread.join();
      const std::optional<Entry> found = tier->get(key, BlobSelection::all());
      REQUIRE(found);
      const auto winners = std::count_if(entries.begin(), entries.end(), [&](const Entry& e) { return same_entry(found, e); });
      CHECK(winners == 1);
      tier->put(key, random_entry(rng, key));  // a later put keeps the winner
      CHECK(same_entry(tier->get(key, BlobSelection::all()), *found));
    }
  }
  CHECK(disk.stats().entries == 5);
  CHECK(ledger_total(dir / "cache") == disk.stats().total_size_bytes);
  CHECK(count_children(dir / "cache" / "tmp") == 0);
  CHECK(warnings().empty());
}

TEST_CASE("readers racing with removal and republishing get the right bytes or a miss") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  std::vector<Key> keys;
  for (int i = 0; i < 4; ++i) keys.push_back(random_key(rng));
  for (const Key& key : keys) tier.put(key, entry_for_key(key, 50'000));
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
        const BlobSelection selection = local() % 2 ? BlobSelection::only("sm_90.cubin") : BlobSelection::all();
        const auto found = tier.get(key, selection);
        if (!found) continue;
        if (!same_entry(found, selected(entry_for_key(key, 50'000), selection))) ++wrong;
        ++hits;
      }
    });
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  while (std::chrono::steady_clock::now() < until) {
    const Key& key = keys[rng() % keys.size()];
    tier.remove(key);
    tier.put(key, entry_for_key(key, 50'000));
  }
  stop = true;
  for (auto& reader : readers) reader.join();
  CHECK(wrong == 0);
  CHECK(hits > 0);
  std::string seen;
  for (const auto& warning : warnings()) seen += warning + "\n";
  CHECK_MESSAGE(seen.empty(), seen);  // a race is a miss, never "damage"
  for (const auto& result : tier.verify()) CHECK(result.ok);
}
