#pragma once
// The one codec of an entry record: every tier stores and reads records through it.
// docs/cache-format.md describes the bytes.
#include <jitcu/cache/entry.hpp>

#include <string>
#include <string_view>

namespace jitcu::cache {

/// Bumped when the record's fields or encoding change: a record of another version is a miss.
constexpr int k_record_version = 1;

/// The record's bytes: length-prefixed fields, ending in an XXH3-128 of everything before it.
std::string encode_record(const EntryRecord& record);

/// What decoding found: the record, or what is wrong with the bytes.
struct DecodedRecord {
  std::optional<EntryRecord> record;
  std::string problem;           // empty when record is set
  bool other_version = false;    // a record of another format version: a miss, not damage
};

/// Decodes and checks a record: its checksum, its format, blob names, and that it is the
/// record of `expected` (when given).
DecodedRecord decode_record(std::string_view bytes, const Key* expected = nullptr);

/// XXH3-128 of `bytes` as 32 lower-case hex digits: the checksum of records and blobs.
std::string checksum_hex(std::string_view bytes);

/// What is wrong with `bytes` as the blob `ref` describes, or empty.
std::string blob_problem(const BlobRef& ref, std::string_view bytes);

}  // namespace jitcu::cache
