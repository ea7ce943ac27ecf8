#include "staging_dir.hpp"

#include "file_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <jitcu/base/log.hpp>

namespace jitcu::cache::detail {

StagingDir::StagingDir(std::filesystem::path path, UniqueFd dir_fd, FileModes modes)
    : path_(std::move(path)), modes_(modes), dir_fd_(std::move(dir_fd)) {}

StagingDir StagingDir::create(const std::filesystem::path& tmp_dir, FileModes modes) {
  std::filesystem::path path = tmp_dir / unique_tmp_name();
  if (::mkdir(path.c_str(), modes.dir) != 0) {
    const int error = errno;
    throw IoError(fmt::format("cannot create folder '{}': {}", path.string(), errno_text(error)),
                  error);
  }
  UniqueFd dir_fd = open_path(path, O_RDONLY | O_DIRECTORY);
  if (!dir_fd) {
    const int error = errno;
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    throw IoError(fmt::format("cannot open folder '{}': {}", path.string(), errno_text(error)),
                  error);
  }
  lock_exclusive(dir_fd.get(), true);  // fresh and named for us: nobody else holds it
  ::fchmod(dir_fd.get(), modes.dir);  // exact, whatever the umask
  return StagingDir(std::move(path), std::move(dir_fd), modes);
}

StagingDir::~StagingDir() {
  if (published_) return;
  try {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
    if (error) {
      jitcu::log().debug("cannot remove staging folder '{}': {}", path_.string(), error.message());
    }
  } catch (...) {  // remove_all may allocate; a destructor must not throw
  }
}

void StagingDir::write_file(std::string_view name, std::string_view bytes) {
  const std::string file_name(name);
  const std::filesystem::path file_path = path_ / file_name;
  UniqueFd fd = open_at(dir_fd_.get(), file_name.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, modes_.file);
  if (!fd) {
    const int error = errno;
    throw IoError(fmt::format("cannot create '{}': {}", file_path.string(), errno_text(error)),
                  error);
  }
  ::fchmod(fd.get(), modes_.file);  // exact, whatever the umask
  write_all(fd.get(), bytes, file_path);
  if (const int error = fd.close_checked(); error != 0) {
    throw IoError(fmt::format("cannot write '{}': {}", file_path.string(), errno_text(error)),
                  error);
  }
  size_bytes_ += bytes.size();
}

StagingDir::Publish StagingDir::publish(const std::filesystem::path& entry_dir) {
  if (::rename(path_.c_str(), entry_dir.c_str()) == 0) {
    published_ = true;
    return Publish::published;
  }
  const int error = errno;
  if (error == EEXIST || error == ENOTEMPTY) return Publish::destination_exists;
  if (error == ENOTDIR) return Publish::destination_not_folder;
  if (error == ENOENT) return Publish::parent_missing;
  throw IoError(fmt::format("cannot publish '{}' as '{}': {}", path_.string(), entry_dir.string(),
                            errno_text(error)),
                error);
}

}  // namespace jitcu::cache::detail
