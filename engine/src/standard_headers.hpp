#pragma once
// The C and C++ standard library headers NVRTC does not ship, as headers given as text.
#include <jitcu/options.hpp>

#include <string_view>

namespace jitcu::detail {

/// jitcu's stand-in for the standard header `name`, spelled as an #include line spells it
/// ("cstdint", "type_traits", "float.h"), or null for any other name. Built on the toolkit's
/// libcu++ (<cuda/std/...>), its names also in std:: and, for C headers, in the global
/// namespace as C has them. A compile gets one only where no in-memory header and no header on
/// disk has that name (headers.hpp).
const HeaderText* standard_header(std::string_view name);

}  // namespace jitcu::detail
