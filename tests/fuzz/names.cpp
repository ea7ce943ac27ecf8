// Kernel-name handling (names.cpp): demangling, the readable forms, squeezing spaces, mangling.
#include "names.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jitcu::detail;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string demangled = demangle(text);
  const std::string qualified = qualified_name(demangled);
  base_name(qualified);
  qualified_name(text);
  base_name(text);
  const std::string squeezed = squeeze_spaces(text);
  if (squeeze_spaces(squeezed) != squeezed) std::abort();  // idempotent
  if (squeezed.size() > text.size()) std::abort();
  mangle_qualified(text);
  return 0;
}
