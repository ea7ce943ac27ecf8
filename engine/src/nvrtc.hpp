#pragma once
// NVRTC, opened with dlopen when a compile really has to run.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace jitcu::detail {

/// One NVRTC compile's input.
struct NvrtcInput {
  const std::string* text;
  const std::string* name;
  std::vector<std::string> options;
  std::vector<std::string> name_expressions;
  /// Past this the compile is cancelled; max() for none.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancel = nullptr;
  /// Use NVRTC's automatic precompiled headers, kept in this process's PCH folder.
  bool precompiled_headers = false;
  /// Where the PCH files go; empty: this process's own folder (removed at exit).
  std::string pch_dir{};
};

/// One NVRTC compile's output; `ok` false means NVRTC refused the program (see `log`).
struct NvrtcOutput {
  bool ok = false;
  bool invalid_option = false;  // NVRTC_ERROR_INVALID_OPTION
  bool cancelled = false;       // by the deadline or the cancel flag
  std::string result_name;      // e.g. "NVRTC_ERROR_COMPILATION"
  std::string ptx;
  std::string cubin;            // empty for compute_XY targets
  std::string lto_ir;           // with -dlto: LTO IR instead of PTX and cubin
  std::string log;
  std::map<std::string, std::string> lowered_names;  // name expression -> mangled symbol
  double milliseconds = 0;
};

/// Runs NVRTC; throws Error when libnvrtc cannot be loaded.
NvrtcOutput nvrtc_compile(const NvrtcInput& input);
/// NVRTC's (major, minor).
std::pair<int, int> nvrtc_version();
/// The sm numbers NVRTC can target, e.g. {75, 80, ..., 120}.
std::vector<int> nvrtc_supported_archs();
/// This process's PCH folder (made on first call, removed at exit); empty if it cannot be made.
const std::filesystem::path& process_pch_folder();
/// True once this process has loaded NVRTC (a cache hit never does).
bool nvrtc_loaded();

}  // namespace jitcu::detail
