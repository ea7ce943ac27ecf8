#pragma once
// Private: meta.json of a disk entry: the engine's fields, the store's fields and a checksum.
#include <jitcu/cache/entry.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace jitcu::cache::detail {

constexpr std::string_view k_meta_file = "meta.json";
constexpr std::string_view k_store_field = "store";
constexpr std::string_view k_meta_sha256_field = "meta_sha256";

/// [A-Za-z0-9._-]+, not "." or "..", not "meta.json" or "index": a name that stays inside its
/// folder and is not one of the store's own files.
bool is_valid_blob_name(std::string_view name);

/// Throws std::invalid_argument when the engine hands over something the store must refuse:
/// a bad blob name, metadata that is not an object or that uses the store's own field names.
void validate_new_entry(const NewEntry& entry);

/// The canonical text hashed into meta_sha256: nlohmann's compact dump, invalid UTF-8 replaced.
std::string canonical_dump(const nlohmann::json& value);

/// Each blob's size and SHA-256, computed from its bytes.
std::map<std::string, BlobInfo> blob_records(const NewEntry& entry);

/// meta.json's text (indented for people) for `entry` published under `key`.
std::string make_meta_text(const Key& key, const NewEntry& entry, const std::map<std::string, BlobInfo>& blobs,
                           std::chrono::system_clock::time_point created);

/// Outcome of reading meta.json: the entry (key, meta, blobs, created) or what is wrong.
struct MetaCheck {
  std::optional<FoundEntry> entry;
  std::string problem;  // "meta.json: ..." when entry is empty
};

/// Parses and verifies meta.json's text for the entry in the folder named `folder_key`.
MetaCheck check_meta(std::string_view text, const Key& folder_key);

}  // namespace jitcu::cache::detail
