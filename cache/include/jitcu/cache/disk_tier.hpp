#pragma once
// The on-disk tier: one folder per entry, plain files, atomic publish, LRU under a size cap,
// and the cache's maintenance (list, verify, prune, clear). docs/cache-format.md.
#include <jitcu/cache/counters.hpp>
#include <jitcu/cache/tier.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace jitcu::cache {

/// An entry as a listing shows it.
struct ListedEntry {
  EntryRecord record;
  std::filesystem::path dir;
  std::chrono::system_clock::time_point last_used;
  std::uint64_t total_size_bytes = 0;  // every file of the entry
};

/// Outcome of checking one entry.
struct VerifyResult {
  Key key;
  bool ok = true;
  std::string problem;  // what is wrong, empty when ok
  std::filesystem::path dir;  // the entry's folder (or a shard folder that cannot be read)
  bool unreadable = false;    // the entry could not be read (an I/O error, no permission): not damage
};

/// Who the folder is trusted for. Private (the default): the folder and every entry must be
/// the user's own and writable by nobody else (ssh's rule), since checksums do not stop
/// forgery. Shared (JITCU_CACHE_SHARED=1): the folder's group shares it, files are made
/// group-writable, and every entry is signed with the secret (JITCU_CACHE_SECRET); an entry
/// without a valid signature is a miss.
struct DiskTrust {
  bool shared = false;
  std::optional<std::string> secret;  // required when shared
};

/// Thrown when a folder is no cache jitcu may use: not empty and not a jitcu cache, or not
/// private to the user. The message says why and what to do.
class UnusableCacheFolder : public std::runtime_error {
 public:
  enum class Reason { not_a_cache, not_private, other };
  UnusableCacheFolder(const std::string& what, Reason reason) : std::runtime_error(what), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

/// A precompiled-header file the compile workers keep in <cache>/pch, as listings show it.
struct ListedPch {
  std::filesystem::path path;
  std::uint64_t size_bytes = 0;
  std::chrono::system_clock::time_point last_used;  // its mtime: a worker bumps it on every use
};

/// Totals for `jitcu cache stats` and `jitcu info`.
struct DiskStats {
  std::uint64_t entries = 0;
  std::uint64_t total_size_bytes = 0;  // entries and precompiled headers: what the cap covers
  std::uint64_t max_size_bytes = 0;
  std::uint64_t pch_files = 0;
  std::uint64_t pch_bytes = 0;
};

/// What a prune or a clear removed.
struct Removed {
  std::size_t entries = 0;
  std::size_t pch_files = 0;
};

/// The counters in <cache>/stats: every process's since `zeroed`.
struct RecordedStats {
  CacheCounters counters;
  std::chrono::system_clock::time_point zeroed;  // the first count, or the last zero_counters()
};

class DiskTier final : public Tier {
 public:
  /// Opens (creating with mode 0700) the cache at `root`. A folder that exists must be empty, or
  /// a jitcu cache (it holds the marker file `.jitcu-cache`); jitcu writes the marker into a new
  /// or empty folder and so never takes over, cleans or deletes a folder it did not make.
  /// Throws UnusableCacheFolder or std::runtime_error naming the folder, the reason and what to do.
  DiskTier(const std::filesystem::path& root, std::uint64_t max_size_bytes, DiskTrust trust = {});
  /// Flushes the counters (flush_counters()).
  ~DiskTier() override;
  DiskTier(const DiskTier&) = delete;
  DiskTier& operator=(const DiskTier&) = delete;

  std::optional<Entry> get(const Key& key, const BlobSelection& blobs) override;
  void put(const Key& key, const Entry& entry) override;
  void remove(const Key& key) override;
  std::unique_ptr<KeyLock> lock(const Key& key) override;
  std::string describe() const override;

  /// Every entry with a readable record, newest first (no blob checks).
  std::vector<ListedEntry> list();
  /// Checks the record and every blob of every entry; changes nothing.
  std::vector<VerifyResult> verify();
  DiskStats stats();
  /// The compile workers' precompiled headers (<cache>/pch), least recently used first.
  std::vector<ListedPch> list_pch();
  /// Evicts least-recently-used entries and precompiled headers until the total is at most
  /// `max_size_bytes`.
  Removed prune_to_size(std::uint64_t max_size_bytes);
  /// Removes entries and precompiled headers last used before `cutoff`.
  Removed prune_older_than(std::chrono::system_clock::time_point cutoff);
  /// Removes every entry, and every precompiled header and its lock and temporary files
  /// (a compile using one loses only its PCH).
  Removed clear();

  /// This process's counts, shared with the TieredStore over this tier: they cost no I/O until
  /// flush_counters().
  const std::shared_ptr<CounterTally>& tally() const;
  /// Adds what this process counted since the last flush to <cache>/stats (one lock, a read and
  /// a write in place). Never throws: a failure is logged at debug level and retried next time.
  void flush_counters();
  /// Every process's counters recorded in <cache>/stats (zeros when it has none yet).
  RecordedStats recorded_counters();
  /// Sets the recorded counters to zero (`jitcu cache stats --zero`); entries stay. Throws
  /// std::runtime_error when the file cannot be written.
  void zero_counters();

  /// The cache folder, made absolute.
  const std::filesystem::path& root() const;
  /// The folder an entry of `key` lives in (whether or not it exists).
  std::filesystem::path entry_dir(const Key& key) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace jitcu::cache
