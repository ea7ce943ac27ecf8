#pragma once
// Why a key missed: the fields of two key records compared, each difference said in words.
#include <jitcu/cache/key.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace jitcu::tool {

/// One way the record a compile would use differs from a cached entry's record.
struct Difference {
  std::string field;               // the record field: "arch", "macro", "option", "header", ...
  std::string topic;               // "arch", "define", "option", "include", "nvrtc_option",
                                   // "header", "source", "nvrtc", "toolkit", "name_expression", ...
  std::string name;                // the define, option, header or expression; may be empty
  std::optional<std::string> was;  // in the cached entry; nullopt: it had none
  std::optional<std::string> now;  // in the compile asked about; nullopt: it has none
  std::string message;             // "define BLOCK changed: was 128, now 256"
};

/// Every difference between `cached` and `wanted`, in the wanted record's field order, then
/// fields only the cached one has. Empty when the records are equal.
std::vector<Difference> differences(const cache::KeyRecord& cached, const cache::KeyRecord& wanted);

/// How many fields the two records hold with the same name and value.
std::size_t shared_fields(const cache::KeyRecord& a, const cache::KeyRecord& b);

}  // namespace jitcu::tool
