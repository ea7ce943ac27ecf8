#pragma once
// Builds template instantiation names from C++ types, so nobody spells "unsigned long long".
#include <jitcu/arguments.hpp>

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

namespace jitcu {

/// A C++ type standing in a template argument list; make one with type<T>().
struct TypeArg {
  std::string_view name;  ///< how CUDA C++ spells the type
};

/// How CUDA C++ spells T: "float", "unsigned int", "long long", ...; a class type by its name.
template <class T>
constexpr std::string_view cuda_type_name() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>) return "bool";
  else if constexpr (std::is_same_v<U, char>) return "char";
  else if constexpr (std::is_same_v<U, signed char>) return "signed char";
  else if constexpr (std::is_same_v<U, unsigned char>) return "unsigned char";
  else if constexpr (std::is_same_v<U, short>) return "short";
  else if constexpr (std::is_same_v<U, unsigned short>) return "unsigned short";
  else if constexpr (std::is_same_v<U, int>) return "int";
  else if constexpr (std::is_same_v<U, unsigned>) return "unsigned int";
  else if constexpr (std::is_same_v<U, long>) return "long";
  else if constexpr (std::is_same_v<U, unsigned long>) return "unsigned long";
  else if constexpr (std::is_same_v<U, long long>) return "long long";
  else if constexpr (std::is_same_v<U, unsigned long long>) return "unsigned long long";
  else if constexpr (std::is_same_v<U, float>) return "float";
  else if constexpr (std::is_same_v<U, double>) return "double";
  else return detail::type_name<U>();
}

/// type<float>() in a template_name argument list.
template <class T>
constexpr TypeArg type() {
  return {cuda_type_name<T>()};
}

namespace detail {
inline std::string template_argument(TypeArg arg) { return std::string(arg.name); }
inline std::string template_argument(bool value) { return value ? "true" : "false"; }
template <std::integral I>
std::string template_argument(I value) {
  return std::to_string(value);
}
inline std::string template_argument(std::string_view text) { return std::string(text); }
inline std::string template_argument(const char* text) { return text; }
}  // namespace detail

/// "scale<float, 256>" from template_name("scale", type<float>(), 256).
template <class... Args>
std::string template_name(std::string_view base, const Args&... args) {
  std::string name(base);
  name += '<';
  bool first = true;
  ((name += (first ? "" : ", ") + detail::template_argument(args), first = false), ...);
  name += '>';
  return name;
}

}  // namespace jitcu
