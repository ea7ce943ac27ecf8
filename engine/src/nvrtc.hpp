#pragma once
// NVRTC, opened with dlopen when a compile really has to run.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <jitcu/options.hpp>

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
  /// Worker compiles: "<folder>/<key>" of a precompiled header kept across processes
  /// (pch_store.hpp); empty for none.
  std::string pch_file{};
  /// Headers given as text (nvrtcCreateProgram's headers and includeNames); names unique.
  std::span<const HeaderText> headers{};
};

/// What a compile did with a precompiled header file named for it (explicit PCH).
enum class PchUse { none, used, created, rejected, skipped };

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
  PchUse pch = PchUse::none;
  std::string pch_detail;  // the PCH file, or why none was used or made
};

/// Runs NVRTC; throws Error when libnvrtc cannot be loaded.
NvrtcOutput nvrtc_compile(const NvrtcInput& input);
/// NVRTC's (major, minor).
std::pair<int, int> nvrtc_version();
/// The sm numbers NVRTC can target, e.g. {75, 80, ..., 120}.
std::vector<int> nvrtc_supported_archs();
/// This process's PCH folder (made on first call, removed at exit); empty if it cannot be made.
const std::filesystem::path& process_pch_folder();
/// Loads NVRTC and has it place its PCH heap now: a PCH file loads only in a process whose heap
/// sits at the address it was made at, so a worker calls this before anything else can take
/// that address. Returns a name for this process's layout (libnvrtc's address, heap size) that
/// PCH file names carry; empty when ASLR is on here (no other process could load our files).
/// Throws Error when NVRTC cannot be loaded; later calls return the first answer.
const std::string& pch_address_layout();

}  // namespace jitcu::detail
