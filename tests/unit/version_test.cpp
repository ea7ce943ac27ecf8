// <jitcu/version.hpp>: the macros agree with each other and with the library this test links.
#include <jitcu/version.hpp>

#include <doctest/doctest.h>

#include <string>

TEST_CASE("the version macros and jitcu::version() agree") {
  const std::string parts = std::to_string(JITCU_VERSION_MAJOR) + "." + std::to_string(JITCU_VERSION_MINOR) + "." +
                            std::to_string(JITCU_VERSION_PATCH);
  CHECK(parts == JITCU_VERSION_STRING);
  CHECK(JITCU_VERSION == JITCU_VERSION_MAJOR * 10000 + JITCU_VERSION_MINOR * 100 + JITCU_VERSION_PATCH);
  CHECK(jitcu::version() == JITCU_VERSION_STRING);
  static_assert(JITCU_VERSION_MINOR < 100 && JITCU_VERSION_PATCH < 100, "JITCU_VERSION's encoding needs < 100");
}
