// An illegal address in a kernel is reported with its name and what it means for the process.
#include <doctest/doctest.h>

#include "test_support.hpp"

TEST_CASE("a sticky device error names itself and says the process must restart") {
  const auto result = jitcu::test::run_process({JITCU_STICKY_CHILD});
  INFO(result.output);
  CHECK(result.exit_code == 3);
  CHECK(result.output.find("CUDA_ERROR_ILLEGAL_ADDRESS") != std::string::npos);
  CHECK(result.output.find("sticky") != std::string::npos);
  CHECK(result.output.find("restart") != std::string::npos);
  CHECK(result.output.find("after: CUDA_ERROR_ILLEGAL_ADDRESS") != std::string::npos);
}
