#include "fast_checksum.hpp"

#include <jitcu/cache/sha256.hpp>
#include <jitcu/cache/text_hash.hpp>

// Header-only: the hash compiles into this file, so nothing links libxxhash.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace jitcu::cache::detail {

std::string xxh3_hex(std::string_view data) {
  XXH128_canonical_t canonical;  // big-endian bytes, as xxhsum --tag -H2 prints them
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data.data(), data.size()));
  return to_hex(canonical.digest, sizeof canonical.digest);
}

}  // namespace jitcu::cache::detail

namespace jitcu::cache {

std::uint64_t text_hash(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

}  // namespace jitcu::cache
