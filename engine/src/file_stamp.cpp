#include "file_stamp.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

namespace jitcu::detail {
namespace {

constexpr std::int64_t k_racy_window_ns = 1'000'000'000;  // file systems with 1 s timestamps exist

std::int64_t nanoseconds(const timespec& time) { return time.tv_sec * 1'000'000'000LL + time.tv_nsec; }

}  // namespace

std::optional<FileStamp> FileStamp::of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileStamp{info.st_size, nanoseconds(info.st_mtim), nanoseconds(info.st_ctim), info.st_ino, info.st_dev,
                   S_ISREG(info.st_mode)};
}

bool FileStamp::trusted_at(std::int64_t read_ns) const {
  return std::max(mtime_ns, ctime_ns) + k_racy_window_ns < read_ns;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace jitcu::detail
