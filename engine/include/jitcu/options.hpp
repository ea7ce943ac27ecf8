#pragma once
// What to compile with: defines, include folders, standard, target, raw NVRTC options.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace jitcu {

/// A header given as text rather than as a file, e.g. one a program carries inside itself or
/// one jitify2 preprocessed: an include of `"name"` or `<name>` finds it before any folder.
struct HeaderText {
  /// The name include lines use, matched exactly: "my/util.cuh" (not "./my/util.cuh").
  std::string name{};
  /// The header's contents; part of the cache key (by its SHA-256).
  std::string text{};
  /// Equal name and text.
  bool operator==(const HeaderText&) const = default;
};

/// Options for one compile; designated initializers read well:
/// `engine.compile(src, {.defines = {{"BLOCK", "256"}}, .arch = "sm_90"})`.
// Every field has a default initializer so designated initializers stay warning-free (-Wextra).
struct CompileOptions {
  /// -D NAME=VALUE (an empty value gives -D NAME). Order between names does not matter.
  std::vector<std::pair<std::string, std::string>> defines{};
  /// -I folders, searched in order after the including file's folder. Standard headers that
  /// none of them holds (`<cstdint>`, `<type_traits>`, `<cfloat>`...) come from jitcu, built on libcu++.
  std::vector<std::string> include_dirs{};
  /// Headers given as text, found by their exact names before the including file's folder and
  /// the -I folders; their order does not matter, a name may appear once. Part of the cache key.
  std::vector<HeaderText> headers{};
  /// Language standard: "c++17" (default), "c++20", "c++14", "c++11", "c++03".
  std::string std = "c++17";
  /// "sm_90" (PTX and cubin), "compute_90" (PTX only, the driver JIT-compiles it), or empty:
  /// the engine's device, else $JITCU_ARCH, else sm_90 when there is no GPU.
  std::string arch{};
  /// C++ names to instantiate and keep, e.g. "scale<float>", "ns::k<int, 4>"; look them up
  /// with Module::kernel by the same text.
  std::vector<std::string> name_expressions{};
  /// Raw NVRTC options passed through, e.g. "-ftz=true", "--use_fast_math", "-lineinfo".
  std::vector<std::string> extra{};
  /// Relocatable device code (-rdc=true), linked with nvJitLink; part of the cache key.
  bool relocatable_device_code = false;
  /// Links the device runtime too, for kernels that launch kernels; implies relocatable_device_code.
  bool device_runtime = false;
  /// Cancels the NVRTC run if it takes longer than this (0: no limit); throws CompileCancelled.
  /// Not part of the cache key.
  std::chrono::milliseconds time_limit{0};
  /// Set to true from any thread to cancel a running compile (CompileCancelled). Not part of
  /// the cache key.
  std::shared_ptr<const std::atomic<bool>> cancel{};
};

/// How Engine::link joins separately compiled sources (with nvJitLink).
struct LinkOptions {
  /// Link-time optimization: sources compile to LTO IR (-dlto) and are optimized together.
  bool lto = false;
  /// Links libcudadevrt.a, for kernels that launch kernels (dynamic parallelism).
  bool device_runtime = false;
};

}  // namespace jitcu
