#include "fast_checksum.hpp"

#include <jitcu/cache/sha256.hpp>
#include <jitcu/cache/text_hash.hpp>

#include <algorithm>

// Header-only: the hash compiles into this file, so nothing links libxxhash.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace jitcu::cache::detail {

std::string xxh3_hex(std::string_view data) {
  XXH128_canonical_t canonical;  // big-endian bytes, as xxhsum --tag -H2 prints them
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data.data(), data.size()));
  return to_hex(canonical.digest, sizeof canonical.digest);
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace jitcu::cache::detail

namespace jitcu::cache {

std::uint64_t text_hash(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

}  // namespace jitcu::cache
