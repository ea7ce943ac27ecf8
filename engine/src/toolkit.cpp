#include "toolkit.hpp"

#include <jitcu/cache/log.hpp>

#include <sys/stat.h>

#include <array>
#include <cstdlib>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

constexpr const char* k_nvrtc_soname = "libnvrtc.so.13";  // the NVRTC major jitcu is built for

bool is_file(const std::filesystem::path& path) {
  std::error_code ignored;
  return std::filesystem::is_regular_file(path, ignored);
}

std::filesystem::path find_root() {
  for (const char* variable : {"JITCU_CUDA_HOME", "CUDA_HOME", "CUDA_PATH"}) {
    const char* value = std::getenv(variable);
    if (value && *value && is_file(std::filesystem::path(value) / "include" / "cuda_runtime.h")) return value;
  }
  const std::filesystem::path fallback = "/usr/local/cuda";
  if (is_file(fallback / "include" / "cuda_runtime.h")) return fallback;
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
  for (const auto& dir : {found.root / "include", found.root / "include" / "cccl"}) {
    std::error_code ignored;
    if (std::filesystem::is_directory(dir, ignored)) found.include_dirs.push_back(dir);
  }
  for (const char* lib : {"lib64", "lib"}) {
    if (auto candidate = found.root / lib / k_nvrtc_soname; is_file(candidate)) {
      found.nvrtc_library = candidate;
      break;
    }
  }
  if (found.nvrtc_library.empty()) found.nvrtc_library = k_nvrtc_soname;
  struct stat info {};
  // The library's size tells builds apart (patch releases differ) with one stat, no dlopen.
  if (stat(found.nvrtc_library.c_str(), &info) == 0)
    found.nvrtc_identity = fmt::format("{}, {} bytes", k_nvrtc_soname, info.st_size);
  else
    found.nvrtc_identity = k_nvrtc_soname;
  return found;
}

}  // namespace

const Toolkit& toolkit() {
  static const Toolkit found = find_toolkit();
  return found;
}

}  // namespace jitcu::detail
