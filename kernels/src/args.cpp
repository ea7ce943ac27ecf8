#include <jitcu/error.hpp>
#include <jitcu/kernels/detail/args.hpp>

#include <limits>

#include <fmt/format.h>

namespace jitcu::kernels::detail {
namespace {

std::string_view spelled(ScalarType type) {
  switch (type) {
    case ScalarType::void_: return "void";
    case ScalarType::bool_: return "bool";
    case ScalarType::i8: return "signed char";
    case ScalarType::u8: return "unsigned char";
    case ScalarType::i16: return "short";
    case ScalarType::u16: return "unsigned short";
    case ScalarType::i32: return "int";
    case ScalarType::u32: return "unsigned int";
    case ScalarType::i64: return "long long";
    case ScalarType::u64: return "unsigned long long";
    case ScalarType::f16: return "__half";
    case ScalarType::bf16: return "__nv_bfloat16";
    case ScalarType::f32: return "float";
    case ScalarType::f64: return "double";
    case ScalarType::unknown: return "?";
  }
  return "?";
}

bool is_address_value(const ArgView& arg) {
  return !arg.pointer && (arg.element == ScalarType::u64 || arg.element == ScalarType::i64);
}

bool both_known(ScalarType a, ScalarType b) {
  return a != ScalarType::unknown && b != ScalarType::unknown && a != ScalarType::void_ && b != ScalarType::void_;
}

// Empty when `arg` fits `param`, else why not.
std::string mismatch(const DeclaredParam& param, const ArgView& arg, std::uint64_t n) {
  if (param.pointer) {
    if (is_address_value(arg)) return {};
    if (!arg.pointer)
      return fmt::format("is a pointer ({}) but got the value '{}'; pass a DeviceBuffer, a device pointer or an "
                         "in/out range", param.resolved, arg.type_name);
    if (both_known(param.element, arg.element) && param.element != arg.element)
      return fmt::format("points to {} ({}) but got '{}', whose elements are {}", spelled(param.element),
                         param.resolved, arg.type_name, spelled(arg.element));
    if (param.indexed_by_i && arg.count != k_unknown_count && arg.count < n)
      return fmt::format("is read or written at every i < n = {} but '{}' holds {} element(s)", n, arg.type_name,
                         arg.count);
    return {};
  }
  if (arg.pointer)
    return fmt::format("is a value ({}) but got the pointer '{}'", param.resolved, arg.type_name);
  if (both_known(param.element, arg.element) && param.element != arg.element)
    return fmt::format("is {} but got '{}' ({}); pass a {} value", param.resolved, arg.type_name,
                       spelled(arg.element), spelled(param.element));
  return {};
}

}  // namespace

void check_args(std::string_view generator, std::span<const DeclaredParam> params, std::span<const ArgView> args,
                std::uint64_t n) {
  if (n > static_cast<std::uint64_t>(std::numeric_limits<long long>::max()))
    throw ArgumentError(fmt::format("{}: n = {} does not fit the kernel's long long index; nothing was launched",
                                    generator, n));
  if (args.size() != params.size()) {
    std::string names;
    for (const auto& p : params) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", p.text);
    throw ArgumentError(fmt::format("{} takes {} argument(s) ({}) but the launch passed {}; nothing was launched",
                                    generator, params.size(), names.empty() ? "none" : names, args.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (auto why = mismatch(params[i], args[i], n); !why.empty())
      throw ArgumentError(fmt::format("{}: argument {} for parameter '{}' {}; nothing was launched", generator, i + 1,
                                      params[i].text, why));
  }
}

void check_output(std::string_view generator, const DeclaredParam& output, const ArgView& arg) {
  if (auto why = mismatch(output, arg, 1); !why.empty())
    throw ArgumentError(fmt::format("{}: the output '{}' {}; nothing was launched", generator, output.text, why));
}

}  // namespace jitcu::kernels::detail
