// Opening the cache from the environment (StoreConfig, open_store), and the environments where
// it cannot be opened.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <sys/mount.h>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

/// A small tmpfs mounted on a folder for the life of the object (root only).
class TmpfsMount {
 public:
  TmpfsMount(const fs::path& where, const std::string& options) : where_(where) {
    fs::create_directories(where);
    mounted_ = ::geteuid() == 0 && ::mount("tmpfs", where.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }
  bool remount_read_only() {
    return ::mount("tmpfs", where_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }

 private:
  fs::path where_;
  bool mounted_ = false;
};

/// The store's one tier, described: "memory" or "disk <folder>".
std::string only_tier(const TieredStore& store) {
  REQUIRE(store.tiers().size() == 1);
  return store.tiers().front()->describe();
}

void check_degrades_to_memory(const fs::path& folder) {
  StoreConfig config;
  config.dir = folder;
  config.max_size_bytes = k_big_cap;
  clear_log();
  const std::shared_ptr<TieredStore> store = open_store(config);
  REQUIRE(store != nullptr);
  CHECK(only_tier(*store) == "memory");
  CHECK(store->disk() == nullptr);
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("cannot use the jitcu cache folder '" + folder.string() + "'") != std::string::npos);
  CHECK(logged[0].find("in memory for this process only") != std::string::npos);
  // And it works as a cache, in memory.
  std::mt19937_64 rng(1);
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key);
  store->put(key, entry);
  const std::optional<Hit> hit = store->get(key, BlobSelection::all());
  REQUIRE(hit);
  CHECK(same_entry(hit->entry, entry));
}

}  // namespace

TEST_CASE("parse_size reads bytes, K/M/G/T with optional B or iB, and decimals") {
  CHECK(parse_size("0") == 0u);
  CHECK(parse_size("123") == 123u);
  CHECK(parse_size("100B") == 100u);
  CHECK(parse_size("512K") == 512ull << 10);
  CHECK(parse_size("512k") == 512ull << 10);
  CHECK(parse_size("512M") == 512ull << 20);
  CHECK(parse_size("512MiB") == 512ull << 20);
  CHECK(parse_size("512MB") == 512ull << 20);
  CHECK(parse_size("512mb") == 512ull << 20);
  CHECK(parse_size("1G") == 1ull << 30);
  CHECK(parse_size("2T") == 2ull << 40);
  CHECK(parse_size("1.5G") == (3ull << 30) / 2);
  CHECK(parse_size("1.25M") == 1'310'720u);
  CHECK(parse_size("0.5K") == 512u);
  CHECK(parse_size(" 2G ") == 2ull << 30);
  CHECK(parse_size("2 GiB") == 2ull << 30);
  CHECK(parse_size("16777215T") == 16'777'215ull << 40);
  for (const char* bad : {"", " ", "abc", "G", "-1", "+5", "1.5", "1.", ".5G", "1X", "1GG", "1iB",
                          "1e9", "1,5G", "18446744073709551616", "16777216T", "1 G B", "0x10"}) {
    INFO("text='" << bad << "'");
    CHECK_FALSE(parse_size(bad).has_value());
  }
}

TEST_CASE("the cache folder: JITCU_CACHE_DIR, then XDG_CACHE_HOME, then HOME") {
  ScopedEnv dir("JITCU_CACHE_DIR", "/x/jitcu dir");
  ScopedEnv xdg("XDG_CACHE_HOME", "/x/xdg");
  ScopedEnv home("HOME", "/x/home");
  CHECK(default_cache_dir() == fs::path("/x/jitcu dir"));
  CHECK(StoreConfig::from_env().dir == fs::path("/x/jitcu dir"));
  {
    ScopedEnv no_dir("JITCU_CACHE_DIR", "");
    CHECK(default_cache_dir() == fs::path("/x/xdg/jitcu"));
    CHECK(StoreConfig::from_env().dir == fs::path("/x/xdg/jitcu"));
    {
      ScopedEnv no_xdg("XDG_CACHE_HOME", "");
      CHECK(default_cache_dir() == fs::path("/x/home/.cache/jitcu"));
    }
    {
      ScopedEnv relative_xdg("XDG_CACHE_HOME", "relative/cache");  // invalid per the XDG spec
      CHECK(default_cache_dir() == fs::path("/x/home/.cache/jitcu"));
    }
  }
}

TEST_CASE("the size cap from JITCU_CACHE_MAX_SIZE; a malformed one is warned about once") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  {
    ScopedEnv unset("JITCU_CACHE_MAX_SIZE", "");
    CHECK(StoreConfig::from_env().max_size_bytes == k_default_cache_limit_bytes);
  }
  {
    ScopedEnv size("JITCU_CACHE_MAX_SIZE", "2G");
    CHECK(StoreConfig::from_env().max_size_bytes == 2ull << 30);
  }
  const std::string bad = "lots-" + std::to_string(seed);  // a value this process never saw
  ScopedEnv size("JITCU_CACHE_MAX_SIZE", bad);
  clear_log();
  CHECK(StoreConfig::from_env().max_size_bytes == k_default_cache_limit_bytes);
  CHECK(StoreConfig::from_env().max_size_bytes == k_default_cache_limit_bytes);
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("JITCU_CACHE_MAX_SIZE='" + bad + "'") != std::string::npos);
}

TEST_CASE("JITCU_DISABLE_CACHE turns the disk cache off, quietly") {
  TempDir dir;
  ScopedEnv cache_dir("JITCU_CACHE_DIR", (dir / "cache").string());
  for (const char* on : {"1", "true", "yes", "on", "TRUE", "On"}) {
    INFO("JITCU_DISABLE_CACHE=" << on);
    ScopedEnv disable("JITCU_DISABLE_CACHE", on);
    clear_log();
    const StoreConfig config = StoreConfig::from_env();
    CHECK_FALSE(config.disk_enabled);
    CHECK(only_tier(*open_store(config)) == "memory");
    CHECK(warnings().empty());
    CHECK_FALSE(fs::exists(dir / "cache"));
  }
  for (const char* off : {"", "0", "false", "no", "off"}) {
    INFO("JITCU_DISABLE_CACHE=" << off);
    ScopedEnv disable("JITCU_DISABLE_CACHE", off);
    clear_log();
    CHECK(StoreConfig::from_env().disk_enabled);
    CHECK(warnings().empty());
  }
  ScopedEnv disable("JITCU_DISABLE_CACHE", "perhaps");
  clear_log();
  CHECK(StoreConfig::from_env().disk_enabled);
  CHECK(warnings().size() == 1);
  const StoreConfig config = StoreConfig::from_env();
  const auto store = open_store(config);
  CHECK(only_tier(*store) == "disk " + (dir / "cache").string());
  REQUIRE(store->disk() != nullptr);
  CHECK(store->disk()->root() == dir / "cache");
  CHECK(mode_of(dir / "cache") == 0700);  // a missing folder is made, private
}

TEST_CASE("an unusable cache folder degrades to memory with one warning") {
  TempDir dir;
  write_file(dir / "file", "a regular file where a folder should be");
  check_degrades_to_memory(dir / "file" / "cache");  // fails for root too
  if (::geteuid() == 0) {
    MESSAGE("running as root, which ignores permissions: the chmod 0500 check is skipped");
  } else {
    fs::create_directory(dir / "read-only");
    fs::permissions(dir / "read-only", fs::perms(0500));
    check_degrades_to_memory(dir / "read-only");
    check_degrades_to_memory(dir / "read-only" / "cache");
  }
  StoreConfig nowhere;
  nowhere.max_size_bytes = k_big_cap;
  clear_log();
  CHECK(only_tier(*open_store(nowhere)) == "memory");
  REQUIRE(warnings().size() == 1);
  CHECK(warnings()[0].find("no folder for the jitcu cache (set JITCU_CACHE_DIR or HOME)") != std::string::npos);
}

TEST_CASE("a full disk: put keeps nothing, warns once and leaves nothing half-written") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  TmpfsMount disk(dir / "mnt", "size=64k,mode=0700");
  if (!disk.mounted()) {
    MESSAGE("cannot mount a 64 KiB tmpfs here (needs root and CAP_SYS_ADMIN): full-disk check skipped");
    return;
  }
  const fs::path root = dir / "mnt" / "cache";
  DiskTier tier(root, k_big_cap);
  clear_log();
  const Key key = random_key(rng);
  CHECK_NOTHROW(tier.put(key, random_entry(rng, key, 200'000)));
  const Key second = random_key(rng);
  CHECK_NOTHROW(tier.put(second, random_entry(rng, second, 300'000)));  // no second warning
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("cannot write to the jitcu cache at '" + root.string() + "'") != std::string::npos);
  CHECK(logged[0].find("No space left on device") != std::string::npos);
  CHECK_FALSE(tier.get(key, BlobSelection::all()).has_value());
  CHECK_FALSE(tier.get(second, BlobSelection::all()).has_value());
  CHECK_FALSE(fs::exists(tier.entry_dir(key)));
  CHECK(count_children(root / "tmp") == 0);
  CHECK(tier.verify().empty());
  // Space enough for a small entry: that one is kept.
  const Key small = random_key(rng);
  const Entry entry = random_entry(rng, small, 1'000);
  tier.put(small, entry);
  CHECK(same_entry(tier.get(small, BlobSelection::all()), entry));

  // The same cache made read-only: opened again, it degrades to memory (documented choice).
  REQUIRE(disk.remount_read_only());
  check_degrades_to_memory(root);
}

TEST_CASE("JITCU_REMOTE_CACHE is read; the store puts a Redis tier under the disk") {
  TempDir dir;
  ScopedEnv cache_dir("JITCU_CACHE_DIR", (dir / "cache").string());
  ScopedEnv disable("JITCU_DISABLE_CACHE", "");
  {
    ScopedEnv remote("JITCU_REMOTE_CACHE", "");
    CHECK(StoreConfig::from_env().remote.empty());
  }
  ScopedEnv remote("JITCU_REMOTE_CACHE", "redis://cache.example:6379");
  const StoreConfig config = StoreConfig::from_env();
  CHECK(config.remote == "redis://cache.example:6379");
  clear_log();
  const auto store = open_store(config);  // connects on first use: nothing to warn about yet
  REQUIRE(store->tiers().size() == 2);
  CHECK(store->tiers()[0]->describe() == "disk " + (dir / "cache").string());
  CHECK(store->tiers()[1]->describe() == "redis cache.example:6379/0");
  CHECK(warnings().empty());
}
