#include <jitcu/error.hpp>
#include <jitcu/source.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace jitcu {

Source::Source(std::string text, std::string name, std::filesystem::path directory, bool from_file)
    : data_(std::make_shared<const Data>(Data{std::move(text), std::move(name), std::move(directory), from_file})) {}

namespace {

/// The whole file, or nullopt with errno set. Plain read(2): an ifstream's first use builds the
/// locale (~50 us), which a cache hit in a new process would pay.
std::optional<std::string> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat info {};
  if (::fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    const int error = S_ISDIR(info.st_mode) ? EISDIR : errno;
    ::close(fd);
    errno = error;
    return std::nullopt;
  }
  std::string text;
  text.resize(static_cast<std::size_t>(info.st_size) + 1);  // +1 sees a file that grew
  std::size_t filled = 0;
  for (;;) {
    if (filled == text.size()) text.resize(text.size() * 2);
    const ssize_t got = ::read(fd, text.data() + filled, text.size() - filled);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      errno = error;
      return std::nullopt;
    }
    filled += static_cast<std::size_t>(got);
    // A short read that reaches a regular file's size is its end: no further read to see 0 (a
    // system call on every cache hit). Pipes, and a short read before that size, read on.
    if (S_ISREG(info.st_mode) && filled < text.size() && filled == static_cast<std::size_t>(info.st_size)) break;
  }
  ::close(fd);
  text.resize(filled);
  return text;
}

/// The absolute, normal folder of `path`.
std::filesystem::path folder_of(const std::string& path) {
  std::error_code ignored;  // no current directory: the path as given
  return std::filesystem::absolute(path, ignored).parent_path().lexically_normal();
}

}  // namespace

Source Source::file(const std::string& path) {
  std::optional<std::string> text = read_whole_file(path);
  if (!text) {
    const int error = errno;
    std::error_code ec;
    throw Error(fmt::format("cannot read kernel source '{}': {}; check the path (relative paths start "
                            "at the current directory, {})",
                            path, error == EISDIR ? "it is a folder" : std::strerror(error),
                            std::filesystem::current_path(ec).string()));
  }
  return Source(std::move(*text), path, folder_of(path), true);
}

Source Source::file(const char* path) {
  if (path == nullptr) throw Error("Source::file was given a null path; pass the kernel file's path");
  return file(std::string(path));
}

Source Source::file(const std::filesystem::path& path) { return file(path.string()); }

Source Source::string(std::string text, std::string name) {
  if (name.empty()) name = "jitcu_program.cu";
  std::filesystem::path directory = folder_of(name);
  return Source(std::move(text), std::move(name), std::move(directory), false);
}

}  // namespace jitcu
