#include "text_hash.hpp"

// Header-only: the hash compiles into this file, so nothing links libxxhash.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace jitcu::detail {

std::uint64_t text_hash(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

}  // namespace jitcu::detail
