#pragma once
// How launch arguments become a kernel's parameter buffer, and what is known of each.
#include <jitcu/interop.hpp>
#include <jitcu/memory.hpp>

#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

namespace jitcu {

/// What kind of value an argument or parameter is, as far as the check needs to know.
enum class ValueKind : std::uint8_t {
  integer,   // any integer or enum; PTX .u/.s/.b scalars
  floating,  // float, double; PTX .f32/.f64
  pointer,   // device address; PTX .u64 (also an integer)
  bytes,     // a struct passed by value; PTX .b8 arrays
};

/// One launch argument as the check sees it; built at compile time for each argument type.
struct ArgInfo {
  std::uint32_t size_bytes;    ///< sizeof the argument's type
  ValueKind kind;              ///< integer, float, pointer or bytes
  std::string_view type_name;  ///< the C++ type, for messages
};

namespace detail {

/// The C++ name of T, from the compiler's function signature (no RTTI).
template <class T>
constexpr std::string_view type_name() {
  std::string_view pretty = __PRETTY_FUNCTION__;
  const auto start = pretty.find("T = ") + 4;
  const auto end = pretty.find_first_of(";]", start);
  return pretty.substr(start, end - start);
}

/// Copies host ranges in before a launch and out after it; owns the temporary device memory.
class HostStaging {
 public:
  /// Allocates device memory for `bytes`, remembers what to copy; returns the device address.
  DevicePtr add(const void* host_in, void* host_out, std::size_t bytes);
  /// Copies every `in` range to the device, on `stream`.
  void upload(StreamHandle stream);
  /// Copies every `out` range back and waits for the stream.
  void download(StreamHandle stream);

 private:
  struct Staged {
    DeviceAllocation device;
    const void* host_in;
    void* host_out;
  };
  std::vector<Staged> staged_;
};

/// Default: a trivially copyable value passed by value (scalars, enums, structs).
template <class T, class = void>
struct ArgTraits {
  static_assert(std::is_trivially_copyable_v<T>,
                "a kernel argument must be trivially copyable (or a DeviceBuffer, pointer, in/out range)");
  static constexpr bool stages = false;
  static constexpr ArgInfo info{
      static_cast<std::uint32_t>(sizeof(T)),
      std::is_floating_point_v<T> ? ValueKind::floating
      : (std::is_integral_v<T> || std::is_enum_v<T>) ? ValueKind::integer
                                                     : ValueKind::bytes,
      type_name<T>()};
  static const void* bind(const T& value, DevicePtr&, HostStaging*) { return &value; }
};

/// A raw pointer (device or unified memory) is passed as a 64-bit address.
template <class T>
struct ArgTraits<T*> {
  static constexpr bool stages = false;
  static constexpr ArgInfo info{sizeof(DevicePtr), ValueKind::pointer, type_name<T*>()};
  static const void* bind(T* value, DevicePtr& slot, HostStaging*) {
    slot = static_cast<DevicePtr>(reinterpret_cast<std::uintptr_t>(value));
    return &slot;
  }
};

template <class T>
struct ArgTraits<DeviceBuffer<T>> {
  static constexpr bool stages = false;
  static constexpr ArgInfo info{sizeof(DevicePtr), ValueKind::pointer, type_name<DeviceBuffer<T>>()};
  static const void* bind(const DeviceBuffer<T>& buffer, DevicePtr&, HostStaging*) {
    return buffer.ptr_address();
  }
};

template <class T, Transfer direction>
struct ArgTraits<HostArg<T, direction>> {
  static constexpr bool stages = true;
  static constexpr ArgInfo info{sizeof(DevicePtr), ValueKind::pointer, type_name<T*>()};
  static const void* bind(const HostArg<T, direction>& arg, DevicePtr& slot, HostStaging* staging) {
    const void* host_in = direction == Transfer::out ? nullptr : arg.data;
    void* host_out = nullptr;
    if constexpr (direction != Transfer::in) host_out = arg.data;
    slot = staging->add(host_in, host_out, arg.count * sizeof(T));
    return &slot;
  }
};

/// The argument buffer of one launch: a pointer per parameter, as cuLaunchKernel wants.
template <class... Args>
struct ArgPack {
  static constexpr std::size_t count = sizeof...(Args);
  static constexpr std::array<ArgInfo, count> infos{ArgTraits<Args>::info...};
  static constexpr bool stages = (ArgTraits<Args>::stages || ...);

  std::array<void*, count + 1> slots{};       // +1: never a zero-sized array
  std::array<DevicePtr, count + 1> addresses{};  // storage for converted pointers

  explicit ArgPack([[maybe_unused]] HostStaging* staging, const Args&... args) {
    std::size_t i = 0;
    ((slots[i] = const_cast<void*>(ArgTraits<Args>::bind(args, addresses[i], staging)), ++i), ...);
  }
};

}  // namespace detail
}  // namespace jitcu
