#pragma once
// What a Module and its Kernels share: the compiled code, its kernels and the loaded library.
#include "driver.hpp"

#include <jitcu/arguments.hpp>
#include <jitcu/kernel.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jitcu::detail {

/// A kernel as the compiled code defines it.
struct KernelRecord {
  std::string symbol;  // as in the PTX
  std::string name;    // readable: "scale<float>", or the extern "C" name
  std::vector<ParamInfo> params;
};

struct ModuleState {
  cache::Key key;
  std::string source_name;
  std::string arch;
  std::vector<KernelRecord> kernels;
  std::map<std::string, std::string> name_expressions;  // expression -> symbol
  std::string image;       // what gets loaded: the cubin, or the PTX for compute_XY
  bool image_is_ptx = false;
  bool binary_only = false;  // a cubin or fatbin loaded as is: no PTX, parameters known by size alone
  double compile_ms = 0;
  std::shared_ptr<cache::TieredStore> store;  // reads a hit's PTX and log when asked for

  /// Compiles this module's source again with one more name expression (a template
  /// instantiation asked for by name); empty when the engine is gone or for linked modules.
  std::function<std::shared_ptr<const ModuleState>(const std::string& expression)> instantiate;
  mutable std::map<std::string, std::shared_ptr<const ModuleState>> instantiated;

  ModuleState() = default;
  ModuleState(const ModuleState&) = delete;
  ModuleState& operator=(const ModuleState&) = delete;
  ~ModuleState();

  /// The PTX: kept since compile, or read (and checked) from the cache entry.
  std::string ptx() const;
  /// NVRTC's log: kept since compile, or read (and checked) from the cache entry.
  const std::string& log() const;
  /// Loaded on first call (cubin first, PTX if the cubin does not fit this GPU).
  LibraryHandle library() const;
  /// The driver's handle for kernels[index], looked up once.
  KernelHandle kernel_handle(std::size_t index) const;

  mutable std::string ptx_text;  // filled on compile or by ptx()
  mutable std::string log_text;  // filled on compile or by log()
  mutable bool log_known = false;
  mutable std::mutex mutex;
  mutable LibraryHandle loaded = nullptr;
  mutable std::unique_ptr<std::atomic<KernelHandle>[]> handles;
};

struct KernelState {
  std::shared_ptr<const ModuleState> module;
  std::size_t index = 0;
  const KernelRecord& record() const { return module->kernels[index]; }
  /// The argument-type list last found to match: a repeat launch with the same types skips the check.
  mutable std::atomic<const ArgInfo*> last_matched{nullptr};
  /// Dynamic shared memory the kernel is allowed so far (48 KiB without the opt-in).
  mutable std::atomic<std::uint32_t> shared_allowed{48 * 1024};
};

}  // namespace jitcu::detail
