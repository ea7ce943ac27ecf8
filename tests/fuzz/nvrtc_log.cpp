// NVRTC's log as the engine reads it (diagnostics.cpp, name_expression_errors.cpp): diagnostics,
// the name-expression message and the whole CompileError.
#include "diagnostics.hpp"
#include "name_expression_errors.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string log(reinterpret_cast<const char*>(data), size);
  for (const auto& diagnostic : jitcu::detail::parse_nvrtc_log(log)) {
    if (diagnostic.line < 0) std::abort();
  }
  jitcu::detail::describe_name_expression_errors(log);
  static const jitcu::Source source = jitcu::Source::string("__global__ void k() {}\n// 2\n// 3\n", "fuzz.cu");
  const jitcu::CompileError error = jitcu::detail::make_compile_error(source, log, "NVRTC_ERROR_COMPILATION");
  if (std::string(error.what()).empty()) std::abort();
  return 0;
}
