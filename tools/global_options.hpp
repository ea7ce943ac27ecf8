#pragma once
// Options every command shares, and opening the cache they point at.
#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/engine.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace jitcu::tool {

/// Options given before or after the subcommand.
struct GlobalOptions {
  std::string cache_dir;  // --cache-dir; empty: the environment decides
};

/// Adds --cache-dir to the top-level app.
void add_global_options(CLI::App& app, GlobalOptions& options);

/// The cache folder: --cache-dir, else JITCU_CACHE_DIR, $XDG_CACHE_HOME/jitcu, ~/.cache/jitcu.
/// Throws ToolError when none can be found (no HOME).
std::filesystem::path cache_dir(const GlobalOptions& options);
/// The size cap: JITCU_CACHE_MAX_SIZE, else 1 GiB (as the engine reads it).
std::uint64_t cache_cap_bytes();

/// The disk cache for the cache commands; nullptr when its folder does not exist yet (nothing
/// cached: it is not created). Throws ToolError when the folder is unusable.
std::unique_ptr<cache::DiskTier> open_cache(const GlobalOptions& options);

/// Engine settings that honour --cache-dir.
EngineOptions engine_options(const GlobalOptions& options);

}  // namespace jitcu::tool
