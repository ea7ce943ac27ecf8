#include "global_options.hpp"

#include "command.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace jitcu::tool {

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_option("--cache-dir", options.cache_dir,
                 "cache folder to use instead of JITCU_CACHE_DIR, $XDG_CACHE_HOME/jitcu, ~/.cache/jitcu")
      ->type_name("DIR");
}

std::filesystem::path cache_dir(const GlobalOptions& options) {
  if (!options.cache_dir.empty()) return options.cache_dir;
  std::filesystem::path dir = cache::default_cache_dir();
  if (dir.empty()) {
    throw ToolError("no cache folder: set JITCU_CACHE_DIR or HOME, or pass --cache-dir DIR");
  }
  return dir;
}

std::uint64_t cache_cap_bytes() { return cache::StoreConfig::from_env().max_size_bytes; }

std::unique_ptr<cache::DiskTier> open_cache(const GlobalOptions& options) {
  const std::filesystem::path dir = cache_dir(options);
  std::error_code error;
  if (!std::filesystem::exists(dir, error)) return nullptr;  // nothing cached there yet
  try {
    return std::make_unique<cache::DiskTier>(dir, cache_cap_bytes());
  } catch (const std::exception& failure) {
    throw ToolError(fmt::format("cannot open the cache at '{}': {}; check its permissions or pick "
                                "another folder with --cache-dir",
                                dir.string(), failure.what()));
  }
}

EngineOptions engine_options(const GlobalOptions& options) {
  EngineOptions engine;
  if (!options.cache_dir.empty()) engine.cache_dir = options.cache_dir;
  return engine;
}

}  // namespace jitcu::tool
