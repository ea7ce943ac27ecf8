#pragma once
// Reductions from map, reduce and post expressions, like PyCUDA's and CuPy's ReductionKernel:
// one pass over the input, deterministic, any n; generated and cached through the engine.
#include <jitcu/engine.hpp>
#include <jitcu/kernels/detail/args.hpp>
#include <jitcu/kernels/detail/generated.hpp>
#include <jitcu/kernels/type_names.hpp>
#include <jitcu/memory.hpp>
#include <jitcu/options.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace jitcu::kernels {

/// What a reduction computes: post(reduce(map(0), map(1), ..., map(n-1))), in reduce_type.
/// `{.params = "const __half* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
///   .reduce_type = "float"}` sums halves into a float.
struct ReductionSpec {
  /// The inputs as CUDA C++ ("const T* x, const T* y"); jitcu adds the output and n.
  std::string params{};
  /// The value of element i, converted to reduce_type: "x[i] * y[i]"; `i`, `n` are long long.
  std::string map{};
  /// Combines two partial results `a` and `b` (reduce_type): "a + b", "max(a, b)". Must be
  /// associative and commutative; the order is fixed, so results repeat bit for bit.
  std::string reduce{};
  /// The neutral element of reduce: "0", "-INFINITY"; also the result for n = 0.
  std::string neutral{};
  /// The final value from the total `a` (and n): "sqrt(a)", "a / n"; empty: "a".
  std::string post{};
  /// The type partial results have: "float", "long long", or a placeholder.
  std::string reduce_type{};
  /// The result's type; empty: reduce_type.
  std::string output_type{};
  /// Code placed ahead of the kernel: `#include` lines, __device__ helpers, structs.
  std::string preamble{};
  /// The kernel's name (a C identifier).
  std::string name = "reduction";
  /// Placeholder types: {bind<float>("T")}.
  TypeMap types{};
  /// NVRTC options.
  CompileOptions options{};
  /// Threads per block (a multiple of 32); 1024 measured best for sums on an H100.
  std::uint32_t block = 1024;
  /// Most blocks (partial results) a launch uses; 0: chosen per device.
  std::uint32_t max_blocks = 0;
};

/// A generated reduction. One kernel launch: each block reduces a grid-stride share of the
/// input (16-byte loads where it can), the last block to finish combines the blocks' partial
/// results in block order and writes post(total). Keeps a small scratch buffer on the device
/// (allocated at the first launch), so launch one reduction object from one stream at a time.
class Reduction {
 public:
  /// Generates and compiles (a cache hit runs no NVRTC). Throws Error for a malformed spec,
  /// CompileError quoting the part of the spec at fault.
  Reduction(Engine& engine, ReductionSpec spec);

  /// Reduces over i in [0, n) into out[0] (a DeviceBuffer or device pointer of output_type) on
  /// the default stream; asynchronous. `args` follow `params`; a mismatch throws ArgumentError.
  template <class Out, class... Args>
  void operator()(std::uint64_t n, const Out& out, const Args&... args) const {
    launch(n, nullptr, out, args...);
  }

  /// As operator(), on `stream`.
  template <class Out, class... Args>
  void launch(std::uint64_t n, StreamHandle stream, const Out& out, const Args&... args) const {
    const auto views = detail::views_of(args...);
    detail::check_args(generated_.label, generated_.params, views, n);
    detail::check_output(generated_.label, output_, detail::ArgViewOf<std::remove_cvref_t<Out>>::of(out));
    const Scratch& scratch = scratch_for_launch();
    generated_.kernel.launch(config_for(n, stream), args..., out, scratch.partials, scratch.counter,
                             static_cast<long long>(n));
  }

  /// Reduces and returns the result on the host (waits for the default stream). R must be
  /// output_type's host type (Half for __half).
  template <class R, class... Args>
  R value(std::uint64_t n, const Args&... args) const {
    const auto views = detail::views_of(args...);
    detail::check_args(generated_.label, generated_.params, views, n);
    detail::check_output(generated_.label, output_, {true, scalar_type<R>(), 1, jitcu::detail::type_name<R>()});
    check_output_size(sizeof(R));
    const Scratch& scratch = scratch_for_launch();
    generated_.kernel.launch(config_for(n, nullptr), args..., scratch.result, scratch.partials, scratch.counter,
                             static_cast<long long>(n));
    R result;
    read_result(&result, sizeof(R));
    return result;
  }

  /// Throws ArgumentError if `args` would not fit the declared inputs for n elements.
  template <class... Args>
  void check(std::uint64_t n, const Args&... args) const {
    const auto views = detail::views_of(args...);
    detail::check_args(generated_.label, generated_.params, views, n);
    generated_.kernel.check(args..., DevicePtr{}, DevicePtr{}, DevicePtr{}, static_cast<long long>(n));
  }

  /// The launch shape for n elements.
  LaunchConfig config_for(std::uint64_t n, StreamHandle stream = nullptr) const;
  /// The compiled kernel: `params`, then output, partials, counter, n.
  const Kernel& kernel() const { return generated_.kernel; }
  /// The module the kernel is in.
  const Module& module() const { return generated_.module; }
  /// The generated CUDA C++, as kept in the cache entry's source.cu.
  const std::string& source() const { return generated_.source; }
  /// Elements a thread reads per vector step; 1 when nothing is vectorized.
  int vector_width() const { return vector_width_; }
  /// Bytes of reduce_type on the device.
  std::uint32_t reduce_type_bytes() const { return reduce_bytes_; }
  /// Bytes of output_type on the device.
  std::uint32_t output_type_bytes() const { return output_bytes_; }

  /// The CUDA C++ that the constructor would compile, without compiling it.
  static std::string generate(const ReductionSpec& spec);

 private:
  struct Scratch {
    DevicePtr partials = 0;  // one reduce_type per block
    DevicePtr counter = 0;   // blocks finished; the last block sets it back to 0
    DevicePtr result = 0;    // one output_type, for value()
  };
  struct ScratchState;
  detail::GeneratedKernel generated_;
  detail::DeclaredParam output_;
  std::uint32_t block_;
  std::uint32_t max_blocks_;
  int vector_width_;
  std::uint32_t reduce_bytes_;
  std::uint32_t output_bytes_;
  std::shared_ptr<ScratchState> scratch_;

  Reduction(detail::GeneratedKernel generated, const ReductionSpec& spec, int vector_width);
  const Scratch& scratch_for_launch() const;
  void check_output_size(std::size_t host_bytes) const;
  void read_result(void* host, std::size_t bytes) const;
};

}  // namespace jitcu::kernels
