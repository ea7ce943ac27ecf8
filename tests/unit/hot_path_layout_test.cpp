// cmake/hot_path.cmake: in an optimized build, the functions a disk-cache hit runs sit together
// in a program that links jitcu statically (this test binary), apart from the rest of jitcu.
#include "entry_codec.hpp"
#include "module_summary.hpp"
#include "prepared_options.hpp"

#include <jitcu/cache/open_store.hpp>
#include <jitcu/cache/path_text.hpp>
#include <jitcu/cache/sha256.hpp>
#include <jitcu/source.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

using namespace jitcu;

namespace {

template <class Function>
std::uintptr_t address_of(Function* function) {
  return reinterpret_cast<std::uintptr_t>(function);
}

// A Debug build (CI's sanitizer build) has no section per function to group.
constexpr bool k_grouped = JITCU_HOT_PATH_GROUPED;

}  // namespace

TEST_CASE("a cache hit's functions sit together, apart from the miss path's" * doctest::skip(!k_grouped)) {
  // From six objects of both libraries; an ungrouped build spreads them over its whole text.
  const std::vector<std::uintptr_t> hit = {
      address_of(static_cast<Source (*)(const std::string&)>(&Source::file)),
      address_of(&detail::decode_summary),
      address_of(&detail::prepare_options),
      address_of(&detail::make_key_record),
      address_of(&cache::open_store),
      address_of(&path_text::lexically_normal),
      address_of(static_cast<cache::Digest (*)(std::string_view)>(&cache::sha256)),
  };
  const auto [low, high] = std::minmax_element(hit.begin(), hit.end());
  const std::uintptr_t span = *high - *low;
  std::printf("the hit's functions span %zu KiB\n", static_cast<std::size_t>(span / 1024));
  CHECK(span < 128 * 1024);  // grouped: 44 KiB on the dev machine; spread: 226 KiB
  // Code a hit does not run: encode_summary (a miss; it sits next to decode_summary in
  // module_summary.cpp) and parse_size (only when JITCU_CACHE_MAX_SIZE is set).
  for (const std::uintptr_t miss : {address_of(&detail::encode_summary), address_of(&cache::parse_size)}) {
    CHECK((miss < *low || miss > *high));
  }
}
