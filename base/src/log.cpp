#include <jitcu/base/log.hpp>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace jitcu {
namespace {

constexpr auto k_default_level = spdlog::level::warn;  // DESIGN.md: warnings only, by default

struct LevelChoice {
  spdlog::level::level_enum level = k_default_level;
  bool understood = true;
};

std::string lower_case(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered;
}

// spdlog::level::from_str says "off" for anything it does not know; a typo must not silence
// every warning, so unknown names keep the default and are reported.
LevelChoice level_from_text(const char* text) {
  if (text == nullptr || *text == '\0') return {};
  const std::string name = lower_case(text);
  if (name == "trace") return {spdlog::level::trace, true};
  if (name == "debug") return {spdlog::level::debug, true};
  if (name == "info") return {spdlog::level::info, true};
  if (name == "warn" || name == "warning") return {spdlog::level::warn, true};
  if (name == "error" || name == "err") return {spdlog::level::err, true};
  if (name == "critical") return {spdlog::level::critical, true};
  if (name == "off") return {spdlog::level::off, true};
  return {k_default_level, false};
}

std::shared_ptr<spdlog::logger> make_stderr_logger() {
  try {
    return spdlog::stderr_color_mt("jitcu");
  } catch (const spdlog::spdlog_ex&) {
    if (auto raced = spdlog::get("jitcu")) return raced;  // the host registered it meanwhile
    throw;
  }
}

std::shared_ptr<spdlog::logger> make_logger() noexcept {
  try {
    if (auto host = spdlog::get("jitcu")) return host;
    auto made = make_stderr_logger();
    const char* text = std::getenv("JITCU_LOG_LEVEL");
    const LevelChoice choice = level_from_text(text);
    made->set_level(choice.level);
    if (!choice.understood) {
      made->warn("JITCU_LOG_LEVEL='{}' is not a level (trace, debug, info, warn, error, "
                 "critical, off); using warn",
                 text);
    }
    return made;
  } catch (...) {
    // Logging must never throw: a logger without sinks drops everything.
    try {
      return std::make_shared<spdlog::logger>("jitcu");
    } catch (...) {
      return nullptr;
    }
  }
}

std::atomic<spdlog::logger*> made_logger{nullptr};

}  // namespace

spdlog::logger& log() {
  static const std::shared_ptr<spdlog::logger> logger = make_logger();
  if (logger) {
    made_logger.store(logger.get(), std::memory_order_release);
    return *logger;
  }
  static spdlog::logger silent("jitcu");  // only when even allocation failed above
  return silent;
}

bool log_enabled(spdlog::level::level_enum level) {
  if (spdlog::logger* made = made_logger.load(std::memory_order_acquire)) return made->should_log(level);
  static const spdlog::level::level_enum from_env = level_from_text(std::getenv("JITCU_LOG_LEVEL")).level;
  return level >= from_env;
}

}  // namespace jitcu
