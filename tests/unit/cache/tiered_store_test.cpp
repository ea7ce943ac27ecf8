// TieredStore over real tiers (memory over disk, disk over disk): a lower hit fills the tiers
// above, put writes through, remove removes everywhere, a failing tier is a logged miss, and
// lock() locks every tier.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

/// A tier that fails as a broken remote would: get and remove throw, put too when asked.
class ThrowingTier final : public Tier {
 public:
  explicit ThrowingTier(bool put_throws) : put_throws_(put_throws) {}
  std::optional<Entry> get(const Key&, const BlobSelection&) override {
    ++gets;
    throw std::runtime_error("connection refused");
  }
  void put(const Key&, const Entry&) override {
    ++puts;
    if (put_throws_) throw std::runtime_error("read-only replica");
  }
  void remove(const Key&) override {
    ++removes;
    throw std::runtime_error("gone away");
  }
  std::unique_ptr<KeyLock> lock(const Key&) override { return std::make_unique<KeyLock>(); }
  std::string describe() const override { return "broken test tier"; }

  std::atomic<int> gets{0}, puts{0}, removes{0};

 private:
  bool put_throws_;
};

/// A memory tier that writes "<name>+" when its lock is taken and "<name>-" when released.
class RecordingTier final : public Tier {
 public:
  RecordingTier(std::string name, std::vector<std::string>& events) : name_(std::move(name)), events_(events) {}
  std::optional<Entry> get(const Key& key, const BlobSelection& blobs) override { return inner_.get(key, blobs); }
  void put(const Key& key, const Entry& entry) override { inner_.put(key, entry); }
  void remove(const Key& key) override { inner_.remove(key); }
  std::unique_ptr<KeyLock> lock(const Key&) override {
    events_.push_back(name_ + "+");
    return std::make_unique<Recorded>(name_, events_);
  }
  std::string describe() const override { return name_; }

 private:
  struct Recorded final : KeyLock {
    Recorded(std::string tier_name, std::vector<std::string>& log) : name(std::move(tier_name)), events(log) {}
    ~Recorded() override { events.push_back(name + "-"); }
    std::string name;
    std::vector<std::string>& events;
  };
  std::string name_;
  std::vector<std::string>& events_;
  MemoryTier inner_{k_big_cap};
};

/// Two real tiers in their own temp folders: memory over disk, or disk over another disk.
struct TwoTiers {
  explicit TwoTiers(bool disk_above)
      : upper(disk_above ? std::shared_ptr<Tier>(std::make_shared<DiskTier>(upper_dir / "cache", k_big_cap))
                         : std::shared_ptr<Tier>(std::make_shared<MemoryTier>(k_big_cap))),
        lower(std::make_shared<DiskTier>(lower_dir / "cache", k_big_cap)),
        store({upper, lower}) {}

  TempDir upper_dir{"jitcu-upper"};
  TempDir lower_dir{"jitcu-lower"};
  std::shared_ptr<Tier> upper;
  std::shared_ptr<DiskTier> lower;
  TieredStore store;
};

}  // namespace

TEST_CASE("a lower tier's hit fills the tier above with the whole entry; the next get is the upper tier's") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (const bool disk_above : {false, true}) {
    TwoTiers two(disk_above);
    INFO(two.upper->describe() << " over " << two.lower->describe());
    clear_log();
    const Key key = random_key(rng);
    const Entry entry = random_entry(rng, key, 1 + rng() % 60'000);
    two.lower->put(key, entry);
    REQUIRE_FALSE(two.upper->get(key, BlobSelection::all()));

    const std::optional<Hit> from_lower = two.store.get(key, BlobSelection::only("sm_90.cubin"));
    REQUIRE(from_lower);
    CHECK(from_lower->tier == 1);
    CHECK(from_lower->entry.record == entry.record);
    CHECK(from_lower->entry.blobs.at("sm_90.cubin") == entry.blobs.at("sm_90.cubin"));
    // Once the fill is written, the tier above holds all of it, not only what this get asked for.
    two.store.wait_for_fills();
    CHECK(same_entry(two.upper->get(key, BlobSelection::all()), entry));

    for (const std::string& name : loadable_blobs()) {
      const std::optional<Hit> from_upper = two.store.get(key, BlobSelection::only(name));
      REQUIRE(from_upper);
      CHECK(from_upper->tier == 0);
      CHECK(same_entry(from_upper->entry, selected(entry, BlobSelection::only(name))));
    }
    if (disk_above) {
      auto& upper_disk = dynamic_cast<DiskTier&>(*two.upper);
      REQUIRE(upper_disk.verify().size() == 1);
      CHECK(upper_disk.verify()[0].ok);
    }
    CHECK_FALSE(two.store.get(random_key(rng), BlobSelection::all()).has_value());  // in neither: a miss
    CHECK(warnings().empty());
  }
}

namespace {

/// A memory tier whose put() waits until the test opens its gate.
class GatedTier final : public Tier {
 public:
  std::optional<Entry> get(const Key& key, const BlobSelection& blobs) override { return inner_.get(key, blobs); }
  void put(const Key& key, const Entry& entry) override {
    std::unique_lock lock(mutex_);
    put_started_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    inner_.put(key, entry);
  }
  void remove(const Key& key) override { inner_.remove(key); }
  std::unique_ptr<KeyLock> lock(const Key&) override { return std::make_unique<KeyLock>(); }
  std::string describe() const override { return "gated test tier"; }

  void wait_for_put() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return put_started_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool put_started_ = false, open_ = false;
  MemoryTier inner_{k_big_cap};
};

}  // namespace

TEST_CASE("a lower tier's hit returns before the tier above is written; wait_for_fills waits for that write") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir("jitcu-lower");
  auto upper = std::make_shared<GatedTier>();
  auto lower = std::make_shared<DiskTier>(dir.path() / "cache", k_big_cap);
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key, 1 + rng() % 60'000);
  lower->put(key, entry);
  {
    TieredStore store({upper, lower});
    const std::optional<Hit> hit = store.get(key, BlobSelection::all());  // returns while the upper put waits
    REQUIRE(hit);
    CHECK(hit->tier == 1);
    CHECK(same_entry(hit->entry, entry));
    upper->wait_for_put();
    CHECK_FALSE(upper->get(key, BlobSelection::all()).has_value());
    std::thread opener([&] { upper->open(); });
    store.wait_for_fills();
    opener.join();
    CHECK(same_entry(upper->get(key, BlobSelection::all()), entry));
  }
  // A store destroyed with a fill still queued writes it first.
  const Key other = random_key(rng);
  const Entry other_entry = random_entry(rng, other, rng() % 20'000);
  lower->put(other, other_entry);
  auto plain_upper = std::make_shared<MemoryTier>(k_big_cap);
  {
    TieredStore store({plain_upper, lower});
    REQUIRE(store.get(other, BlobSelection::all()));
  }
  CHECK(same_entry(plain_upper->get(other, BlobSelection::all()), other_entry));
}

TEST_CASE("put writes through to every tier; remove removes from every tier") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (const bool disk_above : {false, true}) {
    TwoTiers two(disk_above);
    INFO(two.upper->describe() << " over " << two.lower->describe());
    clear_log();
    std::vector<Key> keys;
    std::vector<Entry> entries;
    for (int i = 0; i < 5; ++i) {
      keys.push_back(random_key(rng));
      entries.push_back(random_entry(rng, keys.back(), rng() % 20'000));
      two.store.put(keys.back(), entries.back());
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
      CHECK(same_entry(two.upper->get(keys[i], BlobSelection::all()), entries[i]));
      CHECK(same_entry(two.lower->get(keys[i], BlobSelection::all()), entries[i]));
    }
    two.store.remove(keys[2]);
    two.store.remove(keys[2]);  // absent everywhere: nothing happens
    CHECK_FALSE(two.upper->get(keys[2], BlobSelection::none()).has_value());
    CHECK_FALSE(two.lower->get(keys[2], BlobSelection::none()).has_value());
    CHECK_FALSE(two.store.get(keys[2], BlobSelection::none()).has_value());
    CHECK(two.lower->stats().entries == keys.size() - 1);
    // Removed from the upper tier only: the lower one answers again and fills it back.
    two.upper->remove(keys[0]);
    const std::optional<Hit> hit = two.store.get(keys[0], BlobSelection::all());
    REQUIRE(hit);
    CHECK(hit->tier == 1);
    CHECK(same_entry(hit->entry, entries[0]));
    two.store.wait_for_fills();
    CHECK(same_entry(two.upper->get(keys[0], BlobSelection::all()), entries[0]));
    CHECK(warnings().empty());
  }
}

TEST_CASE("a damaged entry in the disk tier above is warned about, removed, and filled again from below") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TwoTiers two(true);
  auto& upper = dynamic_cast<DiskTier&>(*two.upper);
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key);
  two.store.put(key, entry);
  damage_file_bytes(upper.entry_dir(key) / "sm_90.cubin", rng() % 2 == 0, rng);
  clear_log();
  const std::optional<Hit> hit = two.store.get(key, BlobSelection::only("sm_90.cubin"));
  REQUIRE(hit);
  CHECK(hit->tier == 1);
  CHECK(hit->entry.blobs.at("sm_90.cubin") == entry.blobs.at("sm_90.cubin"));
  two.store.wait_for_fills();
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find(upper.entry_dir(key).string()) != std::string::npos);
  CHECK(same_entry(upper.get(key, BlobSelection::all()), entry));
  for (const VerifyResult& result : upper.verify()) CHECK(result.ok);
}

TEST_CASE("a tier whose get throws is a logged miss and the next tier answers; its failing put and remove too") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  auto memory = std::make_shared<MemoryTier>(k_big_cap);
  auto broken = std::make_shared<ThrowingTier>(true);
  auto disk = std::make_shared<DiskTier>(dir / "cache", k_big_cap);
  TieredStore store({memory, broken, disk});
  CHECK(store.disk() == disk.get());
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key);
  disk->put(key, entry);

  clear_log();
  const std::optional<Hit> hit = store.get(key, BlobSelection::only("program.ptx"));
  REQUIRE(hit);
  CHECK(hit->tier == 2);
  CHECK(hit->entry.blobs.at("program.ptx") == entry.blobs.at("program.ptx"));
  store.wait_for_fills();
  CHECK(same_entry(memory->get(key, BlobSelection::all()), entry));  // filled above the broken tier too
  CHECK(broken->gets == 1);
  CHECK(broken->puts == 1);
  auto logged = warnings();
  REQUIRE(logged.size() == 2);
  CHECK(logged[0] == "cache tier broken test tier failed reading " + key.short_hex() + ": connection refused; a miss");
  CHECK(logged[1] == "cache tier broken test tier failed writing " + key.short_hex() + ": read-only replica; not kept there");

  // The memory tier answers now: the broken one is not asked.
  clear_log();
  REQUIRE(store.get(key, BlobSelection::all()));
  CHECK(broken->gets == 1);
  CHECK(warnings().empty());

  // put writes through past the broken tier; remove removes past it (its failure is no warning).
  const Key other = random_key(rng);
  const Entry other_entry = random_entry(rng, other);
  store.put(other, other_entry);
  CHECK(same_entry(memory->get(other, BlobSelection::all()), other_entry));
  CHECK(same_entry(disk->get(other, BlobSelection::all()), other_entry));
  REQUIRE(warnings().size() == 1);
  CHECK(warnings()[0].find("failed writing " + other.short_hex()) != std::string::npos);
  clear_log();
  store.remove(other);
  CHECK(broken->removes == 1);
  CHECK_FALSE(memory->get(other, BlobSelection::none()).has_value());
  CHECK_FALSE(disk->get(other, BlobSelection::none()).has_value());
  CHECK(warnings().empty());

  // A broken tier alone: every get is a logged miss, never an exception.
  TieredStore alone({std::make_shared<ThrowingTier>(false)});
  clear_log();
  std::optional<Hit> missed;
  CHECK_NOTHROW(missed = alone.get(key, BlobSelection::all()));
  CHECK_FALSE(missed.has_value());
  CHECK(warnings().size() == 1);
  CHECK(alone.disk() == nullptr);
}

TEST_CASE("lock() takes every tier's lock top first and releases them bottom first") {
  std::mt19937_64 rng(test_seed());
  std::vector<std::string> events;
  TieredStore store({std::make_shared<RecordingTier>("top", events), std::make_shared<RecordingTier>("middle", events),
                     std::make_shared<RecordingTier>("bottom", events)});
  {
    const auto held = store.lock(random_key(rng));
    CHECK(events == std::vector<std::string>{"top+", "middle+", "bottom+"});
  }
  CHECK(events == std::vector<std::string>{"top+", "middle+", "bottom+", "bottom-", "middle-", "top-"});
}

TEST_CASE("lock() holds every real tier: other threads and other processes wait on it") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (const bool disk_above : {false, true}) {
    TwoTiers two(disk_above);
    INFO(two.upper->describe() << " over " << two.lower->describe());
    const Key key = random_key(rng);
    // Processes are forked before the lock is taken: a child must not inherit the lock's file.
    int go[2];
    REQUIRE(::pipe(go) == 0);
    const fs::path lower_root = two.lower->root();
    const fs::path upper_root = disk_above ? dynamic_cast<DiskTier&>(*two.upper).root() : fs::path();
    std::vector<pid_t> children;
    for (const fs::path& root : {lower_root, upper_root}) {
      if (root.empty()) continue;
      children.push_back(fork_child([&, root] {
        char byte = 0;
        if (::read(go[0], &byte, 1) != 1) return 1;
        DiskTier tier(root, k_big_cap);
        const auto held = tier.lock(key);
        return 0;
      }));
    }
    ::close(go[0]);

    auto held = two.store.lock(key);
    const char bytes[2] = {1, 1};
    REQUIRE(::write(go[1], bytes, children.size()) == static_cast<ssize_t>(children.size()));
    ::close(go[1]);
    std::atomic<int> got{0};
    std::thread upper_waiter([&] {
      const auto mine = two.upper->lock(key);
      ++got;
    });
    std::thread store_waiter([&] {
      const auto mine = two.store.lock(key);
      ++got;
    });
    for (const pid_t child : children) CHECK_FALSE(wait_child_for(child, std::chrono::milliseconds(300)).has_value());
    CHECK(got == 0);

    held.reset();
    upper_waiter.join();
    store_waiter.join();
    CHECK(got == 2);
    for (const pid_t child : children) {
      const std::optional<int> code = wait_child_for(child, std::chrono::seconds(10));
      CHECK(code == 0);
      if (!code) {
        ::kill(child, SIGKILL);
        wait_child(child);
      }
    }
  }
}

TEST_CASE("a store needs a tier; with one, its lock is that tier's") {
  CHECK_THROWS_WITH_AS(TieredStore(std::vector<std::shared_ptr<Tier>>{}), "a TieredStore needs at least one tier", std::invalid_argument);
  std::mt19937_64 rng(test_seed());
  std::vector<std::string> events;
  TieredStore store({std::make_shared<RecordingTier>("only", events)});
  { const auto held = store.lock(random_key(rng)); }
  CHECK(events == std::vector<std::string>{"only+", "only-"});
}
