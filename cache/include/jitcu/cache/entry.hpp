#pragma once
// One cache entry: its record (everything a load needs, and what people see) and its blobs.
// The record is the only description of an entry; record.hpp reads and writes it.
#include <jitcu/cache/key.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jitcu::cache {

/// One kernel parameter as the compiled code declares it.
struct ParamRecord {
  std::uint32_t size_bytes = 0;
  std::uint8_t kind = 0;  // the engine's ValueKind: integer, floating, pointer, bytes
  std::string ptx_type;   // "u64", "f32", "b8[12]"
  bool operator==(const ParamRecord&) const = default;
};

/// What ptxas reported for one kernel.
struct KernelResources {
  std::int64_t registers = 0;
  std::int64_t spill_store_bytes = 0;
  std::int64_t spill_load_bytes = 0;
  std::int64_t stack_frame_bytes = 0;
  std::int64_t shared_bytes = 0;  // static shared memory
  bool operator==(const KernelResources&) const = default;
};

/// One kernel of an entry.
struct KernelRecord {
  std::string symbol;  // as in the PTX (mangled for C++ kernels)
  std::string name;    // readable: "scale<float>", or the extern "C" name
  std::vector<ParamRecord> params;
  std::optional<KernelResources> resources;
  bool operator==(const KernelRecord&) const = default;
};

/// One blob's name, size and checksum (XXH3-128, 32 hex digits).
struct BlobRef {
  std::string name;
  std::uint64_t size_bytes = 0;
  std::string xxh3;
  bool operator==(const BlobRef&) const = default;
};

/// Everything the cache knows of an entry but its blobs' bytes.
struct EntryRecord {
  Key key;
  std::int64_t created_unix_ns = 0;
  std::string source_name;
  std::string arch;   // "sm_90", "compute_90"
  std::string image;  // the blob the driver loads: "sm_90.cubin" or "program.ptx"
  double compile_ms = 0;
  /// The key's fields, in order: what `jitcu cache explain` compares.
  std::vector<std::pair<std::string, std::string>> key_fields;
  std::map<std::string, std::string> name_expressions;  // expression -> lowered symbol
  std::vector<KernelRecord> kernels;
  std::vector<BlobRef> blobs;  // sorted by name
  bool operator==(const EntryRecord&) const = default;

  /// The blob called `name`, if the entry has one.
  const BlobRef* blob(std::string_view name) const;
  /// Bytes of all blobs.
  std::uint64_t blob_bytes() const;
};

/// An entry as stored or found: the record and blob bytes by name. A found entry holds the
/// blobs that were asked for (each checked against the record), a stored one all of them.
struct Entry {
  EntryRecord record;
  std::map<std::string, std::string> blobs;
};

/// Which blobs a lookup reads besides the record: all, those named, or none.
struct BlobSelection {
  std::vector<std::string> names;
  bool every = false;
  static BlobSelection all() { return {{}, true}; }
  static BlobSelection only(std::string name) { return {{std::move(name)}, false}; }
  static BlobSelection none() { return {}; }
  bool wants(std::string_view name) const;
};

/// [A-Za-z0-9._-]+, not "." or "..", not a file the disk tier keeps for itself: a name that
/// stays inside its entry's folder.
bool is_valid_blob_name(std::string_view name);

/// An entry ready to store: fills record.blobs (sizes, checksums) from `blobs`. Throws
/// std::invalid_argument for a bad blob name (a programming error).
Entry make_entry(EntryRecord record, std::map<std::string, std::string> blobs);

}  // namespace jitcu::cache
