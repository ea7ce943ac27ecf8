#pragma once
// Private: thin, checked wrappers over the POSIX calls the disk store needs.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct timespec;

namespace jitcu::cache::detail {

/// An I/O failure while writing: put() logs it once per store and gives up, never throws it on.
class IoError : public std::runtime_error {
 public:
  IoError(const std::string& what, int error_number);
  int error_number() const { return error_number_; }

 private:
  int error_number_;
};

/// strerror() text, thread-safe.
std::string errno_text(int error_number);

/// An owned file descriptor; closed on destruction, move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() noexcept;
  /// Closes now and reports close()'s error (0 when fine).
  int close_checked() noexcept;

 private:
  int fd_ = -1;
};

/// open()/openat() retried on EINTR, always O_CLOEXEC; an invalid fd with errno set on failure.
UniqueFd open_at(int dir_fd, const char* name, int flags, mode_t mode = 0);
UniqueFd open_path(const std::filesystem::path& path, int flags, mode_t mode = 0);

/// Writes all of `bytes`; throws IoError naming `what` on failure.
void write_all(int fd, std::string_view bytes, const std::filesystem::path& what);
/// Reads up to `limit` bytes from the current position until end of file.
/// Returns 0 or the errno of the failing read. `file_size`, the size fstat gave for a regular
/// file read from its start, lets a short read that reaches it end the loop: that spares the
/// read that returns 0, a system call on every cache hit. A file that grew meanwhile fills the
/// larger read and is read on; a short read before that size (a signal) is read on too.
int read_all(int fd, std::string& out, std::uint64_t limit, std::optional<std::uint64_t> file_size = std::nullopt);

/// The modes of what the disk tier creates: private to the user (the default), or shared with
/// the cache folder's group (JITCU_CACHE_SHARED=1).
struct FileModes {
  mode_t dir = 0700;
  mode_t file = 0600;
  static FileModes group_shared() { return {0770, 0660}; }
};

/// Creates `path` and every missing parent with mode `dir_mode` (chmod'ed, so the umask does
/// not matter); folders that exist are left as they are. Throws IoError.
void create_private_dirs(const std::filesystem::path& path, mode_t dir_mode = 0700);

/// A fresh "<pid>-<16 random hex digits>" name for something in <root>/tmp.
std::string unique_tmp_name(std::string_view suffix = {});

std::chrono::system_clock::time_point to_time_point(const struct timespec& ts);
/// ISO-8601 UTC with seconds, e.g. "2026-11-26T10:11:12Z".
std::string iso8601_utc(std::chrono::system_clock::time_point when);
std::int64_t unix_ns(std::chrono::system_clock::time_point when);
std::chrono::system_clock::time_point from_unix_ns(std::int64_t ns);

}  // namespace jitcu::cache::detail
