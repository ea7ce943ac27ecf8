#pragma once
// The cache store interface: disk, memory (and later remote) stores implement it.
#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/key.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jitcu::cache {

/// Held while one process compiles a key; others asking for the same key wait on it.
/// Released on destruction, and by the OS if the holder dies.
class KeyLock {
 public:
  virtual ~KeyLock() = default;
};

/// Totals for `jitcu cache stats` and eviction.
struct StoreStats {
  std::uint64_t entries = 0;
  std::uint64_t total_size_bytes = 0;
  std::uint64_t max_size_bytes = 0;
};

/// Outcome of checking one entry.
struct VerifyResult {
  Key key;
  bool ok = true;
  std::string problem;  // what is wrong, empty when ok
};

/// A content-addressed store of compiled entries. A damaged entry is a logged miss, never an
/// exception; I/O failures while writing are logged and swallowed (a compile never fails
/// because the cache could not keep its result).
class Store {
 public:
  virtual ~Store() = default;
  /// The entry's metadata if present and intact; records the use (for LRU) without rewriting.
  virtual std::optional<FoundEntry> find(const Key& key) = 0;
  /// find() for loading: the blobs and the summary (NewEntry::summary), not the metadata
  /// (FoundEntry::meta stays null where the store can skip reading it, as a disk store does).
  /// A cache hit uses it: no JSON parse. Entries without a summary come back as find() gives them.
  virtual std::optional<FoundEntry> find_quick(const Key& key) { return find(key); }
  /// One blob's bytes, checksum verified. On a missing or damaged blob: warns once naming the
  /// entry, removes the entry and returns nullopt (the caller recompiles).
  virtual std::optional<std::string> read_blob(const FoundEntry& entry, std::string_view name) = 0;
  /// find_quick() and read_blob() in one step, for a cache hit: nullopt when there is no entry
  /// or it has no blob `name`, and, as read_blob() does, for a damaged one (warned, removed). A
  /// disk store checks the index and reads the blob without building a FoundEntry, and goes
  /// the long way for anything unusual.
  virtual std::optional<FoundBlob> find_blob(const Key& key, std::string_view name) {
    std::optional<FoundEntry> found = find_quick(key);
    if (!found || !found->blobs.count(std::string(name))) return std::nullopt;
    std::optional<std::string> bytes = read_blob(*found, name);
    if (!bytes) return std::nullopt;
    return FoundBlob{std::move(found->summary), std::move(*bytes), std::move(found->dir)};
  }
  /// Publishes atomically. If an intact entry for the key exists, it is kept (returns false);
  /// a damaged one is replaced. Then evicts least-recently-used entries over the size cap.
  virtual bool put(const Key& key, const NewEntry& entry) = 0;
  /// Removes an entry if present; safe against concurrent readers.
  virtual void remove(const Key& key) = 0;
  /// Blocks until this process is the only one compiling `key`.
  virtual std::unique_ptr<KeyLock> lock(const Key& key) = 0;
  /// Every entry whose meta.json is readable, newest first (for listings; no blob checks).
  virtual std::vector<FoundEntry> list() = 0;
  /// Checks every blob of every entry.
  virtual std::vector<VerifyResult> verify() = 0;
  virtual StoreStats stats() = 0;
  /// Evicts least-recently-used entries until the total is at most `max_size_bytes`;
  /// returns how many were removed.
  virtual std::size_t prune_to_size(std::uint64_t max_size_bytes) = 0;
  /// Removes entries last used before `cutoff`; returns how many.
  virtual std::size_t prune_older_than(std::chrono::system_clock::time_point cutoff) = 0;
  /// Removes every entry; returns how many.
  virtual std::size_t clear() = 0;
  /// Where the entries live ("memory" for a memory store).
  virtual std::string location() const = 0;
};

}  // namespace jitcu::cache
