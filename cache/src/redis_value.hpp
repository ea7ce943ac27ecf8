#pragma once
// The bytes of one entry in Redis: the record and every blob, length-prefixed, and an
// HMAC-SHA256 trailer when a secret is set. docs/remote-cache.md describes the layout.
#include <jitcu/cache/entry.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace jitcu::cache::detail {

/// The value for `entry` (all its blobs), signed with `secret` unless it is empty.
std::string encode_value(const Entry& entry, std::string_view secret);

/// What decoding found: the entry, or what is wrong with the bytes.
struct DecodedValue {
  std::optional<Entry> entry;
  std::string problem;  // empty when entry is set
};

/// Checks and decodes a value: with a secret, first its HMAC (constant-time compare; a value
/// without one is refused); then the record (its checksum, that it is the record of `key`)
/// and every blob against it.
DecodedValue decode_value(std::string_view bytes, const Key& key, std::string_view secret);

}  // namespace jitcu::cache::detail
