#include "file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include <fmt/format.h>

namespace jitcu::cache::detail {

int lock_exclusive(int fd, bool non_blocking) {
  const int operation = non_blocking ? (LOCK_EX | LOCK_NB) : LOCK_EX;
  for (;;) {
    if (::flock(fd, operation) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

FileLock FileLock::acquire(const std::filesystem::path& path, mode_t file_mode) {
  UniqueFd fd = open_path(path, O_RDWR | O_CREAT | O_NOFOLLOW, file_mode);
  if (!fd) {
    const int error = errno;
    throw IoError(fmt::format("cannot open lock file '{}': {}", path.string(), errno_text(error)),
                  error);
  }
  if (const int error = lock_exclusive(fd.get(), false); error != 0) {
    throw IoError(fmt::format("cannot lock '{}': {}", path.string(), errno_text(error)), error);
  }
  return FileLock(std::move(fd));
}

FileLock FileLock::acquire_remaking_folder(const std::filesystem::path& path, const FileModes& modes) {
  try {
    return acquire(path, modes.file);
  } catch (const IoError& error) {
    if (error.error_number() != ENOENT) throw;
    create_private_dirs(path.parent_path(), modes.dir);
    return acquire(path, modes.file);
  }
}

}  // namespace jitcu::cache::detail
