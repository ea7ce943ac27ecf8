#pragma once
// How the generators see launch arguments, and their check against the declared parameters.
// Stricter than the engine's size check: a DeviceBuffer<double> for `float* x` is an error.
#include <jitcu/arguments.hpp>
#include <jitcu/kernels/type_names.hpp>
#include <jitcu/memory.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace jitcu::kernels::detail {

/// Element count when a pointer argument does not say how many elements it has.
inline constexpr std::size_t k_unknown_count = std::numeric_limits<std::size_t>::max();

/// One launch argument as the generators' check sees it.
struct ArgView {
  bool pointer = false;                   // a device address: DeviceBuffer<T>, T*, in/out range
  ScalarType element = ScalarType::unknown;  // the pointee, or the value's own type
  std::size_t count = k_unknown_count;    // elements behind a DeviceBuffer or host range
  std::string_view type_name;             // the C++ type, for messages
};

/// Scalars and structs passed by value.
template <class T>
struct ArgViewOf {
  static ArgView of(const T&) { return {false, scalar_type<T>(), k_unknown_count, jitcu::detail::type_name<T>()}; }
};
template <class T>
struct ArgViewOf<T*> {
  static ArgView of(T*) { return {true, scalar_type<T>(), k_unknown_count, jitcu::detail::type_name<T*>()}; }
};
template <class T>
struct ArgViewOf<DeviceBuffer<T>> {
  static ArgView of(const DeviceBuffer<T>& buffer) {
    return {true, scalar_type<T>(), buffer.size(), jitcu::detail::type_name<DeviceBuffer<T>>()};
  }
};
template <class T, Transfer direction>
struct ArgViewOf<HostArg<T, direction>> {
  static ArgView of(const HostArg<T, direction>& range) {
    return {true, scalar_type<T>(), range.count, jitcu::detail::type_name<T*>()};
  }
};

/// The views of a pack of launch arguments.
template <class... Args>
std::array<ArgView, sizeof...(Args)> views_of(const Args&... args) {
  return {ArgViewOf<std::remove_cvref_t<Args>>::of(args)...};
}

/// A declared parameter, resolved: what the check compares an argument with.
struct DeclaredParam {
  std::string text;        // as the user wrote it: "const T* x"
  std::string name;        // "x"
  std::string resolved;    // with placeholders bound: "const float*"
  bool pointer = false;
  ScalarType element = ScalarType::unknown;  // pointee or value type; unknown: not checked
  bool indexed_by_i = false;  // only ever used as name[i]: must hold at least n elements
};

/// Throws ArgumentError naming the generator, the parameter and what was passed when `args`
/// do not fit `params`: count, pointer vs value, element type (when both are known), and
/// for parameters indexed by i, a DeviceBuffer or host range shorter than `n`. A 64-bit
/// integer (a DevicePtr) is accepted for any pointer; n must fit a long long.
void check_args(std::string_view generator, std::span<const DeclaredParam> params,
                std::span<const ArgView> args, std::uint64_t n);

/// Throws ArgumentError unless `arg` can receive the result: a pointer (or DevicePtr) to
/// output's element type, with room for at least one element.
void check_output(std::string_view generator, const DeclaredParam& output, const ArgView& arg);

}  // namespace jitcu::kernels::detail
