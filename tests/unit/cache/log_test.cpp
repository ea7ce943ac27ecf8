// The "jitcu" logger: a host's logger wins; JITCU_LOG_LEVEL sets the level, typos are reported.
#include "cache_test_util.hpp"

#include <jitcu/base/log.hpp>

#include <cstdio>

using namespace jitcu::test;

namespace {

// Runs the hidden case below in a fresh process, where the real logger is made.
ProcessResult run_logger_child(const std::string& level) {
  return run_process({"/proc/self/exe", "--test-case=child: the real logger", "--no-skip"},
                     {{"JITCU_TEST_REAL_LOGGER", "1"}, {"JITCU_TEST_CHILD", "1"},
                      {"JITCU_LOG_LEVEL", level}});
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t found = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++found;
  return found;
}

}  // namespace

TEST_CASE("child: the real logger" * doctest::skip()) {
  if (std::getenv("JITCU_TEST_CHILD") == nullptr) return;
  spdlog::logger& logger = jitcu::log();
  CHECK(&jitcu::log() == &logger);  // made once
  const auto level = spdlog::level::to_string_view(logger.level());
  std::printf("level=%.*s\n", static_cast<int>(level.size()), level.data());
  std::fflush(stdout);
  logger.warn("a warning from the child");
  logger.debug("a debug line from the child");
  logger.flush();
}

TEST_CASE("jitcu::log() is the logger the host registered") {
  CHECK(&jitcu::log() == spdlog::get("jitcu").get());
  clear_log();
  jitcu::log().warn("seen by the host's sink");
  REQUIRE(warnings().size() == 1);
  CHECK(warnings()[0] == "seen by the host's sink");
}

TEST_CASE("JITCU_LOG_LEVEL sets the level; an unknown value is reported once, not silenced") {
  const ProcessResult bogus = run_logger_child("bogus");
  INFO(bogus.output);
  CHECK(bogus.exit_code == 0);
  CHECK(count(bogus.output, "JITCU_LOG_LEVEL='bogus' is not a level") == 1);
  CHECK(count(bogus.output, "level=warning") == 1);
  CHECK(count(bogus.output, "a warning from the child") == 1);
  CHECK(count(bogus.output, "a debug line from the child") == 0);

  const ProcessResult debug = run_logger_child("DEBUG");
  INFO(debug.output);
  CHECK(debug.exit_code == 0);
  CHECK(count(debug.output, "level=debug") == 1);
  CHECK(count(debug.output, "a debug line from the child") == 1);
  CHECK(count(debug.output, "is not a level") == 0);

  const ProcessResult unset = run_logger_child("");
  INFO(unset.output);
  CHECK(count(unset.output, "level=warning") == 1);
  CHECK(count(unset.output, "is not a level") == 0);

  const ProcessResult off = run_logger_child("off");
  INFO(off.output);
  CHECK(count(off.output, "level=off") == 1);
  CHECK(count(off.output, "a warning from the child") == 0);
}
