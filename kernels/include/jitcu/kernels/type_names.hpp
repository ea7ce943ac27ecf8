#pragma once
// C++ types as CUDA C++ spells them, host stand-ins for __half and __nv_bfloat16, and the
// placeholder bindings ("T" -> "float") that generators resolve their parameter lists with.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace jitcu::kernels {

/// Host-side stand-in for CUDA's __half: the same 16 bits; DeviceBuffer<Half> is a __half*.
struct Half {
  std::uint16_t bits = 0;  ///< the IEEE binary16 bits
  /// Equal bits (so +0 and -0 differ, and a NaN equals its own bits).
  friend bool operator==(Half, Half) = default;
};
/// Host-side stand-in for CUDA's __nv_bfloat16: the same 16 bits.
struct BFloat16 {
  std::uint16_t bits = 0;  ///< the bfloat16 bits: a float's upper half
  /// Equal bits (so +0 and -0 differ, and a NaN equals its own bits).
  friend bool operator==(BFloat16, BFloat16) = default;
};

/// `value` rounded to the nearest half (ties to even); overflow gives infinity, NaN stays NaN.
Half to_half(float value);
/// The exact float value of `value`.
float to_float(Half value);
/// `value` rounded to the nearest bfloat16 (ties to even); NaN stays NaN.
BFloat16 to_bfloat16(float value);
/// The exact float value of `value`.
float to_float(BFloat16 value);

/// The element types a generator can reason about (sizes for vector loads, argument checks).
enum class ScalarType : std::uint8_t {
  unknown,  // a class type, or a name jitcu does not know: no vectorization, no strict check
  void_,
  bool_,
  i8,
  u8,
  i16,
  u16,
  i32,
  u32,
  i64,
  u64,
  f16,
  bf16,
  f32,
  f64,
};

/// Bytes of one element of `type`; 0 for unknown and void.
constexpr std::size_t size_of(ScalarType type) {
  switch (type) {
    case ScalarType::bool_:
    case ScalarType::i8:
    case ScalarType::u8: return 1;
    case ScalarType::i16:
    case ScalarType::u16:
    case ScalarType::f16:
    case ScalarType::bf16: return 2;
    case ScalarType::i32:
    case ScalarType::u32:
    case ScalarType::f32: return 4;
    case ScalarType::i64:
    case ScalarType::u64:
    case ScalarType::f64: return 8;
    case ScalarType::unknown:
    case ScalarType::void_: return 0;
  }
  return 0;
}

/// How CUDA C++ spells T: "float", "unsigned int", "long long", "__half" for Half, ...;
/// empty for a type jitcu cannot name (a class of your own: spell it in the TypeMap).
template <class T>
constexpr std::string_view cuda_type() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, void>) return "void";
  else if constexpr (std::is_same_v<U, bool>) return "bool";
  else if constexpr (std::is_same_v<U, char>) return "char";
  else if constexpr (std::is_same_v<U, signed char>) return "signed char";
  else if constexpr (std::is_same_v<U, unsigned char>) return "unsigned char";
  else if constexpr (std::is_same_v<U, short>) return "short";
  else if constexpr (std::is_same_v<U, unsigned short>) return "unsigned short";
  else if constexpr (std::is_same_v<U, int>) return "int";
  else if constexpr (std::is_same_v<U, unsigned>) return "unsigned int";
  else if constexpr (std::is_same_v<U, long>) return sizeof(long) == 8 ? "long long" : "int";
  else if constexpr (std::is_same_v<U, unsigned long>) return sizeof(long) == 8 ? "unsigned long long" : "unsigned int";
  else if constexpr (std::is_same_v<U, long long>) return "long long";
  else if constexpr (std::is_same_v<U, unsigned long long>) return "unsigned long long";
  else if constexpr (std::is_same_v<U, float>) return "float";
  else if constexpr (std::is_same_v<U, double>) return "double";
  else if constexpr (std::is_same_v<U, Half>) return "__half";
  else if constexpr (std::is_same_v<U, BFloat16>) return "__nv_bfloat16";
  else return "";
}

/// The ScalarType a CUDA C++ type name denotes: "float", "int64_t", "unsigned", "__half",
/// "const float" (qualifiers ignored); unknown for anything else.
ScalarType scalar_type_of(std::string_view cuda_name);

/// The ScalarType of a host type (Half is f16); unknown for class types.
template <class T>
constexpr ScalarType scalar_type() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, void>) return ScalarType::void_;
  else if constexpr (std::is_same_v<U, bool>) return ScalarType::bool_;
  else if constexpr (std::is_same_v<U, Half>) return ScalarType::f16;
  else if constexpr (std::is_same_v<U, BFloat16>) return ScalarType::bf16;
  else if constexpr (std::is_same_v<U, float>) return ScalarType::f32;
  else if constexpr (std::is_same_v<U, double>) return ScalarType::f64;
  else if constexpr (std::is_integral_v<U>) {
    constexpr bool is_signed = std::is_signed_v<U>;
    if constexpr (sizeof(U) == 1) return is_signed ? ScalarType::i8 : ScalarType::u8;
    else if constexpr (sizeof(U) == 2) return is_signed ? ScalarType::i16 : ScalarType::u16;
    else if constexpr (sizeof(U) == 4) return is_signed ? ScalarType::i32 : ScalarType::u32;
    else if constexpr (sizeof(U) == 8) return is_signed ? ScalarType::i64 : ScalarType::u64;
    else return ScalarType::unknown;
  } else {
    return ScalarType::unknown;
  }
}

/// Placeholder name -> CUDA type name, e.g. {{"T", "float"}, {"I", "int"}}; generators emit
/// `typedef float T;` ahead of the user's code, so T works in parameters, code and preamble.
using TypeMap = std::vector<std::pair<std::string, std::string>>;

/// One TypeMap entry from a C++ type: `.types = {bind<float>("T"), bind<Half>("H")}`.
template <class T>
std::pair<std::string, std::string> bind(std::string placeholder) {
  static_assert(!cuda_type<T>().empty(), "jitcu cannot name this type in CUDA: write {\"T\", \"MyType\"} instead");
  return {std::move(placeholder), std::string(cuda_type<T>())};
}

}  // namespace jitcu::kernels
