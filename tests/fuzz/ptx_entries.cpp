// The PTX .entry and parameter parser (ptx.cpp) on any text.
#include "ptx.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view ptx(reinterpret_cast<const char*>(data), size);
  for (const auto& entry : jitcu::detail::parse_ptx_entries(ptx)) {
    if (ptx.find(entry.symbol) == std::string_view::npos) std::abort();  // names come from the text
  }
  // Every line as one parameter declaration, as the entry parser hands them over.
  std::size_t start = 0;
  while (start < ptx.size()) {
    const std::size_t end = std::min(ptx.find('\n', start), ptx.size());
    jitcu::detail::parse_ptx_param(ptx.substr(start, end - start));
    start = end + 1;
  }
  return 0;
}
