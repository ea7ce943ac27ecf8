#include "syntax.hpp"

#include <jitcu/error.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include <fmt/format.h>

namespace jitcu::kernels::detail {
namespace {

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Longest first, so "<<=" wins over "<<" and "<".
constexpr std::array<std::string_view, 22> k_multi_char_puncts = {
    "<<=", ">>=", "->*", "...", "==", "!=", "<=", ">=", "+=", "-=", "*=",
    "/=",  "%=",  "&=",  "|=",  "^=", "++", "--", "->", "::", "&&", "||"};

std::size_t skip_literal(std::string_view code, std::size_t start) {
  const char quote = code[start];
  std::size_t at = start + 1;
  while (at < code.size() && code[at] != quote) at += code[at] == '\\' ? 2 : 1;
  return std::min(at + 1, code.size());
}

std::size_t skip_comment(std::string_view code, std::size_t start) {
  if (code[start + 1] == '/') {
    const auto end = code.find('\n', start);
    return end == std::string_view::npos ? code.size() : end;
  }
  const auto end = code.find("*/", start + 2);
  return end == std::string_view::npos ? code.size() : end + 2;
}

bool is_assignment(std::string_view punct) {
  static const std::set<std::string_view> compound = {"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="};
  return compound.contains(punct);
}

struct TypeEntry {
  std::string_view name;
  ScalarType type;
};

// Every spelling a parameter list is likely to use, qualifiers already removed.
constexpr std::array<TypeEntry, 52> k_type_names = {{
    {"void", ScalarType::void_},
    {"bool", ScalarType::bool_},
    {"char", ScalarType::i8},
    {"signed char", ScalarType::i8},
    {"int8_t", ScalarType::i8},
    {"unsigned char", ScalarType::u8},
    {"uint8_t", ScalarType::u8},
    {"short", ScalarType::i16},
    {"short int", ScalarType::i16},
    {"signed short", ScalarType::i16},
    {"int16_t", ScalarType::i16},
    {"unsigned short", ScalarType::u16},
    {"unsigned short int", ScalarType::u16},
    {"uint16_t", ScalarType::u16},
    {"int", ScalarType::i32},
    {"signed", ScalarType::i32},
    {"signed int", ScalarType::i32},
    {"int32_t", ScalarType::i32},
    {"unsigned", ScalarType::u32},
    {"unsigned int", ScalarType::u32},
    {"uint32_t", ScalarType::u32},
    {"long", ScalarType::i64},
    {"long int", ScalarType::i64},
    {"signed long", ScalarType::i64},
    {"long long", ScalarType::i64},
    {"long long int", ScalarType::i64},
    {"signed long long", ScalarType::i64},
    {"int64_t", ScalarType::i64},
    {"ptrdiff_t", ScalarType::i64},
    {"ssize_t", ScalarType::i64},
    {"unsigned long", ScalarType::u64},
    {"unsigned long int", ScalarType::u64},
    {"unsigned long long", ScalarType::u64},
    {"unsigned long long int", ScalarType::u64},
    {"uint64_t", ScalarType::u64},
    {"size_t", ScalarType::u64},
    {"float", ScalarType::f32},
    {"double", ScalarType::f64},
    {"__half", ScalarType::f16},
    {"half", ScalarType::f16},
    {"__nv_bfloat16", ScalarType::bf16},
    {"nv_bfloat16", ScalarType::bf16},
    {"std::int8_t", ScalarType::i8},
    {"std::uint8_t", ScalarType::u8},
    {"std::int16_t", ScalarType::i16},
    {"std::uint16_t", ScalarType::u16},
    {"std::int32_t", ScalarType::i32},
    {"std::uint32_t", ScalarType::u32},
    {"std::int64_t", ScalarType::i64},
    {"std::uint64_t", ScalarType::u64},
    {"std::size_t", ScalarType::u64},
    {"std::ptrdiff_t", ScalarType::i64},
}};

bool is_qualifier(std::string_view word) {
  return word == "const" || word == "volatile" || word == "__restrict__" || word == "__restrict" || word == "restrict";
}

// "const  unsigned   int" -> "unsigned int"; keeps '*' out (the caller counts them).
std::string base_type(const std::vector<Token>& tokens) {
  std::string base;
  for (const auto& token : tokens) {
    if (token.text == "*" || is_qualifier(token.text)) continue;
    const bool glue = token.text == "::" || token.text == "<" || token.text == ">" || token.text == "," ||
                      (!base.empty() && (base.back() == ':' || base.back() == '<'));
    if (!base.empty() && !glue) base += ' ';
    base += token.text;
  }
  return base;
}

std::vector<std::string_view> split_top_level(std::string_view list) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t at = 0; at < list.size(); ++at) {
    const char c = list[at];
    if (c == '<' || c == '(' || c == '[' || c == '{') ++depth;
    else if (c == '>' || c == ')' || c == ']' || c == '}') --depth;
    else if (c == ',' && depth == 0) {
      parts.push_back(list.substr(start, at - start));
      start = at + 1;
    }
  }
  parts.push_back(list.substr(start));
  return parts;
}

ParsedParam parse_one(std::string_view text, std::size_t index, const TypeMap& types, std::string_view label) {
  ParsedParam param;
  param.text = std::string(trim(text));
  if (param.text.empty())
    throw Error(fmt::format("{}: parameter {} is empty; write a list like \"const float* x, float* y\"", label, index + 1));
  const auto tokens = tokenize(param.text);
  for (const auto& token : tokens) {
    if (token.text == "&" || token.text == "&&" || token.text == "[" || token.text == "(")
      throw Error(fmt::format("{}: parameter {} '{}' is not a plain value or pointer; pass arrays as pointers "
                              "and structs by value", label, index + 1, param.text));
  }
  if (tokens.size() < 2 || tokens.back().kind != Token::Kind::identifier || is_qualifier(tokens.back().text))
    throw Error(fmt::format("{}: parameter {} '{}' needs a type and a name, e.g. \"float* x\"", label, index + 1,
                            param.text));
  param.name = std::string(tokens.back().text);
  const std::vector<Token> type_tokens(tokens.begin(), tokens.end() - 1);
  param.type = std::string(trim(std::string_view(param.text).substr(0, param.text.size() - param.name.size())));
  bool seen_star = false;
  for (const auto& token : type_tokens) {
    if (token.text == "*") {
      ++param.pointer_depth;
      seen_star = true;
    } else if (token.text == "const" && !seen_star) {
      param.pointee_const = true;
    }
  }
  param.base = base_type(type_tokens);
  if (param.base.empty())
    throw Error(fmt::format("{}: parameter {} '{}' has no type", label, index + 1, param.text));
  param.resolved = resolve_type(param.base, types);
  param.element = param.pointer_depth > 1 ? ScalarType::unknown : scalar_type_of(param.resolved);
  return param;
}

}  // namespace

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::vector<Token> tokenize(std::string_view code) {
  std::vector<Token> tokens;
  std::size_t at = 0;
  while (at < code.size()) {
    const char c = code[at];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++at;
    } else if (c == '/' && at + 1 < code.size() && (code[at + 1] == '/' || code[at + 1] == '*')) {
      at = skip_comment(code, at);
    } else if (c == '"' || c == '\'') {
      const auto end = skip_literal(code, at);
      tokens.push_back({Token::Kind::literal, code.substr(at, end - at)});
      at = end;
    } else if (is_ident_start(c)) {
      auto end = at;
      while (end < code.size() && is_ident_char(code[end])) ++end;
      tokens.push_back({Token::Kind::identifier, code.substr(at, end - at)});
      at = end;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && at + 1 < code.size() && std::isdigit(static_cast<unsigned char>(code[at + 1])))) {
      auto end = at + 1;
      while (end < code.size() && (is_ident_char(code[end]) || code[end] == '.' ||
                                   ((code[end] == '+' || code[end] == '-') &&
                                    (code[end - 1] == 'e' || code[end - 1] == 'E' || code[end - 1] == 'p' ||
                                     code[end - 1] == 'P'))))
        ++end;
      tokens.push_back({Token::Kind::number, code.substr(at, end - at)});
      at = end;
    } else {
      std::string_view punct = code.substr(at, 1);
      for (auto multi : k_multi_char_puncts) {
        if (code.substr(at, multi.size()) == multi) {
          punct = code.substr(at, multi.size());
          break;
        }
      }
      tokens.push_back({Token::Kind::punct, punct});
      at += punct.size();
    }
  }
  return tokens;
}

bool is_identifier(std::string_view text) {
  return !text.empty() && is_ident_start(text.front()) && std::all_of(text.begin(), text.end(), is_ident_char);
}

std::string resolve_type(std::string_view name, const TypeMap& types) {
  const auto tokens = tokenize(name);
  std::string resolved;
  for (const auto& token : tokens) {
    std::string_view word = token.text;
    if (token.kind == Token::Kind::identifier) {
      for (const auto& [placeholder, type] : types) {
        if (placeholder == word) {
          word = type;
          break;
        }
      }
    }
    if (!resolved.empty() && word != "*" && word != "::" && word != ">" && word != "," && resolved.back() != ':' &&
        resolved.back() != '<')
      resolved += ' ';
    resolved += word;
  }
  return resolved;
}

std::vector<ParsedParam> parse_params(std::string_view list, const TypeMap& types, std::string_view label) {
  std::vector<ParsedParam> params;
  if (trim(list).empty()) return params;
  const auto parts = split_top_level(list);
  std::set<std::string, std::less<>> names;
  for (std::size_t index = 0; index < parts.size(); ++index) {
    auto param = parse_one(parts[index], index, types, label);
    if (param.name == "i" || param.name == "n" || param.name.starts_with("jitcu_"))
      throw Error(fmt::format("{}: parameter '{}' uses a reserved name ('i' and 'n' are the index and the count, "
                              "'jitcu_' names are the generator's); rename it",
                              label, param.text));
    if (!names.insert(param.name).second)
      throw Error(fmt::format("{}: parameter name '{}' appears twice", label, param.name));
    params.push_back(std::move(param));
  }
  return params;
}

Use use_of(std::string_view code, std::string_view name) {
  Use use;
  const auto tokens = tokenize(code);
  for (std::size_t at = 0; at < tokens.size(); ++at) {
    if (tokens[at].kind != Token::Kind::identifier || tokens[at].text != name) continue;
    const std::string_view before = at > 0 ? tokens[at - 1].text : std::string_view{};
    if (before == "." || before == "->" || before == "::") continue;  // a member, not the parameter
    use.used = true;
    const bool indexed = at + 3 < tokens.size() && tokens[at + 1].text == "[" && tokens[at + 2].text == "i" &&
                         tokens[at + 3].text == "]";
    if (!indexed || before == "&") {  // raw use, or an address taken: the pointer itself is needed
      use.only_indexed = false;
      continue;
    }
    const std::string_view after = at + 4 < tokens.size() ? tokens[at + 4].text : std::string_view{};
    if (before == "++" || before == "--" || after == "++" || after == "--" || is_assignment(after) ||
        after == "." || after == "->") {
      use.read = use.written = true;  // updated in place, or a member of the element touched
    } else if (after == "=") {
      use.written = true;
    } else {
      use.read = true;
    }
  }
  if (!use.used) use.only_indexed = false;
  return use;
}

DeclaredParam declared(const ParsedParam& param, const Use& use) {
  DeclaredParam out;
  out.text = param.text;
  out.name = param.name;
  out.resolved = param.resolved;
  if (param.pointee_const) out.resolved = "const " + out.resolved;
  out.resolved += std::string(static_cast<std::size_t>(param.pointer_depth), '*');
  out.pointer = param.pointer_depth > 0;
  out.element = param.element;
  out.indexed_by_i = out.pointer && param.pointer_depth == 1 && use.used && use.only_indexed;
  return out;
}

void require_text(std::string_view text, std::string_view label, std::string_view what) {
  if (trim(text).empty()) throw Error(fmt::format("{}: the {} is empty", label, what));
}

void require_kernel_name(std::string_view name, std::string_view generator) {
  if (!is_identifier(name) || name.starts_with("jitcu_"))
    throw Error(fmt::format("{}: the name '{}' is not a C identifier (letters, digits, '_', not starting with a "
                            "digit or 'jitcu_')", generator, name));
}

void require_block(std::uint32_t block, std::string_view label) {
  if (block == 0 || block > 1024 || block % 32 != 0)
    throw Error(fmt::format("{}: block is {}; it must be a multiple of 32 from 32 to 1024", label, block));
}

void require_types(const TypeMap& types, std::string_view label) {
  std::set<std::string_view> seen;
  for (const auto& [placeholder, type] : types) {
    if (!is_identifier(placeholder) || placeholder.starts_with("jitcu_"))
      throw Error(fmt::format("{}: the type placeholder '{}' is not an identifier", label, placeholder));
    if (trim(type).empty())
      throw Error(fmt::format("{}: the type placeholder '{}' is bound to an empty type", label, placeholder));
    if (!seen.insert(placeholder).second)
      throw Error(fmt::format("{}: the type placeholder '{}' is bound twice", label, placeholder));
  }
}

}  // namespace jitcu::kernels::detail

namespace jitcu::kernels {

ScalarType scalar_type_of(std::string_view cuda_name) {
  const auto tokens = detail::tokenize(cuda_name);
  std::string base;
  for (const auto& token : tokens) {
    if (detail::is_qualifier(token.text)) continue;
    if (!base.empty() && token.text != "::" && !base.ends_with("::")) base += ' ';
    base += token.text;
  }
  for (const auto& entry : detail::k_type_names) {
    if (entry.name == base) return entry.type;
  }
  return ScalarType::unknown;
}

}  // namespace jitcu::kernels
