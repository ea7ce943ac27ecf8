#include "toolkit.hpp"

#include <jitcu/base/log.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace jitcu::detail {
namespace {

constexpr const char* k_nvrtc_soname = "libnvrtc.so.13";  // the NVRTC major jitcu is built for

bool has(const std::string& path, mode_t type, struct stat* info = nullptr) {
  struct stat local {};
  struct stat& found = info ? *info : local;
  return ::stat(path.c_str(), &found) == 0 && (found.st_mode & S_IFMT) == type;
}

/// `root`'s NVRTC library (lib64/ or lib/), empty when it has none; `size` gets its size.
std::string nvrtc_in(const std::string& root, off_t& size) {
  struct stat info {};
  for (const char* lib : {"lib64/", "lib/"}) {
    if (auto candidate = root + "/" + lib + std::string(k_nvrtc_soname); has(candidate, S_IFREG, &info)) {
      size = info.st_size;
      return candidate;
    }
  }
  return {};
}

/// The toolkit is the first of $JITCU_CUDA_HOME, $CUDA_HOME, $CUDA_PATH and /usr/local/cuda that
/// holds NVRTC or, failing that, the toolkit headers. NVRTC is looked for first: in the usual
/// toolkit that one stat decides, and this runs on every process's first cache hit.
Toolkit find_toolkit() {
  Toolkit found;
  for (const char* variable : {"JITCU_CUDA_HOME", "CUDA_HOME", "CUDA_PATH", ""}) {
    const char* value = *variable ? std::getenv(variable) : "/usr/local/cuda";
    if (!value || !*value) continue;
    const std::string root = value;  // as spelled: it is in the key
    off_t size = 0;
    if (std::string library = nvrtc_in(root, size); !library.empty()) {
      found.root = root;
      found.nvrtc_library = std::move(library);
      // The library's size tells builds apart (patch releases differ) with one stat, no dlopen.
      found.nvrtc_identity = std::string(k_nvrtc_soname) + ", " + std::to_string(size) + " bytes";
      return found;
    }
    if (has(root + "/include/cuda_runtime.h", S_IFREG)) {
      found.root = root;
      break;
    }
  }
  if (found.root.empty())
    log().warn("no CUDA toolkit found (set CUDA_HOME): toolkit headers such as cuda_fp16.h will "
               "not be found and {} comes from the loader path", k_nvrtc_soname);
  found.nvrtc_library = k_nvrtc_soname;
  found.nvrtc_identity = k_nvrtc_soname;
  return found;
}

}  // namespace

const Toolkit& toolkit() {
  static const Toolkit found = find_toolkit();
  return found;
}

const std::vector<std::string>& toolkit_include_dirs() {
  static const std::vector<std::string> found = [] {
    std::vector<std::string> dirs;
    if (toolkit().root.empty()) return dirs;
    for (const auto& dir : {toolkit().root + "/include", toolkit().root + "/include/cccl"})
      if (has(dir, S_IFDIR)) dirs.push_back(dir);
    return dirs;
  }();
  return found;
}

}  // namespace jitcu::detail
