#pragma once
// What a not-found or ambiguous kernel name's message shows: a bounded list, closest first.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jitcu::detail {

/// How many names a message lists at most; the rest are counted.
constexpr std::size_t k_names_in_message = 20;

/// `names` ordered by how close each is to `wanted` (edit distance to the name or its base
/// name), closest first, ties by name.
std::vector<std::string> closest_first(std::string_view wanted, std::vector<std::string> names);
/// True when `name` is close enough to `wanted` to suggest it as a likely typo.
bool looks_like_typo_of(std::string_view wanted, std::string_view name);
/// The first k_names_in_message of `names`, comma-separated, then "and N more" if any.
std::string bounded_list(const std::vector<std::string>& names);

}  // namespace jitcu::detail
