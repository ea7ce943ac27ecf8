#pragma once
// Where the cache lives and how it is opened, from the environment.
#include <jitcu/cache/store.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jitcu::cache {

/// How to open the cache; from_env() reads the variables documented below.
// Paths are plain strings here: opening the store is on every new process's cache-hit path,
// where std::filesystem's first use costs more than the rest of the open.
struct StoreConfig {
  std::string dir;  // empty: memory only
  std::uint64_t max_size_bytes = 0;
  bool disk_enabled = true;

  /// JITCU_DISABLE_CACHE=1 turns the disk cache off; JITCU_CACHE_DIR, else
  /// $XDG_CACHE_HOME/jitcu, else ~/.cache/jitcu; JITCU_CACHE_MAX_SIZE ("512M", "2G", bytes),
  /// default 1 GiB. A malformed size is warned about and the default used.
  static StoreConfig from_env();
};

/// The default cache folder from the environment (JITCU_CACHE_DIR, XDG_CACHE_HOME, HOME).
std::string default_cache_dir();
/// Parses "123", "512K", "512M", "1G", "1.5G" (powers of 1024); nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// A DiskStore at config.dir, or, when the disk cache is off or the folder is unusable, a
/// MemoryStore (the latter with one warning that names the folder and the reason).
std::unique_ptr<Store> open_store(const StoreConfig& config);

}  // namespace jitcu::cache
