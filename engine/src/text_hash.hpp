#pragma once
// The in-process cache's hash of long texts (sources, in-memory headers).
#include <cstdint>
#include <string_view>

namespace jitcu::detail {

/// XXH3-64 of `text`: not a cache key (those are SHA-256), a fast hash for finding a request
/// again in this process; equal texts give equal hashes, and every match is compared in full.
std::uint64_t text_hash(std::string_view text);

}  // namespace jitcu::detail
