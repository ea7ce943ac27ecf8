// Processes killed at any moment: no half entries, locks released, leftovers cleaned.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_tier.hpp>

#include <sys/file.h>

#include <set>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

// A pid that belonged to a process which has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = fork_child([] { return 0; });
  REQUIRE(wait_child(pid) == 0);
  return pid;
}

}  // namespace

TEST_CASE("processes SIGKILLed during put leave no entry that looks valid but is not") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  { DiskTier make(root, k_big_cap); }
  // A small cap makes the victims evict (and get killed while evicting) too.
  constexpr std::uint64_t k_cap = 8ull << 20;
  std::size_t leftovers_seen = 0;
  for (int victim = 0; victim < 30; ++victim) {
    const std::uint64_t child_seed = rng();
    const pid_t pid = fork_child([&] {
      std::mt19937_64 local(child_seed);
      DiskTier store(root, k_cap);
      for (;;) {
        const Key key = random_key(local);
        // 0.5 to 3 MB over three blobs: a put takes long enough to be hit in the middle.
        store.put(key, entry_for_key(key, 500'000 + local() % 2'500'000));
      }
      return 0;
    });
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 80'000));
    ::kill(pid, SIGKILL);
    CHECK(wait_child(pid) == 128 + SIGKILL);
    leftovers_seen += count_children(root / "tmp");
  }
  MESSAGE("tmp/ leftovers seen after the kills (summed): " << leftovers_seen);

  clear_log();
  DiskTier store(root, k_cap);
  const Key fresh = random_key(rng);
  store.put(fresh, entry_for_key(fresh, 4096));  // a store's first write cleans what the dead left in tmp/
  CHECK(count_children(root / "tmp") == 0);
  const auto results = store.verify();
  MESSAGE("entries published before the kills: " << results.size());
  for (const auto& result : results) {
    INFO(result.key.hex() << ": " << result.problem);
    CHECK(result.ok);
  }
  for (const ListedEntry& listed : store.list()) {
    const BlobRef* cubin = listed.record.blob("sm_90.cubin");
    REQUIRE(cubin);
    CHECK(same_entry(store.get(listed.record.key, BlobSelection::all()),
                     entry_for_key(listed.record.key, cubin->size_bytes)));
  }
  CHECK(warnings().empty());
  CHECK(store.stats().total_size_bytes <= k_cap);
}

TEST_CASE("a lock held by a process that is SIGKILLed is released") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const fs::path root = dir / "cache";
  DiskTier store(root, k_big_cap);
  const Key key = random_key(rng);
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t holder = fork_child([&] {
    DiskTier child_store(root, k_big_cap);
    const auto held = child_store.lock(key);
    const char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) return 1;
    for (;;) ::pause();
  });
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);

  const pid_t waiter = fork_child([&] {
    DiskTier child_store(root, k_big_cap);
    const auto held = child_store.lock(key);
    return 0;
  });
  CHECK_FALSE(wait_child_for(waiter, std::chrono::milliseconds(300)).has_value());  // blocked
  ::kill(holder, SIGKILL);
  CHECK(wait_child(holder) == 128 + SIGKILL);
  const std::optional<int> waited = wait_child_for(waiter, std::chrono::seconds(30));  // a guard, not a bound
  CHECK(waited == 0);
  if (!waited) {
    ::kill(waiter, SIGKILL);
    wait_child(waiter);
  }
  // With both gone nothing holds it: a non-blocking try succeeds at once.
  const fs::path stripe = root / "locks" / (key.hex().substr(0, 3) + ".lock");
  const int fd = ::open(stripe.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  ::close(fd);
}

TEST_CASE("a store's first write removes tmp/ leftovers of dead or long-gone runs, and only those") {
  TempDir dir;
  const fs::path root = dir / "cache";
  { DiskTier make(root, k_big_cap); }
  const fs::path tmp = root / "tmp";
  const pid_t dead = dead_pid();
  const pid_t alive = ::getppid();  // the process that started the tests: alive, not us
  const auto two_hours_ago = std::chrono::system_clock::now() - std::chrono::hours(2);

  write_file(tmp / (std::to_string(dead) + "-0123456789abcdef") / "sm_90.cubin", "half");
  write_file(tmp / (std::to_string(dead) + "-00000000000000aa.removed") / "meta.json", "{}");
  write_file(tmp / (std::to_string(dead) + "-00000000000000bb.size"), "1");
  write_file(tmp / (std::to_string(alive) + "-fresh") / "program.ptx", "in progress");
  write_file(tmp / (std::to_string(alive) + "-old") / "program.ptx", "abandoned");
  set_mtime(tmp / (std::to_string(alive) + "-old"), two_hours_ago);
  write_file(tmp / "no-pid-fresh", "?");
  write_file(tmp / "no-pid-old", "?");
  set_mtime(tmp / "no-pid-old", two_hours_ago);
  // A staging folder still flock()ed by its writer stays, even if its pid looks dead
  // (another pid namespace sharing the cache, say).
  const fs::path locked = tmp / (std::to_string(dead) + "-00000000000000cc");
  fs::create_directory(locked);
  const int locked_fd = ::open(locked.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(locked_fd >= 0);
  REQUIRE(::flock(locked_fd, LOCK_EX) == 0);

  DiskTier store(root, k_big_cap);
  CHECK(count_children(tmp) == 8);  // opening the store lists nothing: a cache hit stays cheap
  std::mt19937_64 rng(7);
  const Key key = random_key(rng);
  store.put(key, random_entry(rng, key));
  REQUIRE(store.get(key, BlobSelection::none()));
  std::set<std::string> left;
  for (const auto& item : fs::directory_iterator(tmp)) left.insert(item.path().filename().string());
  CHECK(left == std::set<std::string>{std::to_string(alive) + "-fresh", "no-pid-fresh",
                                      std::to_string(dead) + "-00000000000000cc"});
  ::close(locked_fd);
}
