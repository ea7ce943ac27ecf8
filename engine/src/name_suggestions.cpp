#include "name_suggestions.hpp"

#include "names.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

std::size_t distance_to(std::string_view wanted, const std::string& name) {
  return std::min(edit_distance(wanted, name), edit_distance(wanted, base_name(name)));
}

}  // namespace

std::vector<std::string> closest_first(std::string_view wanted, std::vector<std::string> names) {
  std::vector<std::pair<std::size_t, std::string>> ranked;
  ranked.reserve(names.size());
  for (auto& name : names) ranked.emplace_back(distance_to(wanted, name), std::move(name));
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> ordered;
  ordered.reserve(ranked.size());
  for (auto& [distance, name] : ranked) ordered.push_back(std::move(name));
  return ordered;
}

bool looks_like_typo_of(std::string_view wanted, std::string_view name) {
  const std::string text(name);
  const std::size_t allowed = std::max<std::size_t>(2, wanted.size() / 3);
  return distance_to(wanted, text) <= allowed;
}

std::string bounded_list(const std::vector<std::string>& names) {
  std::string out;
  const std::size_t shown = std::min(names.size(), k_names_in_message);
  for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += fmt::format(" and {} more", names.size() - shown);
  return out;
}

}  // namespace jitcu::detail
