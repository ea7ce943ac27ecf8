#pragma once
// A file's stat data, to notice an edit without reading the file again.
#include <cstdint>
#include <optional>
#include <string>

namespace jitcu::detail {

/// Size, mtime, ctime, inode and device. Tools can restore a file's mtime (touch -r, rsync -t)
/// but not its ctime, which any write or rename sets: an edit that kept size and mtime still
/// changes the stamp.
struct FileStamp {
  std::int64_t size = -1;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  bool regular = false;

  /// The stamp of `path` (following links); nullopt when it cannot be stat'ed.
  static std::optional<FileStamp> of(const std::string& path);
  /// Whether the stamp, taken from a read at `read_ns`, can vouch for the content: a file
  /// changed within a second of the read may change again within the clock's resolution.
  bool trusted_at(std::int64_t read_ns) const;
  bool operator==(const FileStamp&) const = default;
};

/// Nanoseconds since 1970, from the system clock (the clock file times use).
std::int64_t now_ns();

}  // namespace jitcu::detail
