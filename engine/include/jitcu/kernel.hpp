#pragma once
// A kernel found in a Module, and its checked, typed launch.
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
  std::uint32_t size_bytes = 0;
  ValueKind kind = ValueKind::bytes;
  std::string ptx_type;  // ".u32", ".f32", ".u64", ".b8[12]", ...
};

namespace detail {
struct KernelState;
}

/// A kernel found in a Module; cheap to copy, keeps the Module's code loaded.
class Kernel {
 public:
  /// Checks args against the kernel's parameters, then launches; asynchronous unless an
  /// in/out/inout range is passed (then it waits and copies the results back).
  template <class... Args>
  void launch(Dim3 grid, Dim3 block, Args&&... args) const {
    launch(LaunchConfig{grid, block, 0, nullptr}, std::forward<Args>(args)...);
  }

  /// As above, with dynamic shared memory and a stream.
  template <class... Args>
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

  /// Throws ArgumentError if these argument types would not match the parameters.
  template <class... Args>
  void check(const Args&...) const {
    check_arguments(detail::ArgPack<std::remove_cvref_t<Args>...>::infos);
  }

  /// The symbol in the compiled code (mangled for C++ kernels).
  const std::string& symbol() const;
  /// The readable name: "scale<float>", "ns::k<int, 4>", or the extern "C" name.
  const std::string& name() const;
  /// The parameters, from the compiled code.
  const std::vector<ParamInfo>& params() const;

  /// Launches with a ready parameter buffer (one pointer per parameter); no argument check.
  void launch_packed(const LaunchConfig& config, void** params) const;

  explicit Kernel(std::shared_ptr<const detail::KernelState> state);

 private:
  void check_arguments(std::span<const ArgInfo> args) const;
  template <std::size_t N>
  void check_arguments(const std::array<ArgInfo, N>& args) const {
    check_arguments(std::span<const ArgInfo>(args.data(), N));
  }
  std::shared_ptr<const detail::KernelState> state_;
};

}  // namespace jitcu
