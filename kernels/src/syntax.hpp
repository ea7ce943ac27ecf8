#pragma once
// Just enough C++ reading for the generators: parameter lists, and how code uses a name.
#include <cstdint>
#include <jitcu/kernels/detail/args.hpp>
#include <jitcu/kernels/type_names.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace jitcu::kernels::detail {

/// One token of C++ code; comments and whitespace are skipped, literals are one token.
struct Token {
  enum class Kind { identifier, number, literal, punct } kind;
  std::string_view text;
};

/// The tokens of `code` (a rough lexer: enough to find names, brackets and assignments).
std::vector<Token> tokenize(std::string_view code);

/// True for a C identifier: [A-Za-z_][A-Za-z0-9_]*.
bool is_identifier(std::string_view text);

/// One parameter of a user's list, split and resolved.
struct ParsedParam {
  std::string text;        // trimmed, as written: "const T* __restrict__ x"
  std::string type;        // "const T* __restrict__"
  std::string name;        // "x"
  std::string base;        // the type without qualifiers and '*': "T"
  std::string resolved;    // base with placeholders bound: "float"
  int pointer_depth = 0;   // number of '*'
  bool pointee_const = false;  // const before the first '*'
  ScalarType element = ScalarType::unknown;  // of `resolved`
};

/// Splits "const T* x, float a" at top-level commas and resolves placeholders through
/// `types`. Throws Error (naming `label`) for an empty entry, a missing or reserved name, a
/// duplicate, references or arrays.
std::vector<ParsedParam> parse_params(std::string_view list, const TypeMap& types, std::string_view label);

/// `name` with placeholders bound through `types` (one level), whitespace normalized.
std::string resolve_type(std::string_view name, const TypeMap& types);

/// How a piece of code uses one name.
struct Use {
  bool used = false;           // the name appears at all
  bool only_indexed = true;    // every appearance is exactly name[i]
  bool read = false;           // some name[i] is read (or updated in place)
  bool written = false;        // some name[i] is assigned or updated
};

/// How `code` uses `name` (appearances after '.', '->' or '::' are other names).
Use use_of(std::string_view code, std::string_view name);

/// The checked form of a parsed parameter.
DeclaredParam declared(const ParsedParam& param, const Use& use);

/// Throws Error naming `label` and `what` unless `text` is non-empty after trimming.
void require_text(std::string_view text, std::string_view label, std::string_view what);

/// Throws Error unless `name` is a C identifier that does not start with "jitcu_".
void require_kernel_name(std::string_view name, std::string_view generator);

/// Checks the TypeMap: placeholder names are identifiers, types non-empty. Throws Error.
void require_types(const TypeMap& types, std::string_view label);
/// Throws Error unless `block` is a multiple of 32 from 32 to 1024.
void require_block(std::uint32_t block, std::string_view label);

/// `text` without leading and trailing whitespace.
std::string_view trim(std::string_view text);

}  // namespace jitcu::kernels::detail
