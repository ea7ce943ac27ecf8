#pragma once
// One storage tier of the cache (memory, disk, Redis): a handful of byte-level operations.
// TieredStore stacks them; maintenance lives with the tier that has something to maintain.
#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/key.hpp>

#include <memory>
#include <optional>
#include <string>

namespace jitcu::cache {

/// Held while one process compiles a key; others asking for the same key wait on it.
/// Released on destruction, and by the tier if the holder dies.
class KeyLock {
 public:
  virtual ~KeyLock() = default;
};

/// A place entries live. A damaged or unreadable entry is a logged miss, never an exception
/// and never a wrong entry; a failing write is logged and dropped (a compile never fails
/// because a tier could not keep its result).
class Tier {
 public:
  virtual ~Tier() = default;
  /// The entry's record and the selected blobs, each checked against the record; nullopt on a
  /// miss. A damaged entry is warned about once, removed, and missed.
  virtual std::optional<Entry> get(const Key& key, const BlobSelection& blobs) = 0;
  /// Stores an entry holding all its blobs (make_entry). An intact entry already there is kept.
  virtual void put(const Key& key, const Entry& entry) = 0;
  /// Removes the key's entry if present; safe against concurrent readers.
  virtual void remove(const Key& key) = 0;
  /// Blocks until this caller may compile `key` alone, or the tier gives up waiting (then the
  /// lock holds nothing and two callers may compile the key: results stay correct).
  virtual std::unique_ptr<KeyLock> lock(const Key& key) = 0;
  /// What the tier is, for logs and `jitcu info`: "memory", "disk /path", "redis unix:/path".
  virtual std::string describe() const = 0;
};

}  // namespace jitcu::cache
