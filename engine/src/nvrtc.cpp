// The only file that includes <nvrtc.h>: opens libnvrtc at run time and runs compiles.
#include "nvrtc.hpp"

#include "signal_guard.hpp"
#include "toolkit.hpp"

#include <jitcu/base/log.hpp>
#include <jitcu/error.hpp>

#include <dlfcn.h>
#include <nvrtc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include <signal.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

#define JITCU_NVRTC_FUNCTIONS(X)                                                               \
  X(nvrtcGetErrorString) X(nvrtcVersion) X(nvrtcGetNumSupportedArchs) X(nvrtcGetSupportedArchs) \
  X(nvrtcCreateProgram) X(nvrtcDestroyProgram) X(nvrtcCompileProgram) X(nvrtcGetPTXSize)       \
  X(nvrtcGetPTX) X(nvrtcGetCUBINSize) X(nvrtcGetCUBIN) X(nvrtcGetProgramLogSize)               \
  X(nvrtcGetProgramLog) X(nvrtcAddNameExpression) X(nvrtcGetLoweredName) X(nvrtcGetLTOIRSize)     \
  X(nvrtcGetLTOIR) X(nvrtcSetFlowCallback) X(nvrtcGetPCHCreateStatus) X(nvrtcGetPCHHeapSizeRequired)    \
  X(nvrtcSetPCHHeapSize) X(nvrtcGetPCHHeapSize)

struct NvrtcTable {
#define JITCU_DECLARE(fn) decltype(&::fn) fn = nullptr;
  JITCU_NVRTC_FUNCTIONS(JITCU_DECLARE)
#undef JITCU_DECLARE
};

const NvrtcTable& nvrtc() {
  static const NvrtcTable table = [] {
    const auto& library = toolkit().nvrtc_library;
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* reason = dlerror();
      throw Error(fmt::format("cannot load NVRTC: dlopen(\"{}\") failed: {}; install the CUDA 13 "
                              "toolkit's NVRTC or point CUDA_HOME at it",
                              library, reason ? reason : "unknown reason"));
    }
    // Before NVRTC runs: its SIGTERM/SIGINT handler would hang the process (signal_guard.hpp).
    if (auto why = keep_termination_signals_from(handle); !why.empty())
      log().warn("SIGTERM or SIGINT during a compile may hang this process: cannot keep NVRTC ({}) from "
                 "handling them: {}", library, why);
    NvrtcTable made;
#define JITCU_RESOLVE(fn)                                                                       \
  made.fn = reinterpret_cast<decltype(made.fn)>(dlsym(handle, #fn));                            \
  if (!made.fn) throw Error(fmt::format("{} lacks {}: it is not the NVRTC jitcu needs (13.x)", library, #fn));
    JITCU_NVRTC_FUNCTIONS(JITCU_RESOLVE)
#undef JITCU_RESOLVE
    log().debug("loaded NVRTC from {}", library);
    return made;
  }();
  return table;
}

struct ProgramDeleter {
  void operator()(_nvrtcProgram* program) const noexcept { nvrtc().nvrtcDestroyProgram(&program); }
};
using Program = std::unique_ptr<_nvrtcProgram, ProgramDeleter>;

void check(nvrtcResult rc, const char* call) {
  if (rc != NVRTC_SUCCESS)
    throw Error(fmt::format("{} failed: {}", call, nvrtc().nvrtcGetErrorString(rc)));
}

std::string read_log(nvrtcProgram program) {
  std::size_t size = 0;
  check(nvrtc().nvrtcGetProgramLogSize(program, &size), "nvrtcGetProgramLogSize");
  std::string text(size, '\0');
  check(nvrtc().nvrtcGetProgramLog(program, text.data()), "nvrtcGetProgramLog");
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n')) text.pop_back();
  return text;
}

std::string read_ptx(nvrtcProgram program) {
  std::size_t size = 0;
  check(nvrtc().nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize");
  std::string text(size, '\0');
  check(nvrtc().nvrtcGetPTX(program, text.data()), "nvrtcGetPTX");
  if (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

std::string read_cubin(nvrtcProgram program) {
  std::size_t size = 0;
  // A compute_XY target has no cubin: NVRTC then reports size 0 (or an error).
  if (nvrtc().nvrtcGetCUBINSize(program, &size) != NVRTC_SUCCESS || size == 0) return {};
  std::string bytes(size, '\0');
  check(nvrtc().nvrtcGetCUBIN(program, bytes.data()), "nvrtcGetCUBIN");
  return bytes;
}

// What NVRTC's flow callback looks at; once it says cancel it keeps saying so.
struct FlowControl {
  std::chrono::steady_clock::time_point deadline;
  const std::atomic<bool>* cancel;
  std::atomic<bool> cancelled{false};
};

int flow_callback(void* payload, void*) {
  auto* flow = static_cast<FlowControl*>(payload);
  if (flow->cancelled.load(std::memory_order_relaxed)) return 1;
  if ((flow->cancel && flow->cancel->load(std::memory_order_relaxed)) || std::chrono::steady_clock::now() > flow->deadline) {
    flow->cancelled.store(true, std::memory_order_relaxed);
    return 1;
  }
  return 0;
}

// This process's folder for NVRTC's precompiled headers, removed at exit.
class PchFolder {
 public:
  PchFolder() {
    std::error_code ec;
    const auto temp = std::filesystem::temp_directory_path(ec);
    remove_abandoned(temp);
    path_ = temp / fmt::format("jitcu-pch-{}", getpid());
    // 0700 and ours: it sits in a shared temp folder, and NVRTC trusts what it reads from it.
    struct stat info {};
    if (mkdir(path_.c_str(), 0700) != 0 && (errno != EEXIST || lstat(path_.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
                                             info.st_uid != geteuid() || (info.st_mode & 077) != 0))
      path_.clear();
  }
  ~PchFolder() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  // Folders of processes that died without running their destructors (SIGKILL).
  static void remove_abandoned(const std::filesystem::path& temp) {
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(temp, ec)) {
      const std::string name = item.path().filename().string();
      if (!name.starts_with("jitcu-pch-")) continue;
      const int pid = std::atoi(name.c_str() + 10);
      if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(item.path(), ec);
    }
  }
  std::filesystem::path path_;
};

const std::filesystem::path& pch_folder() {
  static PchFolder folder;
  return folder.path();
}

// NVRTC says how much PCH heap the program needed when it ran out: give it that much for
// the next compile (its default is too small for CUB).
void grow_pch_heap_if_needed(nvrtcProgram program) {
  const nvrtcResult status = nvrtc().nvrtcGetPCHCreateStatus(program);
  if (status == NVRTC_SUCCESS) return;
  if (status == NVRTC_ERROR_PCH_CREATE_HEAP_EXHAUSTED) {
    std::size_t required = 0, current = 0;
    if (nvrtc().nvrtcGetPCHHeapSizeRequired(program, &required) == NVRTC_SUCCESS &&
        nvrtc().nvrtcGetPCHHeapSize(&current) == NVRTC_SUCCESS && required > current &&
        nvrtc().nvrtcSetPCHHeapSize(required) == NVRTC_SUCCESS)
      log().debug("NVRTC PCH heap grown from {} to {} bytes", current, required);
    return;
  }
  log().debug("NVRTC made no precompiled header for this program: {}", nvrtc().nvrtcGetErrorString(status));
}

bool creates_pch_file(const std::vector<std::string>& options) {
  return std::any_of(options.begin(), options.end(), [](const std::string& o) { return o.starts_with("--create-pch="); });
}

// Whether NVRTC wrote the --create-pch file, and why not. The heap is never grown here: a PCH
// file made after a resize only loads in processes that resized it the same way.
void note_pch_creation(nvrtcProgram program, NvrtcOutput& output) {
  const nvrtcResult status = nvrtc().nvrtcGetPCHCreateStatus(program);
  output.pch = status == NVRTC_SUCCESS ? PchUse::created : PchUse::skipped;
  if (status == NVRTC_SUCCESS || status == NVRTC_ERROR_NO_PCH_CREATE_ATTEMPTED) return;
  std::size_t required = 0, current = 0;
  if (status == NVRTC_ERROR_PCH_CREATE_HEAP_EXHAUSTED && nvrtc().nvrtcGetPCHHeapSizeRequired(program, &required) == NVRTC_SUCCESS &&
      nvrtc().nvrtcGetPCHHeapSize(&current) == NVRTC_SUCCESS) {
    output.pch_detail = fmt::format("these headers need {} bytes of NVRTC's PCH heap, which has {}", required, current);
    return;
  }
  output.pch_detail = nvrtc().nvrtcGetErrorString(status);
}

// Address space layout randomization off for this process (personality) or the whole system.
bool aslr_off() {
  const int persona = personality(0xffffffff);
  if (persona != -1 && (persona & ADDR_NO_RANDOMIZE) != 0) return true;
  std::ifstream setting("/proc/sys/kernel/randomize_va_space");
  int value = -1;
  return setting >> value && value == 0;
}

}  // namespace

const std::string& pch_address_layout() {
  static const std::string layout = []() -> std::string {
    const auto& api = nvrtc();
    if (!aslr_off()) return {};
    // NVRTC maps its PCH heap at the first compile that asks for PCH; one that names a file
    // that cannot exist fails at once (~10 ms) and leaves the heap where every worker puts it.
    static const std::string empty_text, name = "jitcu_pch_heap.cu";
    const char* options[] = {"--no-cache", "--use-pch=/dev/null/jitcu-none.pch"};
    nvrtcProgram raw = nullptr;
    check(api.nvrtcCreateProgram(&raw, empty_text.c_str(), name.c_str(), 0, nullptr, nullptr), "nvrtcCreateProgram");
    Program program(raw);
    api.nvrtcCompileProgram(raw, 2, options);  // fails by design
    Dl_info where{};
    std::size_t heap_bytes = 0;
    if (dladdr(reinterpret_cast<void*>(api.nvrtcVersion), &where) == 0 || api.nvrtcGetPCHHeapSize(&heap_bytes) != NVRTC_SUCCESS)
      return {};
    return fmt::format("{:x}-{:x}", reinterpret_cast<std::uintptr_t>(where.dli_fbase), heap_bytes);
  }();
  return layout;
}

NvrtcOutput nvrtc_compile(const NvrtcInput& input) {
  const auto& api = nvrtc();
  const auto start = std::chrono::steady_clock::now();
  std::vector<const char*> header_texts, header_names;
  for (const auto& header : input.headers) {
    header_texts.push_back(header.text.c_str());
    header_names.push_back(header.name.c_str());
  }
  nvrtcProgram raw = nullptr;
  check(api.nvrtcCreateProgram(&raw, input.text->c_str(), input.name->c_str(), static_cast<int>(header_texts.size()),
                               header_texts.data(), header_names.data()),
        "nvrtcCreateProgram");
  Program program(raw);
  for (const auto& expression : input.name_expressions)
    check(api.nvrtcAddNameExpression(raw, expression.c_str()), "nvrtcAddNameExpression");
  FlowControl flow{input.deadline, input.cancel};
  if (input.cancel || input.deadline != std::chrono::steady_clock::time_point::max())
    check(api.nvrtcSetFlowCallback(raw, &flow_callback, &flow), "nvrtcSetFlowCallback");
  std::vector<std::string> pch_options;
  if (input.precompiled_headers && !pch_folder().empty()) pch_options = {"-pch", "--pch-dir=" + pch_folder().string()};
  std::vector<const char*> options;
  for (const auto& option : input.options) options.push_back(option.c_str());
  for (const auto& option : pch_options) options.push_back(option.c_str());
  const nvrtcResult rc = api.nvrtcCompileProgram(raw, static_cast<int>(options.size()), options.data());
  if (!pch_options.empty() && rc == NVRTC_SUCCESS) grow_pch_heap_if_needed(raw);

  NvrtcOutput output;
  if (creates_pch_file(input.options)) note_pch_creation(raw, output);
  output.log = read_log(raw);
  output.result_name = api.nvrtcGetErrorString(rc);
  output.invalid_option = rc == NVRTC_ERROR_INVALID_OPTION;
  output.cancelled = rc == NVRTC_ERROR_CANCELLED || flow.cancelled;
  output.ok = rc == NVRTC_SUCCESS;
  const bool lto = std::find(input.options.begin(), input.options.end(), "-dlto") != input.options.end();
  if (output.ok && lto) {
    std::size_t size = 0;
    check(api.nvrtcGetLTOIRSize(raw, &size), "nvrtcGetLTOIRSize");
    output.lto_ir.resize(size);
    check(api.nvrtcGetLTOIR(raw, output.lto_ir.data()), "nvrtcGetLTOIR");
  } else if (output.ok) {
    output.ptx = read_ptx(raw);
    output.cubin = read_cubin(raw);
  }
  if (output.ok) {
    for (const auto& expression : input.name_expressions) {
      const char* lowered = nullptr;
      check(api.nvrtcGetLoweredName(raw, expression.c_str(), &lowered), "nvrtcGetLoweredName");
      output.lowered_names[expression] = lowered;
    }
  }
  output.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return output;
}

std::pair<int, int> nvrtc_version() {
  int major = 0, minor = 0;
  check(nvrtc().nvrtcVersion(&major, &minor), "nvrtcVersion");
  return {major, minor};
}

std::vector<int> nvrtc_supported_archs() {
  int count = 0;
  check(nvrtc().nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
  std::vector<int> archs(static_cast<std::size_t>(count));
  check(nvrtc().nvrtcGetSupportedArchs(archs.data()), "nvrtcGetSupportedArchs");
  return archs;
}

const std::filesystem::path& process_pch_folder() { return pch_folder(); }

}  // namespace jitcu::detail
