#pragma once
// Elementwise kernels from a parameter list and an operation, like PyCUDA's and CuPy's
// ElementwiseKernel: generated, compiled and cached through the engine, launched checked.
#include <jitcu/engine.hpp>
#include <jitcu/kernels/detail/args.hpp>
#include <jitcu/kernels/detail/generated.hpp>
#include <jitcu/kernels/type_names.hpp>
#include <jitcu/options.hpp>

#include <cstdint>
#include <string>

namespace jitcu::kernels {

/// What an elementwise kernel does. Designated initializers read well:
/// `{.params = "const T* x, T* y, T a", .operation = "y[i] = a * x[i] + y[i]", .types = {bind<float>("T")}}`
struct ElementwiseSpec {
  /// The kernel's parameters as CUDA C++ ("float* a, const T* b, T alpha"); jitcu adds n last.
  std::string params{};
  /// Statements run once for each i in [0, n), e.g. "c[i] = a[i] * b[i]"; `i` and `n` are
  /// long long. A pointer used only as p[i] gets 16-byte vector loads and stores.
  std::string operation{};
  /// Code placed ahead of the kernel: `#include` lines, __device__ helper functions, structs.
  std::string preamble{};
  /// The kernel's name (a C identifier): shown in errors, `jitcu cache ls` and profilers.
  std::string name = "elementwise";
  /// Placeholder types used in params, operation or preamble: {bind<float>("T")}.
  TypeMap types{};
  /// NVRTC options: arch, defines, "-use_fast_math", ...
  CompileOptions options{};
  /// Threads per block.
  std::uint32_t block = 256;
  /// Most blocks a launch uses (a grid-stride loop covers the rest); 0: chosen per device.
  std::uint32_t max_blocks = 0;
};

/// A generated elementwise kernel; cheap to copy, keeps its module loaded.
class Elementwise {
 public:
  /// Generates the kernel and compiles it through `engine` (a cache hit runs no NVRTC).
  /// Throws Error for a malformed spec, CompileError that quotes the part of the spec at fault.
  Elementwise(Engine& engine, ElementwiseSpec spec);

  /// Runs the operation for every i in [0, n) on the default stream; asynchronous unless an
  /// in/out host range is passed. `args` follow `params`; a mismatch throws ArgumentError.
  template <class... Args>
  void operator()(std::uint64_t n, const Args&... args) const {
    launch(n, nullptr, args...);
  }

  /// As operator(), on `stream`.
  template <class... Args>
  void launch(std::uint64_t n, StreamHandle stream, const Args&... args) const {
    const auto views = detail::views_of(args...);
    detail::check_args(generated_.label, generated_.params, views, n);
    if (n == 0) return generated_.kernel.check(args..., 0LL);
    generated_.kernel.launch(config_for(n, stream), args..., static_cast<long long>(n));  // checks too
  }

  /// Throws ArgumentError if `args` would not fit the declared parameters for n elements:
  /// count, value vs pointer, element types, and buffers indexed by i shorter than n.
  template <class... Args>
  void check(std::uint64_t n, const Args&... args) const {
    const auto views = detail::views_of(args...);
    detail::check_args(generated_.label, generated_.params, views, n);
    generated_.kernel.check(args..., static_cast<long long>(n));
  }

  /// The launch shape for n elements: vector steps over block-sized blocks, bounded grid.
  LaunchConfig config_for(std::uint64_t n, StreamHandle stream = nullptr) const;
  /// The compiled kernel; its parameters are `params` then `long long n`.
  const Kernel& kernel() const { return generated_.kernel; }
  /// The module (cache entry, PTX, origin).
  const Module& module() const { return generated_.module; }
  /// The generated CUDA C++, as kept in the cache entry's source.cu.
  const std::string& source() const { return generated_.source; }
  /// Elements a thread handles per vector step; 1 when nothing is vectorized.
  int vector_width() const { return vector_width_; }

  /// The CUDA C++ that the constructor would compile, without compiling it.
  static std::string generate(const ElementwiseSpec& spec);

 private:
  detail::GeneratedKernel generated_;
  std::uint32_t block_;
  std::uint32_t max_blocks_;
  int vector_width_;
  Elementwise(detail::GeneratedKernel generated, const ElementwiseSpec& spec, int vector_width);
};

}  // namespace jitcu::kernels
