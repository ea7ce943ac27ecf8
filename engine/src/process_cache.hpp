#pragma once
// The in-process cache: a compile this process has done, found again by its request in well
// under a microsecond, as long as none of the user headers it read has changed since.
#include "compile_request.hpp"
#include "file_stamp.hpp"
#include "headers.hpp"
#include "module_state.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace jitcu::detail {

class ProcessCache {
 public:
  /// The module compiled for `request`, or nullptr when it is unknown or one of its headers
  /// changed (size, mtime, ctime, inode), appeared or vanished since.
  std::shared_ptr<const ModuleState> find(const CompileRequest& request, std::size_t hash);
  /// Remembers `module` for `request`, with the stamps of `headers` and the include candidates
  /// that did not exist (`absent`), as they were before the compile read them (`stamped_ns`).
  void remember(CompileRequest request, std::size_t hash, const std::vector<HeaderDependency>& headers,
                const std::vector<std::filesystem::path>& absent, std::int64_t stamped_ns,
                std::shared_ptr<const ModuleState> module);

 private:
  struct Remembered {
    CompileRequest request;
    std::shared_ptr<const ModuleState> module;
    std::vector<std::pair<std::string, FileStamp>> headers;
    std::vector<std::string> absent;  // one appearing changes what NVRTC includes
    std::int64_t stamped_ns = 0;
    bool headers_unchanged() const;
  };
  std::mutex mutex_;
  std::unordered_multimap<std::size_t, Remembered> remembered_;
};

}  // namespace jitcu::detail
