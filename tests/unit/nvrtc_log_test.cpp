// Reading NVRTC's log (diagnostics.cpp) on input the nvrtc_log fuzz target found troublesome.
#include "diagnostics.hpp"

#include <doctest/doctest.h>

using namespace jitcu;

TEST_CASE("a log line whose number does not fit an int is a diagnostic without a line, not std::out_of_range") {
  const Source source = Source::string("__global__ void k() {}\n", "k.cu");
  const std::string log = "k.cu(99999999999): error: expected a \";\"\nk.cu(1): warning #177-D: unused\n";
  const auto diagnostics = detail::parse_nvrtc_log(log);
  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0].line == 0);
  CHECK(diagnostics[0].message == "expected a \";\"");
  CHECK(diagnostics[1].line == 1);
  CHECK_THROWS_WITH_AS(throw detail::make_compile_error(source, log, "NVRTC_ERROR_COMPILATION"),
                       doctest::Contains("compile error in k.cu: expected a \";\""), CompileError);
}
