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

/// Checks and decodes a value: the record (its checksum, that it is the record of `key`), every
/// blob against it and, with a secret, its HMAC (sign_entry, compared in constant time; a value
/// without one is refused). Bounds are checked before every read: any bytes are safe to decode.
DecodedValue decode_value(std::string_view bytes, const Key& key, std::string_view secret);

}  // namespace jitcu::cache::detail
