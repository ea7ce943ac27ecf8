#pragma once
// Private: <root>/size, the running total of the cache's bytes, so that put() need not scan.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace jitcu::cache::detail {

/// What <root>/size records.
struct LedgerTotal {
  std::uint64_t total_size_bytes = 0;
  std::int64_t last_scan_unix = 0;  // when a full scan last set the total
};

/// Reads and writes <root>/size. The caller holds the ledger lock (<root>/locks/size.lock)
/// around read, change and write; every publish and every removal happens under that lock.
class SizeLedger {
 public:
  SizeLedger(std::string file, std::string tmp_dir, mode_t file_mode = 0600);
  /// The recorded total; nullopt when the file is missing or unreadable (then: full scan).
  std::optional<LedgerTotal> read() const;
  /// Replaces the file atomically (written in tmp/, then renamed). Throws IoError.
  void write(const LedgerTotal& total) const;
  /// Adds `delta_bytes` (may be negative, clamped at 0) to a recorded total; a missing file
  /// stays missing. Throws IoError.
  void adjust(std::int64_t delta_bytes) const;

 private:
  std::string file_;  // strings: a store is opened on every cache hit (see join_path)
  std::string tmp_dir_;
  mode_t file_mode_;
};

}  // namespace jitcu::cache::detail
