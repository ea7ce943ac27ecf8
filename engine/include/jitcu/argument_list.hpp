#pragma once
// Kernel arguments built at run time, for programs that learn a kernel's parameters and the
// values to pass only when they run (plugin hosts, harnesses, language bindings).
#include <jitcu/arguments.hpp>
#include <jitcu/interop.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace jitcu {

/// The scalar types an ArgumentList takes by name.
enum class ScalarType : std::uint8_t { i8, i16, i32, i64, u8, u16, u32, u64, f32, f64 };

/// "float", "f32", "int", "i32", "unsigned long long", "uint64_t", "size_t"...; nullopt if unknown.
std::optional<ScalarType> scalar_type_named(std::string_view name);
/// The C++ spelling of `type`, e.g. "float", "unsigned int".
std::string_view scalar_type_name(ScalarType type);
/// Bytes of one value of `type`.
std::size_t scalar_size(ScalarType type);
/// `text` ("2.5", "-3", "0x1f") read as a `type`, as the kernel will see it; throws
/// ArgumentError if it does not parse or does not fit the type.
std::vector<std::byte> scalar_bytes(ScalarType type, std::string_view text);

/// A kernel's arguments, added one by one at run time; Kernel::launch(config, list) checks them
/// against the kernel's parameters exactly as a typed launch does. Copies every value in.
class ArgumentList {
 public:
  /// A value as a typed launch takes it: a scalar, enum, struct, raw pointer, DevicePtr,
  /// DeviceBuffer (its address now), texture or surface object. Not in/out/inout ranges.
  template <class T>
  ArgumentList& add(const T& value) {
    using Traits = detail::ArgTraits<std::remove_cvref_t<T>>;
    static_assert(!Traits::stages, "in/out/inout ranges copy around a launch: pass a DeviceBuffer instead");
    DevicePtr converted = 0;
    const void* bytes = Traits::bind(value, converted, nullptr);
    return append(bytes, Traits::info, alignof(std::remove_cvref_t<T>));
  }
  /// A scalar of `type` written as text; throws ArgumentError if it does not parse or fit.
  ArgumentList& add_scalar(ScalarType type, std::string_view text);
  /// A device address, where the kernel takes a pointer.
  ArgumentList& add_pointer(DevicePtr address);
  /// A struct passed by value as raw bytes: `alignment` (a power of two) as in the kernel's
  /// parameter (Kernel::parameters()); the check compares the size.
  ArgumentList& add_bytes(std::span<const std::byte> bytes, std::size_t alignment);

  /// How many arguments were added.
  std::size_t size() const { return infos_.size(); }
  /// What the check sees of each argument: size, kind and a type name.
  std::span<const ArgInfo> infos() const { return infos_; }
  /// One pointer per argument, into this list, as cuLaunchKernel takes them; valid until the
  /// list changes.
  std::vector<void*> pointers() const;
  /// Removes every argument.
  void clear();

 private:
  ArgumentList& append(const void* bytes, ArgInfo info, std::size_t alignment);
  std::vector<ArgInfo> infos_;
  std::vector<std::size_t> offsets_;
  std::vector<std::max_align_t> storage_;  // max_align_t units: every value sits aligned
  std::size_t used_bytes_ = 0;
};

}  // namespace jitcu
