#pragma once
// Says which name expression NVRTC could not compile: its log points at a synthetic file
// "__nv_name_map" that the user never wrote.
#include <string>
#include <string_view>

namespace jitcu::detail {

/// When the log's first error lies in "__nv_name_map": one line per bad name expression, e.g.
/// "name expression 'scale<flaot>' does not compile: identifier "flaot" is undefined", then what
/// to do; "" when the first error is elsewhere.
std::string describe_name_expression_errors(std::string_view log);

}  // namespace jitcu::detail
