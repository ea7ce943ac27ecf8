#pragma once
// Kernel names: demangling and the readable forms Module::kernel accepts.
#include <string>
#include <string_view>

namespace jitcu::detail {

/// The demangled form of a symbol, or the symbol itself (extern "C" names).
std::string demangle(const std::string& symbol);
/// "void ns::k<int, 4>(int*, int)" -> "ns::k<int, 4>"; an extern "C" name stays as it is.
std::string qualified_name(std::string_view demangled);
/// "ns::k<int, 4>" -> "k".
std::string base_name(std::string_view qualified);
/// Removes spaces that do not separate two identifier characters: "k< int,4 >" -> "k<int,4>".
std::string squeeze_spaces(std::string_view name);

/// "void ns::k<int>(int*, float)" -> "ns::k<int>(int*, float)": the name and its parameter
/// list, without the return type; an extern "C" name (no parameter list) stays as it is.
std::string signature(std::string_view demangled);
/// A signature in one spelling, for comparing what a user typed with signature():
/// spaces squeezed, "const T*" as "T const*", a return type dropped.
std::string canonical_signature(std::string_view text);
/// Levenshtein distance, case-insensitive: how far a mistyped name is from a real one.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// Itanium mangling of a namespace-qualified variable name: "ns::x" -> "_ZN2ns1xE".
std::string mangle_qualified(std::string_view qualified);

}  // namespace jitcu::detail
