#pragma once
// The cache as the engine sees it: tiers stacked top first (memory or disk, then remote),
// opened from the environment. A lower tier's hit fills the tiers above it, in the background;
// a put writes through to every tier; a tier that fails is a logged miss.
#include <jitcu/cache/counters.hpp>
#include <jitcu/cache/tier.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jitcu::cache {

class DiskTier;
namespace detail {
class BackgroundFill;
}

constexpr std::uint64_t k_default_cache_limit_bytes = 1ull << 30;  // DESIGN.md default: 1 GiB

/// How to open the cache; from_env() reads the variables documented in docs/cache-format.md.
struct StoreConfig {
  std::string dir;  // empty: memory only
  std::uint64_t max_size_bytes = 0;
  bool disk_enabled = true;
  /// A remote tier under the local one (RedisConfig::from_url, docs/remote-cache.md):
  /// "redis://host:port", "unix:///path.sock"; empty: none.
  std::string remote;
  /// JITCU_CACHE_SHARED=1: the folder is shared on purpose; entries must then be signed with
  /// `secret` (JITCU_CACHE_SECRET), which a remote tier uses too.
  bool shared = false;
  std::optional<std::string> secret;

  /// JITCU_DISABLE_CACHE=1 turns the disk cache off; JITCU_CACHE_DIR, else
  /// $XDG_CACHE_HOME/jitcu, else ~/.cache/jitcu; JITCU_CACHE_MAX_SIZE ("512M", "2G", bytes),
  /// default 1 GiB; JITCU_REMOTE_CACHE, JITCU_CACHE_SHARED, JITCU_CACHE_SECRET. A malformed value
  /// is warned about and the default used.
  static StoreConfig from_env();
};

/// The default cache folder from the environment (JITCU_CACHE_DIR, XDG_CACHE_HOME, HOME).
std::string default_cache_dir();
/// Parses "123", "512K", "512M", "1G", "1.5G" (powers of 1024); nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// Which tier a hit came from (an index into tiers()) and the entry found.
struct Hit {
  Entry entry;
  std::size_t tier = 0;
};

class TieredStore {
 public:
  /// `tiers` top first; at least one.
  explicit TieredStore(std::vector<std::shared_ptr<Tier>> tiers);
  /// Waits for the fills still being written.
  ~TieredStore();
  TieredStore(const TieredStore&) = delete;
  TieredStore& operator=(const TieredStore&) = delete;

  /// Why get() is asked: a compile's lookup (counted as a hit in counters()), or a later read
  /// of one more blob of an entry found before (Module::ptx(), not a hit again).
  enum class Lookup { compile, more_blobs };
  /// The first tier that has `key` answers with the selected blobs. A lower tier's entry is read
  /// whole, returned at once and put into every tier above it on a thread of the store's own
  /// (wait_for_fills() waits for that). A compile's hit is counted in memory.
  std::optional<Hit> get(const Key& key, const BlobSelection& blobs, Lookup lookup = Lookup::compile);
  /// Returns once every fill that get() queued so far is written.
  void wait_for_fills();
  /// Writes through to every tier.
  void put(const Key& key, const Entry& entry);
  /// Removes the key from every tier.
  void remove(const Key& key);
  /// Every tier's lock, top first: one compile per key in this process, on this machine and,
  /// with a remote tier, across machines.
  std::unique_ptr<KeyLock> lock(const Key& key);

  const std::vector<std::shared_ptr<Tier>>& tiers() const { return tiers_; }
  /// The disk tier, for listing and maintenance; nullptr when the cache is in memory only.
  DiskTier* disk() const;

  /// Adds `delta` to this process's counters: what the engine knows (misses, compiles and
  /// their time, hits in its own memory). In memory only, no I/O.
  void count(const CacheCounters& delta);
  /// This process's counters since the store opened.
  CacheCounters counters() const;
  /// Adds what was counted since the last flush to the disk tier's <cache>/stats; nothing
  /// without a disk tier. Never throws. Counts not flushed when the process dies are lost.
  void flush_counters();

 private:
  enum class TierKind { memory, disk, remote };
  void count_hit(TierKind kind, const EntryRecord& record);
  std::vector<std::shared_ptr<Tier>> tiers_;
  std::vector<TierKind> kinds_;  // of each tier, for the hit counters
  std::shared_ptr<CounterTally> tally_;  // the disk or memory tier's, when there is one
  std::unique_ptr<detail::BackgroundFill> fill_;  // destroyed first: its jobs use tiers_
};

/// The store `config` asks for: a DiskTier at config.dir or, when the disk cache is off or the
/// folder is unusable, a MemoryTier (with one warning naming the folder and the reason); then
/// the remote tier, if any.
std::shared_ptr<TieredStore> open_store(const StoreConfig& config);

}  // namespace jitcu::cache
