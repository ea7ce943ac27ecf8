#pragma once
// Private: <root>/stats, the counters of every process that used the cache (docs/cache-format.md).
#include "posix_io.hpp"

#include <jitcu/cache/counters.hpp>

#include <cstdint>
#include <string>

namespace jitcu::cache::detail {

/// What <root>/stats records: every process's counters since `zeroed_unix`.
struct RecordedCounters {
  CacheCounters counters;
  std::int64_t zeroed_unix = 0;  // when the counts started: the file's creation or the last zero
};

/// Reads and changes <root>/stats under its own lock (<root>/locks/stats.lock): one
/// read-modify-write at a time across processes, so no update is lost. The file has a fixed
/// size and is rewritten in place, so an update allocates no block and succeeds on a full disk.
/// A file that is not what jitcu writes (garbage, a link, a FIFO, another user's) is replaced
/// by zeros with one warning.
class StatsFile {
 public:
  StatsFile(std::string file, std::string lock_file, FileModes modes);
  /// Adds `delta`; creates the file if needed. Throws IoError.
  void add(const CacheCounters& delta) const;
  /// The recorded counters; zeros since now when there is no file (none is made). Throws IoError.
  RecordedCounters read() const;
  /// Sets every counter to zero, since now. Throws IoError.
  void zero() const;

 private:
  enum class Change { none, add, zero };
  struct Found;
  /// Under the lock: reads and checks the file, applies `change`, writes it back in place.
  RecordedCounters update(Change change, const CacheCounters& delta) const;
  Found find_locked() const;
  /// Warns once and removes a file that is not jitcu's (a link itself, never its target).
  void discard_locked(Found& found) const;
  void write_locked(Found& found, const RecordedCounters& recorded) const;

  std::string file_;  // strings: a store is opened on every cache hit
  std::string lock_file_;
  FileModes modes_;
};

}  // namespace jitcu::cache::detail
