#pragma once
// Private: a folder in <root>/tmp that becomes an entry by one rename().
#include "posix_io.hpp"

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace jitcu::cache::detail {

/// A fresh "<pid>-<random>" folder in <root>/tmp, flock()ed while this object lives so that
/// cleanup in other processes leaves it alone; removed on destruction unless published.
class StagingDir {
 public:
  /// Creates the folder (modes.dir; its files get modes.file). Throws IoError.
  static StagingDir create(const std::filesystem::path& tmp_dir, FileModes modes = {});
  StagingDir(const StagingDir&) = delete;  // made and returned in place (C++17), never moved
  StagingDir& operator=(const StagingDir&) = delete;
  ~StagingDir();  // best-effort remove_all when unpublished; logs, never throws

  /// Writes a new file `name` (a validated blob name or "meta.json"). Throws IoError.
  void write_file(std::string_view name, std::string_view bytes);

  /// destination_not_folder: a stray file sits where the entry's folder belongs.
  enum class Publish { published, destination_exists, destination_not_folder, parent_missing };
  /// One rename() onto `entry_dir`. destination_exists: another process published first
  /// (theirs is untouched). Throws IoError for any other failure.
  [[nodiscard]] Publish publish(const std::filesystem::path& entry_dir);

  const std::filesystem::path& path() const { return path_; }
  /// Bytes of all files written so far.
  std::uint64_t size_bytes() const { return size_bytes_; }

 private:
  StagingDir(std::filesystem::path path, UniqueFd dir_fd, FileModes modes);
  std::filesystem::path path_;
  FileModes modes_;
  UniqueFd dir_fd_;
  std::uint64_t size_bytes_ = 0;
  bool published_ = false;
};

}  // namespace jitcu::cache::detail
