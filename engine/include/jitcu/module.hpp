#pragma once
// The result of one compile: its kernels, its PTX, and where the cache keeps it.
#include <jitcu/kernel.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jitcu {

namespace detail {
struct ModuleState;
}

/// Where a compile's result came from.
enum class Origin {
  compiled,        // NVRTC ran in this call
  disk_cache,      // loaded from the cache on disk, no NVRTC
  process_cache,   // this process had it already: no disk I/O
};

/// A compiled program; cheap to copy. Code is loaded into the driver on first launch.
class Module {
 public:
  /// The kernel named `name`: a name expression given at compile time ("scale<float>"), an
  /// extern "C" name, a mangled name, a demangled name ("ns::k<int, 4>") or an unambiguous
  /// base name ("k"). Throws KernelNotFound listing the kernels the module defines.
  Kernel kernel(std::string_view name) const;
  /// True when kernel(name) would find one.
  bool has_kernel(std::string_view name) const;
  /// The readable names of every kernel, sorted.
  std::vector<std::string> kernel_names() const;

  /// The PTX text (read from the cache on first use after a disk hit).
  std::string ptx() const;
  /// NVRTC's log of the compile (warnings, ptxas info); empty on hits.
  const std::string& log() const;
  /// The target, e.g. "sm_90" or "compute_90".
  const std::string& arch() const;
  /// The cache key, 64 hex digits.
  std::string cache_key() const;
  /// The entry's folder on disk; empty when the cache is in memory only.
  std::filesystem::path cache_path() const;
  /// Whether NVRTC ran, the disk cache served it, or this process had it.
  Origin origin() const;
  /// Milliseconds NVRTC took when this module was compiled (kept in the cache).
  double compile_ms() const;

  explicit Module(std::shared_ptr<const detail::ModuleState> state, Origin origin);

 private:
  std::shared_ptr<const detail::ModuleState> state_;
  Origin origin_;
};

}  // namespace jitcu
