#pragma once
// A kernel found in a Module, and its checked, typed launch.
#include <jitcu/argument_list.hpp>
#include <jitcu/arguments.hpp>
#include <jitcu/launch.hpp>

#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace jitcu {

/// One kernel parameter as the compiled code declares it (from the PTX .entry signature).
struct ParamInfo {
  std::uint32_t size_bytes = 0;       ///< bytes the parameter takes
  ValueKind kind = ValueKind::bytes;  ///< integer, float, pointer or bytes (a struct)
  std::string ptx_type;               ///< ".u32", ".f32", ".u64", ".b8[12]", ...
};

/// One kernel parameter as a host program building an ArgumentList needs it.
struct KernelParameter {
  ValueKind kind = ValueKind::bytes;  ///< integer, floating (PTX .f32/.f64) or bytes (a struct by value)
  std::uint32_t size_bytes = 0;       ///< the parameter's size
  std::uint32_t alignment = 0;        ///< bytes; a struct's is its alignof in the kernel
  std::string ptx_type;               ///< ".u32", ".f32", ".u64" (also pointers), ".b8[12]"
};

/// What the driver says about a kernel on the current device.
struct KernelAttributes {
  int registers = 0;                 ///< per thread
  int static_shared_bytes = 0;       ///< __shared__ arrays, per block
  int local_bytes = 0;               ///< per thread (spills, stack arrays)
  int const_bytes = 0;               ///< __constant__ memory the kernel uses
  int max_threads_per_block = 0;     ///< after registers and __launch_bounds__
  int ptx_version = 0;               ///< e.g. 90 for PTX ISA 9.0
  int binary_version = 0;            ///< e.g. 90 for sm_90
  int max_dynamic_shared_bytes = 0;  ///< currently allowed; launches raise it as needed
};

namespace detail {
struct KernelState;
/// True for a pack of one ArgumentList, which Kernel takes through its own overloads.
template <class... Args>
constexpr bool is_argument_list = (std::is_same_v<std::remove_cvref_t<Args>, ArgumentList> || ...);
/// RAII pair of events around a launch, for Kernel::launch_timed.
class LaunchTimer {
 public:
  explicit LaunchTimer(StreamHandle stream);
  ~LaunchTimer();
  LaunchTimer(const LaunchTimer&) = delete;
  LaunchTimer& operator=(const LaunchTimer&) = delete;
  /// Records the end, waits for it, and returns the milliseconds between.
  float stop();

 private:
  StreamHandle stream_;
  void* start_;
  void* end_;
};
}  // namespace detail

/// A kernel found in a Module; cheap to copy, keeps the Module's code loaded.
class Kernel {
 public:
  /// Checks args against the kernel's parameters, then launches; asynchronous unless an
  /// in/out/inout range is passed (then it waits and copies the results back).
  template <class... Args>
    requires(!detail::is_argument_list<Args...>)
  void launch(Dim3 grid, Dim3 block, Args&&... args) const {
    launch(LaunchConfig{grid, block, 0, nullptr}, std::forward<Args>(args)...);
  }

  /// As above, with dynamic shared memory and a stream.
  template <class... Args>
    requires(!detail::is_argument_list<Args...>)
  void launch(const LaunchConfig& config, Args&&... args) const {
    using Pack = detail::ArgPack<std::remove_cvref_t<Args>...>;
    check_arguments(Pack::infos);  // before anything is allocated or copied
    if constexpr (Pack::stages) {
      detail::HostStaging staging;
      Pack pack(&staging, args...);
      staging.upload(config.stream);
      launch_packed(config, pack.slots.data());
      staging.download(config.stream);
    } else {
      Pack pack(nullptr, args...);
      launch_packed(config, pack.slots.data());
    }
  }

  /// Launches and waits; returns the kernel's time in milliseconds (CUDA events around it,
  /// like PyCUDA's time_kernel=True).
  template <class... Args>
  float launch_timed(const LaunchConfig& config, Args&&... args) const {
    check(args...);
    detail::LaunchTimer timer(config.stream);
    launch(config, std::forward<Args>(args)...);
    return timer.stop();
  }

  /// Throws ArgumentError if these argument types would not match the parameters.
  template <class... Args>
    requires(!detail::is_argument_list<Args...>)
  void check(const Args&...) const {
    check_arguments(detail::ArgPack<std::remove_cvref_t<Args>...>::infos);
  }

  /// Checks a run-time argument list as a typed launch checks its pack, then launches; asynchronous.
  void launch(const LaunchConfig& config, const ArgumentList& args) const;
  /// As above, on the default stream without dynamic shared memory.
  void launch(Dim3 grid, Dim3 block, const ArgumentList& args) const {
    launch(LaunchConfig{grid, block, 0, nullptr}, args);
  }
  /// Throws ArgumentError, naming the parameter, if `args` would not match the parameters.
  void check(const ArgumentList& args) const;

  /// The symbol in the compiled code (mangled for C++ kernels).
  const std::string& symbol() const;
  /// The readable name: "scale<float>", "ns::k<int, 4>", or the extern "C" name.
  const std::string& name() const;
  /// The full signature, "fill(float*, float, int)"; an extern "C" kernel's is its name.
  std::string signature() const;
  /// The parameters, from the compiled code.
  const std::vector<ParamInfo>& params() const;
  /// The parameters with their kind, size and alignment, to build an ArgumentList from (reads
  /// the PTX once after a disk-cache hit when a parameter is a struct).
  std::vector<KernelParameter> parameters() const;

  /// Registers, memory, limits and versions on the current device (loads the code).
  KernelAttributes attributes() const;
  /// How many blocks of `block_threads` fit on one multiprocessor at once.
  int max_active_blocks_per_sm(std::uint32_t block_threads, std::uint32_t shared_bytes = 0) const;
  /// The block size that maximizes occupancy (cuOccupancyMaxPotentialBlockSize).
  std::uint32_t suggested_block_size(std::uint32_t shared_bytes = 0) const;
  /// A one-thread-per-element launch over `n` elements with the occupancy-suggested block.
  LaunchConfig config_for(std::uint64_t n, std::uint32_t shared_bytes = 0) const;
  /// For grid-stride kernels: as many blocks as can be resident at once, but no more than
  /// `n` elements need.
  LaunchConfig config_for_grid_stride(std::uint64_t n, std::uint32_t shared_bytes = 0) const;

  /// Launches with a ready parameter buffer (one pointer per parameter); no argument check.
  void launch_packed(const LaunchConfig& config, void** params) const;

  /// For Module: a kernel over its resolved state. Users get kernels from Module::kernel.
  explicit Kernel(std::shared_ptr<const detail::KernelState> state);

 private:
  void check_arguments(std::span<const ArgInfo> args) const;
  void check_each_argument(std::span<const ArgInfo> args) const;
  template <std::size_t N>
  void check_arguments(const std::array<ArgInfo, N>& args) const {
    check_arguments(std::span<const ArgInfo>(args.data(), N));
  }
  std::shared_ptr<const detail::KernelState> state_;
};

}  // namespace jitcu
