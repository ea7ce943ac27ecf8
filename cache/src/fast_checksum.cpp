#include "fast_checksum.hpp"

#include <jitcu/cache/sha256.hpp>

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
