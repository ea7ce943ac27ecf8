// The disk store's everyday behaviour: layout, round trips, meta.json, listings, removal.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_store.hpp>
#include <jitcu/cache/entry.hpp>

#include <set>

#include <nlohmann/json.hpp>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

nlohmann::json read_meta_json(const fs::path& entry_dir) {
  return nlohmann::json::parse(read_file(entry_dir / "meta.json"));
}

// Rewrites meta.json with a valid checksum (what a forger who knows the format could do).
void forge_meta(const fs::path& entry_dir, nlohmann::json meta) {
  meta.erase("meta_sha256");
  meta["meta_sha256"] = sha256_hex(meta.dump());
  write_file(entry_dir / "meta.json", meta.dump(2));
}

}  // namespace

TEST_CASE("put, find and read_blob round-trip; a second put keeps the first") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  clear_log();
  const Key key = random_key(rng);
  CHECK_FALSE(store.find(key).has_value());
  const NewEntry entry = make_entry(rng, 1 + rng() % 100'000);
  REQUIRE(store.put(key, entry));

  const std::optional<FoundEntry> found = store.find(key);
  REQUIRE(found.has_value());
  CHECK(found->key == key);
  CHECK(found->meta == entry.meta);  // the engine's fields only, as put
  CHECK(found->dir == store.entry_dir(key));
  CHECK(reads_back(store, *found, entry));
  CHECK(found->blobs.at("sm_90.cubin").size_bytes == entry.blobs.at("sm_90.cubin").size());
  CHECK(found->blobs.at("sm_90.cubin").sha256 == sha256_hex(entry.blobs.at("sm_90.cubin")));
  std::uint64_t expected_size = fs::file_size(fs::path(found->dir) / "meta.json") + fs::file_size(fs::path(found->dir) / "index");
  for (const auto& [name, bytes] : entry.blobs) expected_size += bytes.size();
  CHECK(found->total_size_bytes == expected_size);
  const auto now = std::chrono::system_clock::now();
  CHECK(found->created <= now);
  CHECK(found->created > now - std::chrono::minutes(1));
  CHECK(found->last_used >= found->created - std::chrono::seconds(1));

  const NewEntry other = make_entry(rng);
  CHECK_FALSE(store.put(key, other));  // the first is intact: kept
  const std::optional<FoundEntry> again = store.find(key);
  REQUIRE(again.has_value());
  CHECK(reads_back(store, *again, entry));
  CHECK(store.read_blob(*again, "not-there.bin") == std::nullopt);
  CHECK(warnings().empty());
  CHECK(count_children(dir / "cache" / "tmp") == 0);  // nothing left in staging
}

TEST_CASE("the folder layout: sharded entries, tmp, locks, CACHEDIR.TAG, mode 0700") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "a" / "b" / "cache";
  ::umask(022);
  DiskStore store(root, k_big_cap);
  for (const fs::path& p : {dir / "a", dir / "a" / "b", root, root / "entries", root / "tmp", root / "locks"}) {
    INFO(p);
    CHECK(fs::is_directory(p));
    CHECK(mode_of(p) == 0700);
  }
  CHECK(store.location() == root.string());
  CHECK(store.root() == root);
  const std::string tag = read_file(root / "CACHEDIR.TAG");
  CHECK(tag.rfind("Signature: 8a477f597d28d172789f06886806bc55", 0) == 0);

  const Key key = random_key(rng);
  const std::string hex = key.hex();
  CHECK(store.entry_dir(key) == root / "entries" / hex.substr(0, 2) / hex);
  const NewEntry entry = make_entry(rng);
  REQUIRE(store.put(key, entry));
  std::set<std::string> files;
  for (const auto& file : fs::directory_iterator(store.entry_dir(key))) {
    files.insert(file.path().filename().string());
  }
  CHECK(files == std::set<std::string>{"meta.json", "index", "program.ptx", "sm_90.cubin", "log.txt"});
  CHECK(read_file(store.entry_dir(key) / "program.ptx") == entry.blobs.at("program.ptx"));

  // An existing folder keeps its mode: only folders the store creates are made private.
  const fs::path shared = dir / "shared";
  fs::create_directory(shared);
  fs::permissions(shared, fs::perms(0755));
  DiskStore existing(shared, k_big_cap);
  CHECK(mode_of(shared) == 0755);
  CHECK(mode_of(shared / "entries") == 0700);
}

TEST_CASE("meta.json holds the engine's fields, the store's fields and its own checksum") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  NewEntry entry = make_entry(rng);
  entry.meta["note"] = "ünïcödé \"quoted\"";
  REQUIRE(store.put(key, entry));
  nlohmann::json meta = read_meta_json(store.entry_dir(key));
  CHECK(meta["source_name"] == "vector_ops.cu");
  CHECK(meta["note"] == "ünïcödé \"quoted\"");
  const nlohmann::json& fields = meta["store"];
  CHECK(fields["format_version"] == k_entry_format_version);
  CHECK(fields["key"] == key.hex());
  const std::string created = fields["created"];
  CHECK(created.size() == 20);  // 2026-11-26T10:11:12Z
  CHECK(created.back() == 'Z');
  CHECK(fields["created_unix_ns"].is_number_integer());
  for (const auto& [name, bytes] : entry.blobs) {
    CHECK(fields["blobs"][name]["size"] == bytes.size());
    CHECK(fields["blobs"][name]["sha256"] == sha256_hex(bytes));
  }
  const std::string recorded = meta["meta_sha256"];
  meta.erase("meta_sha256");
  CHECK(recorded == sha256_hex(meta.dump()));
}

TEST_CASE("put refuses bad blob names and reserved metadata; read_blob refuses bad names") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "meta.json", "../escape", "a/b", "/abs", "sp ace",
                                std::string("nul\0", 4), "ü.ptx"}) {
    INFO("name=" << bad);
    NewEntry entry = make_entry(rng);
    entry.blobs[bad] = "x";
    CHECK_THROWS_AS(store.put(key, entry), std::invalid_argument);
  }
  NewEntry reserved = make_entry(rng);
  reserved.meta["store"] = 1;
  CHECK_THROWS_AS(store.put(key, reserved), std::invalid_argument);
  NewEntry not_object = make_entry(rng);
  not_object.meta = nlohmann::json::array();
  CHECK_THROWS_AS(store.put(key, not_object), std::invalid_argument);
  CHECK_FALSE(store.find(key).has_value());
  CHECK(count_children(dir / "cache" / "entries") == 0);

  NewEntry good = make_entry(rng);
  good.blobs["A-z_0.9"] = "ok";
  REQUIRE(store.put(key, good));
  const auto found = store.find(key);
  REQUIRE(found);
  CHECK_THROWS_AS(store.read_blob(*found, "../meta.json"), std::invalid_argument);
  CHECK_THROWS_AS(store.read_blob(*found, "meta.json"), std::invalid_argument);
  CHECK(store.read_blob(*found, "A-z_0.9") == "ok");
}

TEST_CASE("nothing in meta.json leads the store out of the entry's folder") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  write_file(dir / "cache" / "secret.txt", "secret");
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));
  const fs::path entry_dir = store.entry_dir(key);
  nlohmann::json meta = read_meta_json(entry_dir);
  meta["store"]["blobs"]["../../../secret.txt"] = {{"size", 6}, {"sha256", sha256_hex("secret")}};
  forge_meta(entry_dir, meta);
  clear_log();
  CHECK_FALSE(store.find(key).has_value());
  const std::string logged = joined(warnings());
  CHECK(logged.find("bad name '../../../secret.txt'") != std::string::npos);
  CHECK_FALSE(fs::exists(entry_dir));
  CHECK(read_file(dir / "cache" / "secret.txt") == "secret");
}

TEST_CASE("paths with spaces and unicode work") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache dir ünï" / "jïtcu cache";
  DiskStore store(root, k_big_cap);
  const Key key = random_key(rng);
  const NewEntry entry = make_entry(rng);
  REQUIRE(store.put(key, entry));
  const auto found = store.find(key);
  REQUIRE(found);
  CHECK(reads_back(store, *found, entry));
  CHECK(store.list().size() == 1);
  for (const auto& result : store.verify()) CHECK(result.ok);
  CHECK(store.location() == root.string());
}

TEST_CASE("find records the use in the folder's mtime, without rewriting the entry") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));
  const fs::path entry_dir = store.entry_dir(key);
  const auto long_ago = std::chrono::system_clock::now() - std::chrono::hours(24 * 30);
  set_mtime(entry_dir, long_ago);
  const std::string meta_before = read_file(entry_dir / "meta.json");
  const auto meta_mtime = mtime_of(entry_dir / "meta.json");

  const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
  const auto found = store.find(key);
  REQUIRE(found);
  CHECK(found->last_used > before);
  CHECK(mtime_of(entry_dir) == found->last_used);
  CHECK(read_file(entry_dir / "meta.json") == meta_before);
  CHECK(mtime_of(entry_dir / "meta.json") == meta_mtime);
  const auto listed = store.list();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].last_used == found->last_used);
}

TEST_CASE("a use recorded less than a minute ago is not written again; an older or future one is") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));
  const fs::path entry_dir = store.entry_dir(key);
  const auto now = [] { return std::chrono::system_clock::now(); };

  // Within the resolution: the folder keeps its time (no metadata write on a hit).
  const auto recent = now() - std::chrono::seconds(5 + static_cast<int>(rng() % 40));
  set_mtime(entry_dir, recent);
  const auto kept = mtime_of(entry_dir);  // as the file system stores it
  const auto quick = store.find_quick(key);
  REQUIRE(quick);
  CHECK(mtime_of(entry_dir) == kept);
  CHECK(quick->last_used == kept);
  const auto full = store.find(key);
  REQUIRE(full);
  CHECK(mtime_of(entry_dir) == kept);

  // Older than the resolution, or in the future (a skewed clock): set to now.
  for (const auto stale : {now() - std::chrono::seconds(61 + static_cast<int>(rng() % 3600)), now() + std::chrono::hours(1)}) {
    set_mtime(entry_dir, stale);
    const auto before = now() - std::chrono::seconds(1);
    const auto found = store.find_quick(key);
    REQUIRE(found);
    CHECK(found->last_used > before);
    CHECK(found->last_used <= now() + std::chrono::seconds(1));
    CHECK(mtime_of(entry_dir) == found->last_used);
  }
}

TEST_CASE("list is newest first; stats, remove, clear and prune_older_than") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  std::vector<Key> keys;
  std::uint64_t total = 0;
  for (int i = 0; i < 6; ++i) {
    keys.push_back(random_key(rng));
    REQUIRE(store.put(keys.back(), make_entry(rng, rng() % 5000)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // distinct creation times
    total += store.find(keys.back())->total_size_bytes;
  }
  const auto listed = store.list();
  REQUIRE(listed.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) CHECK(listed[i].key == keys[keys.size() - 1 - i]);
  for (std::size_t i = 1; i < listed.size(); ++i) CHECK(listed[i - 1].created >= listed[i].created);
  StoreStats stats = store.stats();
  CHECK(stats.entries == keys.size());
  CHECK(stats.total_size_bytes == total);
  CHECK(stats.max_size_bytes == k_big_cap);

  store.remove(keys[0]);
  store.remove(keys[0]);  // absent: nothing happens
  CHECK_FALSE(store.find(keys[0]).has_value());
  CHECK_FALSE(fs::exists(store.entry_dir(keys[0])));
  CHECK(store.stats().entries == keys.size() - 1);

  // Entries 1 and 2 were last used long ago; the rest just now.
  const auto now = std::chrono::system_clock::now();
  set_mtime(store.entry_dir(keys[1]), now - std::chrono::hours(48));
  set_mtime(store.entry_dir(keys[2]), now - std::chrono::hours(30));
  CHECK(store.prune_older_than(now - std::chrono::hours(24)) == 2);
  CHECK_FALSE(store.find(keys[1]).has_value());
  CHECK_FALSE(store.find(keys[2]).has_value());
  CHECK(store.find(keys[3]).has_value());
  CHECK(store.clear() == 3);
  CHECK(store.list().empty());
  CHECK(store.stats().entries == 0);
  CHECK(store.stats().total_size_bytes == 0);
  CHECK(count_children(dir / "cache" / "tmp") == 0);  // removed entries do not linger
  REQUIRE(store.put(keys[0], make_entry(rng)));       // and the store still works
  CHECK(store.find(keys[0]).has_value());
}

TEST_CASE("a KeyLock of one key excludes other threads; other stripes do not wait") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const auto held = store.lock(key);
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
  const auto held = store.lock(key);
  const auto start = std::chrono::steady_clock::now();
  const auto second = store.lock(other);  // would deadlock if it shared the stripe
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("lock() falls back to a no-op lock when no lock file can be made") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  fs::remove_all(dir / "cache" / "locks");
  write_file(dir / "cache" / "locks", "a file where the folder was");
  clear_log();
  const Key key = random_key(rng);
  const auto first = store.lock(key);
  const auto second = store.lock(key);  // does not block
  CHECK(first != nullptr);
  CHECK(second != nullptr);
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("locks") != std::string::npos);
  // A deleted locks/ folder is made again.
  fs::remove(dir / "cache" / "locks");
  const auto third = store.lock(key);
  CHECK(fs::is_directory(dir / "cache" / "locks"));
}

TEST_CASE("a store survives its tmp/ and entries/ folders being deleted under it") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));
  fs::remove_all(dir / "cache" / "tmp");
  fs::remove_all(dir / "cache" / "entries");
  clear_log();
  const NewEntry entry = make_entry(rng);
  CHECK_FALSE(store.find(key).has_value());
  REQUIRE(store.put(key, entry));
  const auto found = store.find(key);
  REQUIRE(found);
  CHECK(reads_back(store, *found, entry));
  CHECK(warnings().empty());
}

TEST_CASE("a lost CACHEDIR.TAG is written back by the store's first write, not by opening it") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  const Key old_key = random_key(rng);
  const NewEntry old_entry = make_entry(rng);
  { DiskStore(root, k_big_cap).put(old_key, old_entry); }
  fs::remove(root / "CACHEDIR.TAG");
  clear_log();
  DiskStore store(root, k_big_cap);
  const auto found = store.find_blob(old_key, "sm_90.cubin");  // a hit: opening and finding write nothing
  REQUIRE(found.has_value());
  CHECK(found->bytes == old_entry.blobs.at("sm_90.cubin"));
  CHECK_FALSE(fs::exists(root / "CACHEDIR.TAG"));
  REQUIRE(store.put(random_key(rng), make_entry(rng)));
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
  { DiskStore(root, k_big_cap).put(old_key, make_entry(rng)); }
  for (const char* lost : {"entries", "locks", "tmp"}) {
    INFO("deleted " << lost);
    fs::remove_all(root / lost);
    clear_log();
    DiskStore store(root, k_big_cap);
    const Key key = random_key(rng);
    CHECK_FALSE(store.find(key).has_value());
    const auto entry = make_entry(rng);
    {
      const auto held = store.lock(key);  // locks/ comes back where a lock needs it
      REQUIRE(store.put(key, entry));
    }
    const auto found = store.find_quick(key);
    REQUIRE(found.has_value());
    CHECK(reads_back(store, *found, entry));
    CHECK(fs::is_directory(root / "entries"));
    CHECK(fs::is_directory(root / "locks"));
    CHECK(fs::is_directory(root / "tmp"));
    CHECK(warnings().empty());
  }
}
