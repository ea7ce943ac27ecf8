#include "regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a folder";
  return "not a regular file";
}

std::string not_regular(mode_t mode) {
  return S_ISDIR(mode) ? "it is a folder" : fmt::format("it is {}, not a regular file", kind_of(mode));
}

std::string too_large() {
  return fmt::format("it is larger than jitcu's limit of {} MiB for a source or header file",
                     k_max_source_file_bytes >> 20);
}

// Closes `fd` and returns nullopt with `why` set.
std::optional<std::string> fail(int fd, std::string& why, std::string reason) {
  ::close(fd);
  why = std::move(reason);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> read_regular_file(const std::string& path, std::string& why) {
  // Plain read(2), with O_NONBLOCK so that nothing here can wait on a FIFO; an ifstream would
  // also build the locale on a new process's cache hit.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    struct stat info {};
    why = error == ENXIO && ::stat(path.c_str(), &info) == 0 ? not_regular(info.st_mode) : std::strerror(error);
    return std::nullopt;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) return fail(fd, why, std::strerror(errno));
  if (!S_ISREG(info.st_mode)) return fail(fd, why, not_regular(info.st_mode));
  if (static_cast<std::uint64_t>(info.st_size) > k_max_source_file_bytes) return fail(fd, why, too_large());
  std::string text;
  text.resize(static_cast<std::size_t>(info.st_size) + 1);  // +1 sees a file that grew
  std::size_t filled = 0;
  for (;;) {
    if (filled == text.size()) {
      if (text.size() > k_max_source_file_bytes) return fail(fd, why, too_large());
      text.resize(std::min(text.size() * 2, k_max_source_file_bytes + 1));
    }
    const ssize_t got = ::read(fd, text.data() + filled, text.size() - filled);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail(fd, why, std::strerror(errno));
    }
    filled += static_cast<std::size_t>(got);
    // A short read that reaches the file's size is its end: no further read to see 0 (a system
    // call on every cache hit). A short read before that size reads on.
    if (filled < text.size() && filled == static_cast<std::size_t>(info.st_size)) break;
  }
  ::close(fd);
  text.resize(filled);
  return text;
}

std::string special_file_kind(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode) || S_ISDIR(info.st_mode)) return {};
  return kind_of(info.st_mode);
}

std::size_t first_nul_line(const std::string& text) {
  const void* nul = std::memchr(text.data(), '\0', text.size());
  if (nul == nullptr) return 0;
  const auto offset = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

}  // namespace jitcu::detail
