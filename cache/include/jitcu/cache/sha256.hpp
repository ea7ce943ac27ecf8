#pragma once
// SHA-256 through OpenSSL's libcrypto: what keys and signatures are made of.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace jitcu::cache {

using Digest = std::array<std::uint8_t, 32>;

/// SHA-256 of `data`.
Digest sha256(std::string_view data);
/// SHA-256 of `data` as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);
/// Lower-case hex of any bytes.
std::string to_hex(const std::uint8_t* bytes, std::size_t size);

}  // namespace jitcu::cache
