#pragma once
// Private: an exclusive flock() on a lock file, released when the object or the process dies.
#include "posix_io.hpp"

#include <filesystem>

namespace jitcu::cache::detail {

/// Holds flock(LOCK_EX) on an open file. Each FileLock opens its own file description, so
/// threads of one process exclude each other as processes do. Move-only.
class FileLock {
 public:
  /// Opens (creating, mode 0600) `path` and blocks until the lock is ours. Throws IoError.
  static FileLock acquire(const std::filesystem::path& path, mode_t file_mode = 0600);
  /// acquire(), making the lock file's folder again (mode `modes.dir`) if someone deleted it.
  static FileLock acquire_remaking_folder(const std::filesystem::path& path, const FileModes& modes);
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  ~FileLock() = default;  // closing the last descriptor releases the lock

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

/// flock(LOCK_EX) on `fd`, retried on EINTR; `non_blocking` tries once. 0 or errno.
int lock_exclusive(int fd, bool non_blocking);

}  // namespace jitcu::cache::detail
