// The library's own version, compiled in, for comparison with the headers' macros.
#include <jitcu/version.hpp>

namespace jitcu {

std::string_view version() noexcept { return JITCU_VERSION_STRING; }

}  // namespace jitcu
