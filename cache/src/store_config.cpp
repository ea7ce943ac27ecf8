#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/base/log.hpp>
#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/redis_tier.hpp>
#include <jitcu/cache/signature.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <fmt/format.h>

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace jitcu::cache {
namespace {

constexpr std::size_t k_max_fraction_digits = 6;  // 1e-6 of a TiB is ~1 MiB: plenty

std::string lower_case(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

/// An environment variable; nullopt when unset or empty (XDG: empty means unset).
std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

/// Warns once per process for each distinct message (from_env may run once per engine).
template <class... Args>
void warn_once(fmt::format_string<Args...> format, Args&&... args) {
  static std::mutex mutex;
  static std::set<std::string> said;
  std::string message = fmt::format(format, std::forward<Args>(args)...);
  {
    const std::lock_guard guard(mutex);
    if (!said.insert(message).second) return;
  }
  jitcu::log().warn("{}", message);
}

/// 1024^n for a unit letter (none, K, M, G, T); 0 for anything else.
std::uint64_t unit_multiplier(std::string_view unit) {
  if (unit.empty()) return 1;
  const std::string lowered = lower_case(unit);
  std::string_view rest = lowered;
  if (rest == "b") return 1;
  std::uint64_t multiplier = 0;
  switch (rest.front()) {
    case 'k': multiplier = 1ull << 10; break;
    case 'm': multiplier = 1ull << 20; break;
    case 'g': multiplier = 1ull << 30; break;
    case 't': multiplier = 1ull << 40; break;
    default: return 0;
  }
  rest.remove_prefix(1);
  if (rest.empty() || rest == "b" || rest == "ib") return multiplier;
  return 0;
}

/// A yes/no variable: 1, true, yes, on or 0, false, no, off (any case); else warned, `fallback`.
bool flag_from_env(const char* name, bool fallback) {
  const std::optional<std::string> value = env(name);
  if (!value) return fallback;
  const std::string lowered = lower_case(trim(*value));
  if (lowered == "1" || lowered == "true" || lowered == "yes" || lowered == "on") return true;
  if (lowered == "0" || lowered == "false" || lowered == "no" || lowered == "off") return false;
  warn_once("{}='{}' is not understood (use 1, true, yes, on or 0, false, no, off); using {}", name, *value,
            fallback ? "1" : "0");
  return fallback;
}

std::optional<std::string> home_dir() {
  if (std::optional<std::string> home = env("HOME")) return home;
  std::vector<char> buffer(16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found &&
      found->pw_dir && *found->pw_dir) {
    return std::string(found->pw_dir);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  text = trim(text);
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  std::uint64_t whole = 0;
  const auto [after_whole, whole_error] = std::from_chars(begin, end, whole);
  if (whole_error != std::errc()) return std::nullopt;  // no digits, a sign, or overflow

  std::uint64_t fraction = 0;
  std::uint64_t fraction_scale = 1;
  const char* cursor = after_whole;
  if (cursor != end && *cursor == '.') {
    ++cursor;
    const char* const digits = cursor;
    for (; cursor != end && std::isdigit(static_cast<unsigned char>(*cursor)); ++cursor) {
      if (static_cast<std::size_t>(cursor - digits) >= k_max_fraction_digits) continue;
      fraction = fraction * 10 + static_cast<std::uint64_t>(*cursor - '0');
      fraction_scale *= 10;
    }
    if (cursor == digits) return std::nullopt;  // "1." is a typo, not a size
  }
  const std::uint64_t multiplier = unit_multiplier(trim(std::string_view(cursor, end)));
  if (multiplier == 0) return std::nullopt;
  if (fraction_scale > 1 && multiplier == 1) return std::nullopt;  // no fractions of a byte

  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(whole, multiplier, &bytes)) return std::nullopt;
  // fraction < 10^6 and multiplier <= 2^40: the product fits in 64 bits.
  if (__builtin_add_overflow(bytes, fraction * multiplier / fraction_scale, &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

std::string default_cache_dir() {
  if (std::optional<std::string> dir = env("JITCU_CACHE_DIR")) return *dir;
  // The XDG base directory spec says relative paths there are invalid and to be ignored.
  if (std::optional<std::string> xdg = env("XDG_CACHE_HOME"); xdg && xdg->front() == '/') {
    return *xdg + "/jitcu";
  }
  if (std::optional<std::string> home = home_dir()) return *home + "/.cache/jitcu";
  return {};
}

StoreConfig StoreConfig::from_env() {
  StoreConfig config;
  config.disk_enabled = !flag_from_env("JITCU_DISABLE_CACHE", false);
  config.dir = default_cache_dir();
  config.max_size_bytes = k_default_cache_limit_bytes;
  if (std::optional<std::string> remote = env("JITCU_REMOTE_CACHE")) config.remote = *remote;
  config.shared = flag_from_env("JITCU_CACHE_SHARED", false);
  config.secret = secret_from_env();
  if (std::optional<std::string> text = env("JITCU_CACHE_MAX_SIZE")) {
    if (std::optional<std::uint64_t> size = parse_size(*text)) {
      config.max_size_bytes = *size;
    } else {
      warn_once("JITCU_CACHE_MAX_SIZE='{}' is not a size (e.g. 512M, 2G, 1.5G, 1073741824); "
                "using the default of 1 GiB",
                *text);
    }
  }
  return config;
}

namespace {

/// The local tier: the disk, or memory when the disk is off or unusable (one warning).
std::shared_ptr<Tier> open_local_tier(const StoreConfig& config) {
  if (!config.disk_enabled) return std::make_shared<MemoryTier>(config.max_size_bytes);
  if (config.dir.empty()) {
    jitcu::log().warn("no folder for the jitcu cache (set JITCU_CACHE_DIR or HOME); compiled "
                      "results stay in memory for this process only");
    return std::make_shared<MemoryTier>(config.max_size_bytes);
  }
  const DiskTrust trust{config.shared, config.secret};
  try {
    try {
      return std::make_shared<DiskTier>(config.dir, config.max_size_bytes, trust);
    } catch (const UnusableCacheFolder& error) {
      if (error.reason() != UnusableCacheFolder::Reason::not_a_cache) throw;
      // A library must not refuse to run: it keeps its cache in a folder of its own inside.
      const std::string inside = config.dir + "/jitcu";
      warn_once("{}; keeping the cache in '{}' instead", error.what(), inside);
      return std::make_shared<DiskTier>(inside, config.max_size_bytes, trust);
    }
  } catch (const std::exception& error) {
    jitcu::log().warn("cannot use the jitcu cache folder '{}': {}; compiled results stay in "
                      "memory for this process only",
                      config.dir, error.what());
    return std::make_shared<MemoryTier>(config.max_size_bytes);
  }
}

}  // namespace

std::shared_ptr<TieredStore> open_store(const StoreConfig& config) {
  std::vector<std::shared_ptr<Tier>> tiers{open_local_tier(config)};
  if (auto remote = open_remote_tier(config)) tiers.push_back(std::move(remote));
  return std::make_shared<TieredStore>(std::move(tiers));
}

}  // namespace jitcu::cache
