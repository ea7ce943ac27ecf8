#pragma once
// Private: the checksum a cache hit checks its index and image with.
#include <string>
#include <string_view>

namespace jitcu::cache::detail {

/// Hex digits of xxh3_hex(): XXH3's 128-bit hash.
constexpr std::size_t k_xxh3_hex_digits = 32;

/// XXH3-128 of `data` as 32 lowercase hex digits. It finds damage as surely as SHA-256 (a torn
/// or flipped file), not forgery, which the cache does not guard against (whoever can write
/// the folder can write a valid entry); ccache checks its entries the same way. On the H100
/// host SHA-256 of the seed kernel's 7.8 KB cubin took 6-7 us of a 0.3 ms hit; this, 0.6 us.
std::string xxh3_hex(std::string_view data);

/// True when every character of `text` is 0-9 or a-f (how keys and checksums are written).
bool is_lower_hex(std::string_view text);

}  // namespace jitcu::cache::detail
