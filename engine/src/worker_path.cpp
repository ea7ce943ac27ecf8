// Where the compile worker is: found from the file jitcu's code runs from, so an installed
// copy, a moved prefix and a build tree each use their own worker and never another's.
#include "worker_pool.hpp"

#include <jitcu/error.hpp>

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

// Set by engine/CMakeLists.txt from the install dirs: the worker's folder relative to the
// library's folder and to a program's folder.
#ifndef JITCU_WORKER_FROM_LIBDIR
#define JITCU_WORKER_FROM_LIBDIR "../libexec/jitcu"
#endif
#ifndef JITCU_WORKER_FROM_BINDIR
#define JITCU_WORKER_FROM_BINDIR "../libexec/jitcu"
#endif

namespace jitcu::detail {
namespace {

constexpr const char* k_worker_name = "jitcu-worker";
constexpr const char* k_build_tree_dir = "../libexec/jitcu";  // <build>/engine, <build>/tools... to the worker

bool is_executable(const std::filesystem::path& path) { return !path.empty() && access(path.c_str(), X_OK) == 0; }

/// The file this code was loaded from: libjitcu.so, or the program a static jitcu is linked into.
std::filesystem::path loaded_from() {
  Dl_info info{};
  link_map* map = nullptr;
  const auto self = reinterpret_cast<void*>(&find_worker_executable);
  if (dladdr1(self, &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) != 0 && map && map->l_name &&
      *map->l_name)
    return std::filesystem::absolute(map->l_name);
  std::error_code error;
  return std::filesystem::read_symlink("/proc/self/exe", error);  // the main program: l_name is ""
}

/// Where an installed worker would be, then where a build tree puts it, for the file as loaded
/// and, if a link led to it, for the file it names.
std::vector<std::filesystem::path> candidates() {
  const std::filesystem::path file = loaded_from();
  if (file.empty()) return {};
  std::vector<std::filesystem::path> dirs{file.parent_path()};
  std::error_code error;
  if (const auto real = std::filesystem::canonical(file, error); !error && real.parent_path() != dirs.front())
    dirs.push_back(real.parent_path());
  const bool shared = file.filename().string().starts_with("libjitcu");
  std::vector<std::filesystem::path> paths;
  for (const auto& dir : dirs) {
    for (const char* relative : {shared ? JITCU_WORKER_FROM_LIBDIR : JITCU_WORKER_FROM_BINDIR, k_build_tree_dir}) {
      auto path = (dir / relative / k_worker_name).lexically_normal();
      if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(std::move(path));
    }
  }
  return paths;
}

std::string joined(const std::vector<std::filesystem::path>& paths) {
  std::string text;
  for (const auto& path : paths) text += (text.empty() ? "" : ", ") + path.string();
  return text.empty() ? "nowhere: the file jitcu runs from is unknown" : text;
}

}  // namespace

std::filesystem::path find_worker_executable() {
  if (const char* forced = std::getenv("JITCU_WORKER"); forced && *forced) {
    if (is_executable(forced)) return forced;
    throw Error(fmt::format("JITCU_WORKER='{}' is not an executable file; point it at jitcu-worker, or turn worker "
                            "processes off (EngineOptions{{.worker_processes = 0}} or JITCU_WORKERS=0)", forced));
  }
  const auto paths = candidates();
  for (const auto& path : paths)
    if (is_executable(path)) return path;
  throw Error(fmt::format("the compile worker jitcu-worker is missing (looked at {}); reinstall jitcu, set "
                          "JITCU_WORKER, or turn worker processes off (EngineOptions{{.worker_processes = 0}} or "
                          "JITCU_WORKERS=0)", joined(paths)));
}

}  // namespace jitcu::detail
