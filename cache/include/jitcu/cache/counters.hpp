#pragma once
// What a cache did: hits by tier, misses, compiles and their time, damage, evictions. Counted
// in memory in each process (a hit pays no I/O for it) and added to <cache>/stats, the totals
// of every process, after compiles and when an Engine goes (docs/cache-format.md).
#include <cstdint>
#include <mutex>

namespace jitcu::cache {

/// Counts of cache events: one process's (Engine::stats()) or every process's (`jitcu cache stats`).
struct CacheCounters {
  /// Compiles answered from process memory: the engine's in-process cache, or the memory tier.
  std::uint64_t memory_hits = 0;
  /// Compiles answered by the cache folder on disk.
  std::uint64_t disk_hits = 0;
  /// Compiles answered by the remote tier (Redis); the entry was then copied to the tiers above.
  std::uint64_t remote_hits = 0;
  /// Compiles that no tier could answer (each one then ran NVRTC, or found what another process made meanwhile).
  std::uint64_t misses = 0;
  /// NVRTC runs (a link counts once), failed ones included.
  std::uint64_t compiles = 0;
  /// Nanoseconds NVRTC spent in those runs.
  std::uint64_t compile_ns = 0;
  /// Nanoseconds saved by hits: the compile time each hit entry recorded when it was made.
  std::uint64_t saved_ns = 0;
  /// Damaged entries found (and removed) on a lookup.
  std::uint64_t damaged = 0;
  /// Entries removed by the size cap or `jitcu cache prune` (not by `cache clear`).
  std::uint64_t evictions = 0;
  /// Precompiled-header files removed by the size cap or `jitcu cache prune`.
  std::uint64_t pch_evictions = 0;

  /// Hits of every tier.
  std::uint64_t hits() const { return memory_hits + disk_hits + remote_hits; }
  /// Adds `other`, field by field.
  CacheCounters& operator+=(const CacheCounters& other);
  /// Takes `other` away, field by field (each field of `other` at most this one's).
  CacheCounters& operator-=(const CacheCounters& other);
  /// Equal when every field is.
  bool operator==(const CacheCounters&) const = default;
};

/// One counter: its name (in the cache folder's `stats` file and `jitcu cache stats --json`) and its field.
struct CounterField {
  /// "disk_hits", ...
  const char* name;
  /// The field it names.
  std::uint64_t CacheCounters::*member;
};

/// Every counter, in the order the stats file and the tool list them.
inline constexpr CounterField k_counter_fields[] = {
    {"memory_hits", &CacheCounters::memory_hits}, {"disk_hits", &CacheCounters::disk_hits},
    {"remote_hits", &CacheCounters::remote_hits}, {"misses", &CacheCounters::misses},
    {"compiles", &CacheCounters::compiles},       {"compile_ns", &CacheCounters::compile_ns},
    {"saved_ns", &CacheCounters::saved_ns},       {"damaged", &CacheCounters::damaged},
    {"evictions", &CacheCounters::evictions},     {"pch_evictions", &CacheCounters::pch_evictions},
};

inline CacheCounters& CacheCounters::operator+=(const CacheCounters& other) {
  for (const CounterField& field : k_counter_fields) this->*field.member += other.*field.member;
  return *this;
}

inline CacheCounters& CacheCounters::operator-=(const CacheCounters& other) {
  for (const CounterField& field : k_counter_fields) this->*field.member -= other.*field.member;
  return *this;
}

/// Counters kept in memory by one process, thread-safe: what an Engine's store counts, and what
/// it has not yet added to the cache folder's stats file. Counting costs a mutex, no I/O.
class CounterTally {
 public:
  /// A tally of the process `pid` (getpid()).
  explicit CounterTally(long pid) : pid_(pid) {}
  /// Adds `delta` to this process's counts.
  void add(const CacheCounters& delta) {
    const std::lock_guard lock(mutex_);
    total_ += delta;
  }
  /// Everything counted since the tally was made.
  CacheCounters total() const {
    const std::lock_guard lock(mutex_);
    return total_;
  }
  /// What was counted since the last take, now marked as flushed; `pid` is the caller's
  /// process id: a forked child does not flush again what its parent counted before the fork.
  CacheCounters take_unflushed(long pid) {
    const std::lock_guard lock(mutex_);
    if (pid != pid_) {  // a forked child: what its parent counted is the parent's to flush
      flushed_ = total_;
      pid_ = pid;
    }
    CacheCounters taken = total_;
    taken -= flushed_;
    flushed_ = total_;
    return taken;
  }
  /// Undoes a take whose write failed, so the next flush tries again.
  void give_back(const CacheCounters& taken) {
    const std::lock_guard lock(mutex_);
    flushed_ -= taken;
  }

 private:
  mutable std::mutex mutex_;
  CacheCounters total_;
  CacheCounters flushed_;
  long pid_;  // the process whose counts are unflushed
};

}  // namespace jitcu::cache
