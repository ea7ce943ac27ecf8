// The disk tier's everyday behaviour: layout, round trips, the record and meta.json, listings,
// removal, locks, and a cache folder that loses parts of itself.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/record.hpp>

#include <atomic>
#include <future>
#include <set>

#include <nlohmann/json.hpp>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> files;
  for (const auto& file : fs::directory_iterator(dir)) files.insert(file.path().filename().string());
  return files;
}

}  // namespace

TEST_CASE("put and get round-trip the whole entry; get reads only the selected blobs; a second put keeps the first") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  clear_log();
  const Key key = random_key(rng);
  CHECK_FALSE(tier.get(key, BlobSelection::all()).has_value());
  const Entry entry = random_entry(rng, key, 1 + rng() % 100'000);
  tier.put(key, entry);

  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  for (const std::string& name : loadable_blobs()) {
    INFO("only " << name);
    const std::optional<Entry> one = tier.get(key, BlobSelection::only(name));
    REQUIRE(one);
    CHECK(one->blobs.size() == 1);
    CHECK(same_entry(one, selected(entry, BlobSelection::only(name))));
  }
  const std::optional<Entry> record_only = tier.get(key, BlobSelection::none());
  REQUIRE(record_only);
  CHECK(record_only->record == entry.record);
  CHECK(record_only->blobs.empty());
  // A blob the entry does not have is not there to read; the entry is still a hit.
  const std::optional<Entry> other_arch = tier.get(key, BlobSelection::only("sm_80.cubin"));
  REQUIRE(other_arch);
  CHECK(other_arch->blobs.empty());

  const std::vector<ListedEntry> listed = tier.list();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].record == entry.record);
  CHECK(listed[0].dir == tier.entry_dir(key));
  std::uint64_t expected_size = fs::file_size(tier.entry_dir(key) / "record") + fs::file_size(tier.entry_dir(key) / "meta.json");
  for (const auto& [name, bytes] : entry.blobs) expected_size += bytes.size();
  CHECK(listed[0].total_size_bytes == expected_size);

  tier.put(key, random_entry(rng, key));  // the first is intact: kept
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  CHECK(warnings().empty());
  CHECK(count_children(dir / "cache" / "tmp") == 0);  // nothing left in staging
}

TEST_CASE("put records the key of the folder and a creation time when the record has none") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  Entry entry = random_entry(rng, random_key(rng));  // the record names another key
  entry.record.created_unix_ns = 0;
  const auto before = std::chrono::system_clock::now();
  tier.put(key, entry);
  const std::optional<Entry> found = tier.get(key, BlobSelection::all());
  REQUIRE(found);
  CHECK(found->record.key == key);
  const auto created = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::nanoseconds(found->record.created_unix_ns)));
  CHECK(created >= before - std::chrono::seconds(1));
  CHECK(created <= std::chrono::system_clock::now() + std::chrono::seconds(1));
  CHECK(found->blobs == entry.blobs);
}

TEST_CASE("the folder layout: sharded entries, tmp, locks, CACHEDIR.TAG, mode 0700") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "a" / "b" / "cache";
  ::umask(022);
  DiskTier tier(root, k_big_cap);
  for (const fs::path& p : {dir / "a", dir / "a" / "b", root, root / "entries", root / "tmp", root / "locks"}) {
    INFO(p);
    CHECK(fs::is_directory(p));
    CHECK(mode_of(p) == 0700);
  }
  CHECK(tier.describe() == "disk " + root.string());
  CHECK(tier.root() == root);
  const std::string tag = read_file(root / "CACHEDIR.TAG");
  CHECK(tag.rfind("Signature: 8a477f597d28d172789f06886806bc55", 0) == 0);

  const Key key = random_key(rng);
  const std::string hex = key.hex();
  CHECK(tier.entry_dir(key) == root / "entries" / hex.substr(0, 2) / hex);
  const Entry entry = random_entry(rng, key);
  tier.put(key, entry);
  CHECK(files_in(tier.entry_dir(key)) ==
        std::set<std::string>{"record", "meta.json", "program.ptx", "sm_90.cubin", "log.txt", "source.cu"});
  for (const auto& [name, bytes] : entry.blobs) CHECK(read_file(tier.entry_dir(key) / name) == bytes);
  CHECK(read_file(tier.entry_dir(key) / "record") == encode_record(entry.record));  // the one codec's bytes

  // An existing folder keeps its mode: only folders the tier creates are made private.
  const fs::path shared = dir / "shared";
  fs::create_directory(shared);
  fs::permissions(shared, fs::perms(0755));
  DiskTier existing(shared, k_big_cap);
  CHECK(mode_of(shared) == 0755);
  CHECK(mode_of(shared / "entries") == 0700);
}

TEST_CASE("a relative root is made absolute") {
  TempDir dir;
  const ScopedCurrentDir here(dir.path());
  DiskTier tier("relative cache", k_big_cap);
  CHECK(tier.root() == fs::current_path() / "relative cache");
  CHECK(tier.describe() == "disk " + (fs::current_path() / "relative cache").string());
}

TEST_CASE("meta.json is the record written out for people") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  Entry entry = random_entry(rng, key);
  entry.record.source_name = "ünïcödé \"quoted\".cu";
  tier.put(key, entry);
  const nlohmann::json meta = nlohmann::json::parse(read_file(tier.entry_dir(key) / "meta.json"));
  CHECK(meta["key"] == key.hex());
  CHECK(meta["source_name"] == entry.record.source_name);
  CHECK(meta["arch"] == "sm_90");
  CHECK(meta["image"] == "sm_90.cubin");
  CHECK(meta["compile_ms"] == 125.25);
  const std::string created = meta["created"];
  CHECK(created.size() == 20);  // 2026-11-26T10:11:12Z
  CHECK(created.back() == 'Z');
  CHECK(meta["name_expressions"]["scale<float>"] == "_Z5scaleIfEvPT_S0_m");
  REQUIRE(meta["kernels"].size() == 2);
  CHECK(meta["kernels"][0]["name"] == "scale<float>");
  CHECK(meta["kernels"][0]["params"][1]["kind"] == "floating");
  CHECK(meta["kernels"][0]["resources"]["registers"] == 16);
  CHECK_FALSE(meta["kernels"][1].contains("resources"));
  for (const auto& [name, bytes] : entry.blobs) {
    CHECK(meta["blobs"][name]["size"] == bytes.size());
    CHECK(meta["blobs"][name]["xxh3"] == checksum_hex(bytes));
  }
  REQUIRE(meta["key_record"].size() == entry.record.key_fields.size());
  CHECK(meta["key_record"][1][0] == "source");
}

TEST_CASE("meta.json is never read: garbage there, or none, changes nothing") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key);
  tier.put(key, entry);
  clear_log();
  write_file(tier.entry_dir(key) / "meta.json", "{ not json");
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  fs::remove(tier.entry_dir(key) / "meta.json");
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  REQUIRE(tier.verify().size() == 1);
  CHECK(tier.verify()[0].ok);
  CHECK(tier.list().size() == 1);
  CHECK(warnings().empty());
}

TEST_CASE("nothing in a record leads the tier out of the entry's folder") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  write_file(dir / "cache" / "secret.txt", "secret");
  const Key key = random_key(rng);
  tier.put(key, random_entry(rng, key));
  const fs::path entry_dir = tier.entry_dir(key);
  // A record with a valid checksum, written by someone who knows the format.
  EntryRecord forged = *decode_record(read_file(entry_dir / "record")).record;
  forged.blobs.push_back(BlobRef{"../../../secret.txt", 6, checksum_hex("secret")});
  write_file(entry_dir / "record", encode_record(forged));
  clear_log();
  CHECK_FALSE(tier.get(key, BlobSelection::all()).has_value());
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("record: blob name '../../../secret.txt' is not allowed") != std::string::npos);
  CHECK_FALSE(fs::exists(entry_dir));
  CHECK(read_file(dir / "cache" / "secret.txt") == "secret");
}

TEST_CASE("paths with spaces and unicode work") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache dir ünï" / "jïtcu cache";
  DiskTier tier(root, k_big_cap);
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key);
  tier.put(key, entry);
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  CHECK(tier.list().size() == 1);
  for (const auto& result : tier.verify()) CHECK(result.ok);
  CHECK(tier.describe() == "disk " + root.string());
}

TEST_CASE("get records the use in the folder's mtime, without rewriting the entry") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  tier.put(key, random_entry(rng, key));
  const fs::path entry_dir = tier.entry_dir(key);
  for (const BlobSelection& selection : {BlobSelection::only("sm_90.cubin"), BlobSelection::none(), BlobSelection::all()}) {
    const auto long_ago = std::chrono::system_clock::now() - std::chrono::hours(2 + rng() % (24 * 30));
    set_mtime(entry_dir, long_ago);
    const std::string record_before = read_file(entry_dir / "record");
    const auto record_mtime = mtime_of(entry_dir / "record");

    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
    REQUIRE(tier.get(key, selection));
    CHECK(mtime_of(entry_dir) > before);
    CHECK(read_file(entry_dir / "record") == record_before);
    CHECK(mtime_of(entry_dir / "record") == record_mtime);
    const auto listed = tier.list();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].last_used == mtime_of(entry_dir));
  }
}

TEST_CASE("a use recorded less than a minute ago is not written again; an older or future one is") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  tier.put(key, random_entry(rng, key));
  const fs::path entry_dir = tier.entry_dir(key);
  const auto now = [] { return std::chrono::system_clock::now(); };

  // Within the resolution: the folder keeps its time (no metadata write on a hit).
  const auto recent = now() - std::chrono::seconds(5 + static_cast<int>(rng() % 40));
  set_mtime(entry_dir, recent);
  const auto kept = mtime_of(entry_dir);  // as the file system stores it
  REQUIRE(tier.get(key, BlobSelection::only("sm_90.cubin")));
  CHECK(mtime_of(entry_dir) == kept);
  REQUIRE(tier.get(key, BlobSelection::all()));
  CHECK(mtime_of(entry_dir) == kept);
  CHECK(tier.list()[0].last_used == kept);

  // Older than the resolution, or in the future (a skewed clock): set to now.
  for (const auto stale : {now() - std::chrono::seconds(61 + static_cast<int>(rng() % 3600)), now() + std::chrono::hours(1)}) {
    set_mtime(entry_dir, stale);
    const auto before = now() - std::chrono::seconds(1);
    REQUIRE(tier.get(key, BlobSelection::only("sm_90.cubin")));
    const auto used = mtime_of(entry_dir);
    CHECK(used > before);
    CHECK(used <= now() + std::chrono::seconds(1));
  }
}

TEST_CASE("list is newest first; stats, remove, clear and prune_older_than") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  std::vector<Key> keys;
  for (int i = 0; i < 6; ++i) {
    keys.push_back(random_key(rng));
    Entry entry = random_entry(rng, keys.back(), rng() % 5000);
    entry.record.created_unix_ns = 0;  // put stamps it
    tier.put(keys.back(), entry);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // distinct creation times
  }
  const auto listed = tier.list();
  REQUIRE(listed.size() == keys.size());
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    CHECK(listed[i].record.key == keys[keys.size() - 1 - i]);
    total += listed[i].total_size_bytes;
  }
  for (std::size_t i = 1; i < listed.size(); ++i) CHECK(listed[i - 1].record.created_unix_ns > listed[i].record.created_unix_ns);
  DiskStats stats = tier.stats();
  CHECK(stats.entries == keys.size());
  CHECK(stats.total_size_bytes == total);
  CHECK(stats.max_size_bytes == k_big_cap);

  tier.remove(keys[0]);
  tier.remove(keys[0]);  // absent: nothing happens
  CHECK_FALSE(tier.get(keys[0], BlobSelection::none()).has_value());
  CHECK_FALSE(fs::exists(tier.entry_dir(keys[0])));
  CHECK(tier.stats().entries == keys.size() - 1);

  // Entries 1 and 2 were last used long ago; the rest just now.
  const auto now = std::chrono::system_clock::now();
  set_mtime(tier.entry_dir(keys[1]), now - std::chrono::hours(48));
  set_mtime(tier.entry_dir(keys[2]), now - std::chrono::hours(30));
  CHECK(tier.prune_older_than(now - std::chrono::hours(24)).entries == 2);
  CHECK_FALSE(tier.get(keys[1], BlobSelection::none()).has_value());
  CHECK_FALSE(tier.get(keys[2], BlobSelection::none()).has_value());
  CHECK(tier.get(keys[3], BlobSelection::none()).has_value());
  CHECK(tier.clear().entries == 3);
  CHECK(tier.list().empty());
  CHECK(tier.stats().entries == 0);
  CHECK(tier.stats().total_size_bytes == 0);
  CHECK(count_children(dir / "cache" / "tmp") == 0);  // removed entries do not linger
  const Entry again = random_entry(rng, keys[0]);
  tier.put(keys[0], again);  // and the tier still works
  CHECK(same_entry(tier.get(keys[0], BlobSelection::all()), again));
}

TEST_CASE("list and stats leave alone what is not an entry folder") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  tier.put(key, random_entry(rng, key));
  const fs::path entries = dir / "cache" / "entries";
  write_file(entries / "notes.txt", "mine");
  write_file(entries / "zz" / "file", "not a shard");
  write_file(entries / key.hex().substr(0, 2) / "not-a-key", "x");
  const Key other = random_key(rng);
  write_file(entries / key.hex().substr(0, 2) / other.hex() / "record", "in the wrong shard");
  CHECK(tier.list().size() == 1);
  CHECK(tier.stats().entries == 1);
  CHECK(tier.verify().size() == 1);
  CHECK(tier.clear().entries == 1);
  CHECK(read_file(entries / "notes.txt") == "mine");
  CHECK(fs::exists(entries / key.hex().substr(0, 2) / other.hex()));
}

TEST_CASE("a KeyLock of one key excludes other threads; other stripes do not wait") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const auto held = tier.lock(key);
        if (inside.fetch_add(1) != 0) overlapped = true;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK_FALSE(overlapped.load());
  CHECK(count_children(dir / "cache" / "locks") >= 1);
  CHECK(count_children(dir / "cache" / "locks") <= 2);  // the key's stripe (+ size.lock)

  Key other = random_key(rng);
  while (other.hex().substr(0, 3) == key.hex().substr(0, 3)) other = random_key(rng);
  auto held = tier.lock(key);
  auto second = std::async(std::launch::async, [&] { return tier.lock(other); });  // blocks if it shared the stripe
  const bool got_it = second.wait_for(std::chrono::seconds(30)) == std::future_status::ready;  // a guard, not a bound
  CHECK(got_it);
  held.reset();  // lets a blocked lock() finish, so the test ends either way
  second.get();
}

TEST_CASE("lock() falls back to a no-op lock, with one warning, when no lock file can be made") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  fs::remove_all(dir / "cache" / "locks");
  write_file(dir / "cache" / "locks", "a file where the folder was");
  clear_log();
  const Key key = random_key(rng);
  const auto first = tier.lock(key);
  const auto second = tier.lock(key);  // does not block
  CHECK(first != nullptr);
  CHECK(second != nullptr);
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("locks") != std::string::npos);
  CHECK(logged[0].find("compiles of one kernel may run in several processes at once") != std::string::npos);
  // A deleted locks/ folder is made again.
  fs::remove(dir / "cache" / "locks");
  const auto third = tier.lock(key);
  CHECK(fs::is_directory(dir / "cache" / "locks"));
}

TEST_CASE("a tier survives its tmp/ and entries/ folders being deleted under it") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskTier tier(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  tier.put(key, random_entry(rng, key));
  fs::remove_all(dir / "cache" / "tmp");
  fs::remove_all(dir / "cache" / "entries");
  clear_log();
  const Entry entry = random_entry(rng, key);
  CHECK_FALSE(tier.get(key, BlobSelection::all()).has_value());
  tier.put(key, entry);
  CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
  CHECK(warnings().empty());
}

TEST_CASE("a lost CACHEDIR.TAG is written back by the tier's first write, not by opening it or a hit") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  const Key old_key = random_key(rng);
  const Entry old_entry = random_entry(rng, old_key);
  { DiskTier(root, k_big_cap).put(old_key, old_entry); }
  fs::remove(root / "CACHEDIR.TAG");
  clear_log();
  DiskTier tier(root, k_big_cap);
  CHECK(same_entry(tier.get(old_key, BlobSelection::all()), old_entry));  // opening and a hit write nothing
  CHECK_FALSE(fs::exists(root / "CACHEDIR.TAG"));
  const Key new_key = random_key(rng);
  tier.put(new_key, random_entry(rng, new_key));
  CHECK(read_file(root / "CACHEDIR.TAG").rfind("Signature: 8a477f597d28d172789f06886806bc55", 0) == 0);
  CHECK(warnings().empty());
}

TEST_CASE("a cache whose entries/, locks/ or tmp/ was deleted opens quietly and works again") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  const Key old_key = random_key(rng);
  { DiskTier(root, k_big_cap).put(old_key, random_entry(rng, old_key)); }
  for (const char* lost : {"entries", "locks", "tmp"}) {
    INFO("deleted " << lost);
    fs::remove_all(root / lost);
    clear_log();
    DiskTier tier(root, k_big_cap);
    const Key key = random_key(rng);
    CHECK_FALSE(tier.get(key, BlobSelection::all()).has_value());
    const Entry entry = random_entry(rng, key);
    {
      const auto held = tier.lock(key);  // locks/ comes back where a lock needs it
      tier.put(key, entry);
    }
    CHECK(same_entry(tier.get(key, BlobSelection::all()), entry));
    CHECK(fs::is_directory(root / "entries"));
    CHECK(fs::is_directory(root / "locks"));
    CHECK(fs::is_directory(root / "tmp"));
    CHECK(warnings().empty());
  }
}

TEST_CASE("a cache folder that cannot be made is refused with its name and the reason") {
  TempDir dir;
  write_file(dir / "file", "a regular file where a folder should be");
  CHECK_THROWS_WITH_AS(DiskTier(dir / "file" / "cache", k_big_cap),
                       doctest::Contains((dir / "file").string().c_str()), std::runtime_error);
}
