// Whom a cache folder is trusted for, what jitcu takes over, and messages that name the real
// cause: a folder of another user or writable by others is refused; a shared folder needs a
// secret and signed entries; a folder that is not a jitcu cache is never taken over; running
// out of file descriptors is not damage.
#include "cache_test_util.hpp"

#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/record.hpp>
#include <jitcu/cache/signature.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

constexpr std::uint64_t k_cap = 1ull << 30;
constexpr uid_t k_nobody = 65534;

cache::StoreConfig disk_config(const std::filesystem::path& dir) {
  cache::StoreConfig config;
  config.dir = dir.string();
  config.max_size_bytes = k_cap;
  return config;
}

/// Runs `body` in a child that has become the unprivileged user `nobody` (root bypasses the
/// permission checks these tests need); the child's exit code, 0 on success.
int as_nobody(const std::function<int()>& body) {
  return wait_child(fork_child([&] {
    if (::setgid(k_nobody) != 0 || ::setuid(k_nobody) != 0) return 90;
    return body();
  }));
}

/// Hands `dir` and everything in it to `nobody`.
void give_to_nobody(const std::filesystem::path& dir) {
  for (const auto& item : std::filesystem::recursive_directory_iterator(dir)) REQUIRE(::lchown(item.path().c_str(), k_nobody, k_nobody) == 0);
  REQUIRE(::chown(dir.c_str(), k_nobody, k_nobody) == 0);
}

}  // namespace

TEST_CASE("a cache folder writable by others, or of another user, is refused with what to do") {
  TempDir tmp;
  const auto dir = tmp / "cache";
  { cache::DiskTier made(dir, k_cap); }
  std::filesystem::permissions(dir, std::filesystem::perms::others_write | std::filesystem::perms::group_write,
                               std::filesystem::perm_options::add);
  try {
    cache::DiskTier refused(dir, k_cap);
    FAIL("a world-writable cache folder was trusted");
  } catch (const cache::UnusableCacheFolder& error) {
    CHECK(error.reason() == cache::UnusableCacheFolder::Reason::not_private);
    CHECK(std::string(error.what()).find("chmod go-w") != std::string::npos);
  }
  // The library runs on in memory, with one warning naming the folder.
  clear_log();
  const auto store = cache::open_store(disk_config(dir));
  CHECK(store->disk() == nullptr);
  CHECK(joined(warnings()).find(dir.string()) != std::string::npos);

  std::filesystem::permissions(dir, std::filesystem::perms::others_write | std::filesystem::perms::group_write,
                               std::filesystem::perm_options::remove);
  if (::geteuid() != 0) return;  // handing the folder to another user needs root
  REQUIRE(::chown(dir.c_str(), k_nobody, k_nobody) == 0);
  CHECK_THROWS_WITH_AS(cache::DiskTier(dir, k_cap), doctest::Contains("not to this user"), cache::UnusableCacheFolder);
}

TEST_CASE("a forged entry in a shared folder is a miss; a signed one is a hit") {
  TempDir tmp;
  std::mt19937_64 rng(test_seed());
  const auto dir = tmp / "shared";
  const cache::Key key = random_key(rng);
  const cache::Entry entry = random_entry(rng, key);
  CHECK_THROWS_WITH_AS(cache::DiskTier(dir, k_cap, {.shared = true, .secret = std::nullopt}), doctest::Contains("needs JITCU_CACHE_SECRET"),
                       cache::UnusableCacheFolder);
  {
    cache::DiskTier writer(dir, k_cap, {.shared = true, .secret = "s3cret"});
    writer.put(key, entry);
    CHECK(same_entry(writer.get(key, cache::BlobSelection::all()), entry));
    CHECK((mode_of(writer.entry_dir(key)) & 0770) == 0770);  // the group may read and publish
  }
  // Another secret, or none: never a load.
  clear_log();
  cache::DiskTier other_secret(dir, k_cap, {.shared = true, .secret = "other"});
  CHECK_FALSE(other_secret.get(key, cache::BlobSelection::only("sm_90.cubin")));
  CHECK(joined(warnings()).find("signature: does not match") != std::string::npos);

  // A forger with write access but no secret rewrites the cubin and the record's checksums.
  cache::DiskTier writer(dir, k_cap, {.shared = true, .secret = "s3cret"});
  writer.put(key, entry);
  REQUIRE(writer.get(key, cache::BlobSelection::none()));
  cache::Entry forged = entry;
  forged.blobs["sm_90.cubin"] = "evil";
  const cache::Entry resealed = cache::make_entry(forged.record, forged.blobs);
  write_file(writer.entry_dir(key) / "sm_90.cubin", "evil");
  write_file(writer.entry_dir(key) / "record", cache::encode_record(resealed.record));
  CHECK(cache::decode_record(read_file(writer.entry_dir(key) / "record"), &key).record);  // checksums pass
  clear_log();
  CHECK_FALSE(writer.get(key, cache::BlobSelection::only("sm_90.cubin")));
  CHECK(joined(warnings()).find("signature") != std::string::npos);
}

TEST_CASE("a folder that is not a jitcu cache is never taken over; the library moves into it") {
  TempDir tmp;
  const auto home = tmp / "home";
  write_file(home / "notes.txt", "mine\n");
  write_file(home / "pch" / "precious.bin", "mine too\n");
  write_file(home / "tmp" / "12345-old", "a file of mine named like a leftover\n");
  CHECK_THROWS_WITH_AS(cache::DiskTier(home, k_cap), doctest::Contains("is not a jitcu cache"), cache::UnusableCacheFolder);
  const auto store = cache::open_store(disk_config(home));
  REQUIRE(store->disk() != nullptr);
  CHECK(store->disk()->root() == home / "jitcu");
  std::mt19937_64 rng(test_seed());
  const cache::Key key = random_key(rng);
  store->put(key, random_entry(rng, key));
  store->disk()->clear();
  CHECK(read_file(home / "notes.txt") == "mine\n");
  CHECK(read_file(home / "pch" / "precious.bin") == "mine too\n");
  CHECK(std::filesystem::exists(home / "tmp" / "12345-old"));
  CHECK_FALSE(std::filesystem::exists(home / "CACHEDIR.TAG"));
  CHECK(std::filesystem::exists(home / "jitcu" / ".jitcu-cache"));

  // An empty folder, and one an older jitcu made (entries/, tmp/, locks/, no marker), are adopted.
  const auto empty = tmp / "empty";
  std::filesystem::create_directories(empty);
  CHECK_NOTHROW(cache::DiskTier(empty, k_cap));
  const auto older = tmp / "older";
  for (const char* sub : {"entries", "tmp", "locks"}) std::filesystem::create_directories(older / sub);
  std::filesystem::permissions(older, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  CHECK_NOTHROW(cache::DiskTier(older, k_cap));
  CHECK(std::filesystem::exists(older / ".jitcu-cache"));
}

TEST_CASE("out of file descriptors, a hit is a miss that says so, and the entry is kept") {
  TempDir tmp;
  std::mt19937_64 rng(test_seed());
  const cache::Key key = random_key(rng);
  cache::DiskTier disk(tmp / "cache", k_cap);
  disk.put(key, random_entry(rng, key));
  clear_log();
  const int status = wait_child(fork_child([&] {
    const int next_fd = ::dup(0);
    ::close(next_fd);
    const rlimit tight{static_cast<rlim_t>(next_fd + 1), static_cast<rlim_t>(next_fd + 1)};
    if (::setrlimit(RLIMIT_NOFILE, &tight) != 0) return 91;  // the entry folder opens; its record cannot
    if (disk.get(key, cache::BlobSelection::only("sm_90.cubin"))) return 92;
    const auto said = joined(warnings());
    if (said.find("Too many open files") == std::string::npos || said.find("is kept") == std::string::npos) return 93;
    return 0;
  }));
  CHECK(status == 0);
  CHECK(disk.get(key, cache::BlobSelection::only("sm_90.cubin")));  // not removed as damage
}

TEST_CASE("verify reports a folder it cannot list instead of calling the cache intact") {
  if (::geteuid() != 0) {
    MESSAGE("needs root to run as another user; skipped");
    return;
  }
  TempDir tmp;
  std::mt19937_64 rng(test_seed());
  const auto dir = tmp / "cache";
  const cache::Key key = random_key(rng);
  { cache::DiskTier(dir, k_cap).put(key, random_entry(rng, key)); }
  give_to_nobody(dir);
  REQUIRE(::chmod(tmp.path().c_str(), 0755) == 0);  // nobody may reach the cache folder
  std::filesystem::permissions(dir / "entries" / key.hex().substr(0, 2), std::filesystem::perms::none,
                               std::filesystem::perm_options::replace);  // but not list this shard
  CHECK(as_nobody([&] {
          cache::DiskTier disk(dir, k_cap);
          const auto results = disk.verify();
          if (results.size() != 1 || results.front().ok) return 1;
          return results.front().problem.find("cannot list") == std::string::npos ? 2 : 0;
        }) == 0);
}

// Processes opening one new folder at once: each must adopt it, none may take another's
// half-made cache for a foreign folder (which once sent a process to <folder>/jitcu).
TEST_CASE("processes opening one empty folder at once all adopt it") {
  TempDir tmp;
  for (int round = 0; round < 20; ++round) {
    CAPTURE(round);
    const auto dir = tmp / ("round" + std::to_string(round));
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    std::vector<pid_t> children;
    for (int p = 0; p < 12; ++p) children.push_back(fork_child([&] {
      try {
        cache::DiskTier disk(dir, k_cap);
        return 0;
      } catch (const std::exception&) {
        return 1;
      }
    }));
    int refused = 0;
    for (const pid_t child : children) refused += wait_child(child) != 0;
    CHECK(refused == 0);
    CHECK_FALSE(std::filesystem::exists(dir / "jitcu"));
  }
}
