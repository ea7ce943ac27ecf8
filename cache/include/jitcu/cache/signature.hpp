#pragma once
// HMAC-SHA256 signatures over an entry: how a shared folder or a remote tier is trusted. A
// checksum finds damage; only a signature with a secret finds forgery.
#include <jitcu/cache/entry.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace jitcu::cache {

/// The shared secret from JITCU_CACHE_SECRET; nullopt when unset or empty.
std::optional<std::string> secret_from_env();

/// HMAC-SHA256 (64 hex digits) under `secret` of the encoded record and then every blob's bytes
/// in the record's order: a change to any of them changes the signature.
std::string sign_entry(std::string_view secret, std::string_view encoded_record, const Entry& entry);

/// Compares two signatures in constant time.
bool same_signature(std::string_view a, std::string_view b);

}  // namespace jitcu::cache
