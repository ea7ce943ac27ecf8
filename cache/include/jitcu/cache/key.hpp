#pragma once
// A cache key and the canonical record it is the hash of.
#include <jitcu/cache/sha256.hpp>

#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jitcu::cache {

/// Bumped whenever the record's layout or meaning changes: old entries then simply miss.
/// A new field that only some compiles have (in-memory headers' "memory_header") is no
/// change: a record without it means what it meant before.
constexpr int k_key_format_version = 2;

/// SHA-256 of a KeyRecord; names one cache entry.
class Key {
 public:
  Key() = default;
  explicit Key(const Digest& digest) : digest_(digest) {}
  /// Parses 64 hex digits; nullopt for anything else (so no text can become a path).
  static std::optional<Key> from_hex(std::string_view hex);
  /// 64 lower-case hex digits.
  std::string hex() const;
  /// The first 12 hex digits, for logs and listings.
  std::string short_hex() const;
  const Digest& digest() const { return digest_; }
  friend auto operator<=>(const Key&, const Key&) = default;

 private:
  Digest digest_{};
};

/// Named fields in a fixed order; the key is SHA-256 over their canonical serialization.
/// Kept in meta.json so `jitcu cache explain` can say which field differs.
class KeyRecord {
 public:
  using Field = std::pair<std::string, std::string>;
  KeyRecord();  // starts with the field "key_format" = k_key_format_version
  /// Appends a field; the caller keeps the order fixed. Values are stored as given.
  void add(std::string_view name, std::string_view value);
  /// SHA-256 over "jitcu-key\n" then "name\tsize\tvalue\n" per field (length-prefixed: no
  /// two different records serialize alike).
  Key key() const;
  const std::vector<Field>& fields() const { return fields_; }
  /// Rebuilds a record from its fields (as read back from meta.json).
  static KeyRecord from_fields(std::vector<Field> fields);

 private:
  std::vector<Field> fields_;
};

}  // namespace jitcu::cache

template <>
struct std::hash<jitcu::cache::Key> {
  std::size_t operator()(const jitcu::cache::Key& key) const noexcept {
    std::size_t h = 0;  // the digest is already uniform: its first bytes are a fine hash
    for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | key.digest()[i];
    return h;
  }
};
