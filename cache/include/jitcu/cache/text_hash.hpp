#pragma once
// A fast hash of texts for finding a compile again in this process (sources, in-memory headers).
#include <cstdint>
#include <string_view>

namespace jitcu::cache {

/// XXH3-64 of `text`, from the same code the cache checks its blobs with. Not a key (keys are
/// SHA-256): equal texts give equal hashes, and whoever finds a match by it compares in full.
std::uint64_t text_hash(std::string_view text);

}  // namespace jitcu::cache
