#pragma once
// What goes into a cache entry and what comes back out of one.
#include <jitcu/cache/key.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace jitcu::cache {

/// Bumped when the folder layout or meta.json's store fields change.
constexpr int k_entry_format_version = 1;

/// A blob's recorded size and checksum.
struct BlobInfo {
  std::uint64_t size_bytes = 0;
  std::string sha256;  // 64 hex digits

  bool operator==(const BlobInfo&) const = default;
};

/// What the engine hands over to publish: its own metadata (any JSON object) and the files.
struct NewEntry {
  nlohmann::json meta = nlohmann::json::object();
  /// File name ("program.ptx", "sm_90.cubin", "log.txt", "source.cu") -> bytes.
  /// Names are [A-Za-z0-9._-]+ and not "meta.json" or "index"; anything else is refused.
  std::map<std::string, std::string> blobs;
  /// What a cache hit needs, in the engine's own compact form; a disk store keeps it in the
  /// entry's `index` so find_quick() reads it without parsing meta.json.
  std::string summary;
};

/// A published entry as found: the engine's metadata and the recorded blobs.
struct FoundEntry {
  Key key;
  nlohmann::json meta;                     // the engine's fields, as put
  std::map<std::string, BlobInfo> blobs;   // name -> size and checksum
  std::string summary;                     // NewEntry::summary as put
  std::string dir;                         // the entry's folder; empty in a memory store
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point last_used;
  std::uint64_t total_size_bytes = 0;      // all files of the entry
};

/// One entry's summary and one of its blobs, read and checked: what a cache hit needs.
struct FoundBlob {
  std::string summary;  // NewEntry::summary as put
  std::string bytes;    // the blob, its checksum verified
  std::string dir;      // the entry's folder; empty in a memory store
};

}  // namespace jitcu::cache
