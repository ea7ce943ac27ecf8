#include "toolkit.hpp"

#include <jitcu/cache/log.hpp>
#include <jitcu/cache/path_text.hpp>

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

std::string find_root() {
  for (const char* variable : {"JITCU_CUDA_HOME", "CUDA_HOME", "CUDA_PATH"}) {
    const char* value = std::getenv(variable);
    if (value && *value && has(path_text::join(value, "include/cuda_runtime.h"), S_IFREG)) return value;  // as spelled: it is in the key
  }
  const std::string fallback = "/usr/local/cuda";
  if (has(path_text::join(fallback, "include/cuda_runtime.h"), S_IFREG)) return fallback;
  return {};
}

Toolkit find_toolkit() {
  Toolkit found;
  found.root = find_root();
  if (found.root.empty()) {
    log().warn("no CUDA toolkit found (set CUDA_HOME): toolkit headers such as cuda_fp16.h will "
               "not be found and {} comes from the loader path", k_nvrtc_soname);
    found.nvrtc_library = k_nvrtc_soname;
    found.nvrtc_identity = k_nvrtc_soname;
    return found;
  }
  struct stat info {};
  for (const char* lib : {"lib64/", "lib/"}) {
    if (auto candidate = path_text::join(found.root, lib + std::string(k_nvrtc_soname)); has(candidate, S_IFREG, &info)) {
      found.nvrtc_library = candidate;
      break;
    }
  }
  // The library's size tells builds apart (patch releases differ) with one stat, no dlopen.
  if (!found.nvrtc_library.empty()) {
    found.nvrtc_identity = std::string(k_nvrtc_soname) + ", " + std::to_string(info.st_size) + " bytes";
  } else {
    found.nvrtc_library = k_nvrtc_soname;
    found.nvrtc_identity = k_nvrtc_soname;
  }
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
    for (const auto& dir : {path_text::join(toolkit().root, "include"), path_text::join(toolkit().root, "include/cccl")})
      if (has(dir, S_IFDIR)) dirs.push_back(dir);
    return dirs;
  }();
  return found;
}

}  // namespace jitcu::detail
