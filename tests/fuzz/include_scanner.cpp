// The #include scanner (headers.cpp) and the NUL-byte finder (regular_file.cpp) on any text.
#include "headers.hpp"
#include "regular_file.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  std::size_t previous = 0;
  for (const auto& include : jitcu::detail::include_lines(text)) {
    // Lines ascend, exist, and the name sits on its line between its delimiters.
    if (include.line < previous || include.line == 0 || include.line > lines) std::abort();
    if (include.name.find('\n') != std::string::npos) std::abort();
    if (text.find(include.name) == std::string::npos) std::abort();
    previous = include.line;
  }
  const std::size_t nul_line = jitcu::detail::first_nul_line(text);
  const std::size_t nul = text.find('\0');
  if ((nul == std::string::npos) != (nul_line == 0)) std::abort();
  return 0;
}
