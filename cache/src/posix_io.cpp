#include "posix_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include <fmt/format.h>

namespace jitcu::cache::detail {

IoError::IoError(const std::string& what, int error_number)
    : std::runtime_error(what), error_number_(error_number) {}

std::string errno_text(int error_number) {
  char buffer[256] = {};
  // GNU strerror_r returns the text (maybe not in buffer); XSI returns an int.
  auto result = strerror_r(error_number, buffer, sizeof buffer);
  if constexpr (std::is_same_v<decltype(result), char*>) {
    return result;
  } else {
    return result == 0 ? std::string(buffer) : fmt::format("error {}", error_number);
  }
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    close_checked();
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() { close_checked(); }

int UniqueFd::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

int UniqueFd::close_checked() noexcept {
  if (fd_ < 0) return 0;
  const int fd = release();
  return ::close(fd) == 0 || errno == EINTR ? 0 : errno;  // Linux: EINTR still closed it
}

UniqueFd open_at(int dir_fd, const char* name, int flags, mode_t mode) {
  for (;;) {
    const int fd = ::openat(dir_fd, name, flags | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR) return UniqueFd();
  }
}

UniqueFd open_path(const std::filesystem::path& path, int flags, mode_t mode) {
  return open_at(AT_FDCWD, path.c_str(), flags, mode);
}

void write_all(int fd, std::string_view bytes, const std::filesystem::path& what) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      throw IoError(fmt::format("cannot write '{}': {}", what.string(), errno_text(error)), error);
    }
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
  }
}

int read_all(int fd, std::string& out, std::uint64_t limit, std::optional<std::uint64_t> file_size) {
  const std::size_t start = out.size();
  // Straight into `out`, with no buffer on the stack: a 64 KiB stack buffer cost a dozen page
  // faults on a cache hit in a new process (stack-clash probes touch every page of it).
  std::size_t chunk = 4096;
  while (out.size() < limit) {
    const std::size_t used = out.size();
    // A caller's reserve() is used up first, so reserving size + 1 reads a file with no regrowth.
    const std::size_t room = out.capacity() > used ? out.capacity() - used : chunk;
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(room, limit - used));
    out.resize(used + want);
    const ssize_t got = ::read(fd, out.data() + used, want);
    const int error = got < 0 ? errno : 0;
    out.resize(used + static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
    if (got == 0) return 0;
    if (got < 0) {
      if (error == EINTR) continue;
      return error;
    }
    if (file_size && static_cast<std::size_t>(got) < want && out.size() - start == *file_size) return 0;
    chunk = std::min<std::size_t>(chunk * 2, std::size_t{1} << 20);
  }
  return 0;
}

void create_private_dirs(const std::filesystem::path& path, mode_t dir_mode) {
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && S_ISDIR(existing.st_mode)) return;  // the usual case: one call
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = path; !p.empty(); p = p.parent_path()) {
    struct stat info {};
    if (::stat(p.c_str(), &info) == 0 || errno != ENOENT) break;  // exists, or mkdir will say why
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  if (missing.empty()) missing.push_back(path);  // exists, or unreachable: mkdir says which
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), dir_mode) == 0) {
      ::chmod(it->c_str(), dir_mode);  // the umask may have taken bits away; make it exact
      continue;
    }
    const int error = errno;
    struct stat info {};
    if (error == EEXIST && ::stat(it->c_str(), &info) == 0 && S_ISDIR(info.st_mode)) continue;
    throw IoError(fmt::format("cannot create folder '{}': {}", it->string(),
                              error == EEXIST ? "a file of that name is in the way"
                                              : errno_text(error)),
                  error);
  }
}

std::string unique_tmp_name(std::string_view suffix) {
  thread_local std::mt19937_64 rng = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  // The pid tells later runs whose folder it is; after fork() the child inherits this
  // generator's state, but its pid differs, so the names still differ.
  return fmt::format("{}-{:016x}{}", ::getpid(), rng(), suffix);
}

std::chrono::system_clock::time_point to_time_point(const struct timespec& ts) {
  using namespace std::chrono;
  return system_clock::time_point(
      duration_cast<system_clock::duration>(seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec)));
}

std::string iso8601_utc(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::int64_t unix_ns(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix_ns(std::int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
}

}  // namespace jitcu::cache::detail
