// The cache's counters: counted in memory, added to <root>/stats by many processes without a
// lost update, never trusted blindly; and the workers' precompiled headers under the cap.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <sys/stat.h>

#include <algorithm>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

/// A store over one disk tier at `root`, as the engine opens it.
struct DiskStore {
  explicit DiskStore(const fs::path& root, std::uint64_t cap = k_big_cap)
      : disk(std::make_shared<DiskTier>(root, cap)), store({disk}) {}
  std::shared_ptr<DiskTier> disk;
  TieredStore store;
};

/// A file named as the compile workers name theirs ("<64 hex>-<layout>.pch"), of `bytes` bytes,
/// last used `age` ago.
fs::path make_pch(const fs::path& root, std::mt19937_64& rng, std::size_t bytes, std::chrono::seconds age) {
  const fs::path path = root / "pch" / (random_key(rng).hex() + "-7fff00-1000.pch");
  write_file(path, std::string(bytes, 'p'));
  set_mtime(path, std::chrono::system_clock::now() - age);
  return path;
}

std::string valid_stats_text() {
  std::string text = "jitcu-stats 1\nzeroed_unix 00000000001700000000\n";
  for (const CounterField& field : k_counter_fields) text += std::string(field.name) + " 00000000000000000007\n";
  return text;
}

}  // namespace

TEST_CASE("hits are counted by tier in memory only; a flush adds them to <root>/stats") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key);
  {
    DiskStore writer(root);
    writer.store.put(key, entry);
  }
  REQUIRE_FALSE(fs::exists(root / "stats"));  // a put alone counts nothing

  DiskStore reader(root);
  const int hits = 1 + static_cast<int>(rng() % 50);
  for (int i = 0; i < hits; ++i) REQUIRE(reader.store.get(key, BlobSelection::only("sm_90.cubin")));
  reader.store.get(key, BlobSelection::only("program.ptx"), TieredStore::Lookup::more_blobs);  // not a lookup
  CHECK_FALSE(reader.store.get(random_key(rng), BlobSelection::none()));
  // By design, a hit writes nothing for its counters: the file appears at the flush only.
  CHECK_FALSE(fs::exists(root / "stats"));
  const CacheCounters counted = reader.store.counters();
  CHECK(counted.disk_hits == static_cast<std::uint64_t>(hits));
  CHECK(counted.hits() == static_cast<std::uint64_t>(hits));
  CHECK(counted.saved_ns == static_cast<std::uint64_t>(hits) * static_cast<std::uint64_t>(entry.record.compile_ms * 1e6));
  reader.store.count({.misses = 2, .compiles = 1, .compile_ns = 5});
  reader.store.flush_counters();
  CHECK(mode_of(root / "stats") == 0600);
  RecordedStats recorded = reader.disk->recorded_counters();
  CHECK(recorded.counters == reader.store.counters());
  CHECK(recorded.counters.misses == 2);
  reader.store.flush_counters();  // nothing new: nothing added twice
  CHECK(reader.disk->recorded_counters().counters == reader.store.counters());

  SUBCASE("a hit from a lower tier counts for that tier") {
    auto memory = std::make_shared<MemoryTier>(k_big_cap);
    TieredStore two({memory, reader.disk});  // counts into the disk tier's tally: one per process
    const CacheCounters before = two.counters();
    REQUIRE(two.get(key, BlobSelection::all()));  // disk: copied up
    two.wait_for_fills();
    REQUIRE(two.get(key, BlobSelection::all()));  // memory
    CHECK(two.counters().disk_hits == before.disk_hits + 1);
    CHECK(two.counters().memory_hits == before.memory_hits + 1);
  }
  SUBCASE("--zero sets the counters to zero and keeps the entries") {
    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
    reader.disk->zero_counters();
    recorded = reader.disk->recorded_counters();
    CHECK(recorded.counters == CacheCounters{});
    CHECK(recorded.zeroed >= before);
    CHECK(reader.disk->stats().entries == 1);
  }
}

TEST_CASE("processes adding to <root>/stats at once lose no update") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  std::vector<Key> keys;
  {
    DiskStore writer(root);
    for (int i = 0; i < 4; ++i) {
      keys.push_back(random_key(rng));
      writer.store.put(keys.back(), random_entry(rng, keys.back(), 512));
    }
  }
  constexpr int k_processes = 8;
  constexpr int k_rounds = 40;
  std::vector<pid_t> children;
  std::uint64_t want_hits = 0, want_misses = 0;
  for (int p = 0; p < k_processes; ++p) {
    const std::uint64_t child_seed = rng();
    std::mt19937_64 plan(child_seed);  // the parent replays each child's choices to know the totals
    for (int round = 0; round < k_rounds; ++round) (plan() % 3 == 0 ? want_misses : want_hits) += 1;
    children.push_back(fork_child([&, child_seed] {
      std::mt19937_64 choices(child_seed);
      std::mt19937_64 picks(child_seed + 1);
      DiskStore store(root);
      for (int round = 0; round < k_rounds; ++round) {
        if (choices() % 3 == 0) {
          if (store.store.get(random_key(picks), BlobSelection::none())) return 1;
          store.store.count({.misses = 1});
        } else if (!store.store.get(keys[picks() % keys.size()], BlobSelection::none())) {
          return 2;
        }
        if (round % 5 == 0) store.store.flush_counters();  // many small flushes race with the others'
      }
      return 0;  // ~DiskTier flushes the rest
    }));
  }
  for (const pid_t child : children) CHECK(wait_child(child) == 0);
  const CacheCounters total = DiskTier(root, k_big_cap).recorded_counters().counters;
  CHECK(total.disk_hits == want_hits);
  CHECK(total.misses == want_misses);
  CHECK(total.disk_hits + total.misses == static_cast<std::uint64_t>(k_processes * k_rounds));
}

TEST_CASE("a stats file that is garbage, a link, a FIFO or too big is replaced by zeros with one warning") {
  TempDir dir;
  const fs::path root = dir / "cache";
  DiskTier tier(root, k_big_cap);
  const fs::path stats = root / "stats";
  const fs::path elsewhere = dir / "victim.txt";
  write_file(elsewhere, "not jitcu's\n");

  write_file(stats, valid_stats_text());
  CHECK(tier.recorded_counters().counters.disk_hits == 7);  // the format read back

  struct Case {
    const char* name;
    std::function<void()> make;
  };
  const std::vector<Case> cases{
      {"garbage", [&] { write_file(stats, "{\"hits\": -1}\n\x01\x02"); }},
      {"a digit flipped to a letter", [&] {
         std::string text = valid_stats_text();
         text[text.find("misses ") + 10] = 'x';
         write_file(stats, text);
       }},
      {"cut short", [&] { write_file(stats, valid_stats_text().substr(0, 100)); }},
      {"too big", [&] { write_file(stats, valid_stats_text() + std::string(10'000, '0')); }},
      {"a symbolic link", [&] { fs::create_symlink(elsewhere, stats); }},
      {"a FIFO", [&] { REQUIRE(::mkfifo(stats.c_str(), 0600) == 0); }},
      {"writable by others", [&] {
         write_file(stats, valid_stats_text());
         fs::permissions(stats, fs::perms::others_write, fs::perm_options::add);
       }},
  };
  for (const Case& item : cases) {
    CAPTURE(item.name);
    fs::remove(stats);
    item.make();
    clear_log();
    tier.tally()->add({.compiles = 3});
    tier.flush_counters();  // an add reads, finds it wrong, starts from zero
    const std::vector<std::string> warned = warnings();
    REQUIRE(warned.size() == 1);
    CHECK(warned.front().find("statistics file") != std::string::npos);
    CHECK(fs::is_regular_file(fs::symlink_status(stats)));
    CHECK(mode_of(stats) == 0600);
    const RecordedStats recorded = tier.recorded_counters();
    CHECK(recorded.counters == CacheCounters{.compiles = 3});
    CHECK(warnings().size() == 1);  // read back: well-formed now, no second warning
    CHECK(read_file(elsewhere) == "not jitcu's\n");  // a link's target is never written
  }
  SUBCASE("read alone resets a garbage file too") {
    write_file(stats, "garbage");
    clear_log();
    CHECK(tier.recorded_counters().counters == CacheCounters{});
    CHECK(warnings().size() == 1);
    CHECK(read_file(stats).starts_with("jitcu-stats 1\n"));
  }
}

TEST_CASE("precompiled headers are counted, listed, and evicted with the entries under the cap") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  DiskTier(root, k_big_cap);  // make the folder
  const fs::path oldest = make_pch(root, rng, 30'000, std::chrono::hours(3));
  const fs::path newer = make_pch(root, rng, 20'000, std::chrono::hours(1));
  const fs::path foreign = root / "pch" / "notes.txt";  // not jitcu's: never counted or removed
  write_file(foreign, std::string(50'000, 'n'));

  SUBCASE("stats and list_pch count them") {
    DiskTier tier(root, k_big_cap);
    const DiskStats stats = tier.stats();
    CHECK(stats.pch_files == 2);
    CHECK(stats.pch_bytes == 50'000);
    CHECK(stats.total_size_bytes == 50'000);
    const std::vector<ListedPch> listed = tier.list_pch();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].path == oldest);  // least recently used first
    CHECK(listed[1].size_bytes == 20'000);
  }
  SUBCASE("a put over the cap evicts the least recently used, PCH files included") {
    DiskTier tier(root, 60'000);
    const Key key = random_key(rng);
    tier.put(key, random_entry(rng, key, 15'000));  // ~16 KB: 66 KB in all, over the cap
    CHECK_FALSE(fs::exists(oldest));
    CHECK(fs::exists(newer));
    CHECK(tier.get(key, BlobSelection::none()));
    CHECK(fs::exists(foreign));
    CHECK(tier.tally()->total().pch_evictions == 1);
    CHECK(tier.tally()->total().evictions == 0);
    CHECK(tier.stats().total_size_bytes <= 60'000);
  }
  SUBCASE("prune_to_size removes PCH files and entries by last use, and counts them") {
    DiskTier tier(root, k_big_cap);
    const Key key = random_key(rng);
    tier.put(key, random_entry(rng, key, 15'000));  // used now: newest of all
    const Removed removed = tier.prune_to_size(10'000);
    CHECK(removed.pch_files == 2);
    CHECK(removed.entries == 1);
    CHECK(tier.list_pch().empty());
    CHECK(fs::exists(foreign));
    const CacheCounters recorded = tier.recorded_counters().counters;  // prune flushes at once
    CHECK(recorded.pch_evictions == 2);
    CHECK(recorded.evictions == 1);
  }
  SUBCASE("clear removes PCH files with their lock and temporary files, and counts no eviction") {
    const std::string stem = (root / "pch" / (random_key(rng).hex() + "-1-2.pch")).string();
    write_file(stem + ".lock", "");
    write_file(stem + ".tmp-12345", "half");
    DiskTier tier(root, k_big_cap);
    const Removed removed = tier.clear();
    CHECK(removed.pch_files == 2);
    CHECK(count_children(root / "pch") == 1);  // notes.txt only
    CHECK(tier.recorded_counters().counters == CacheCounters{});
  }
}
