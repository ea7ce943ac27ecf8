#include "names.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <vector>

namespace jitcu::detail {

std::string demangle(const std::string& symbol) {
  if (!symbol.starts_with("_Z")) return symbol;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> text(abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status),
                                                   &std::free);
  return status == 0 && text ? std::string(text.get()) : symbol;
}

namespace {

// Where the trailing top-level "(...)" of `text` opens, or npos when it has none.
std::size_t parameter_list_start(std::string_view text) {
  if (text.empty() || text.back() != ')') return std::string_view::npos;
  int depth = 0;
  for (std::size_t i = text.size(); i-- > 0;) {
    if (text[i] == ')') ++depth;
    else if (text[i] == '(' && --depth == 0) return i;
  }
  return std::string_view::npos;
}


// "const float*" -> "float const*", as the demangler writes it; other parameters unchanged.
std::string const_after(std::string parameter) {
  if (!parameter.starts_with("const ")) return parameter;
  parameter.erase(0, 6);
  const auto declarator = parameter.find_first_of("*&");
  parameter.insert(declarator == std::string::npos ? parameter.size() : declarator, " const");
  return parameter;
}

// "(a,b<c,d>,e)" -> {"a", "b<c,d>", "e"}: split at commas outside <> and ().
std::vector<std::string> split_parameters(std::string_view list) {
  std::vector<std::string> parts;
  if (list.size() <= 2) return parts;
  list = list.substr(1, list.size() - 2);
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i == list.size() || (list[i] == ',' && depth == 0)) {
      parts.emplace_back(list.substr(start, i - start));
      start = i + 1;
    } else if (list[i] == '<' || list[i] == '(') {
      ++depth;
    } else if (list[i] == '>' || list[i] == ')') {
      --depth;
    }
  }
  return parts;
}

}  // namespace

std::string qualified_name(std::string_view demangled) {
  if (const std::size_t open = parameter_list_start(demangled); open != std::string_view::npos)
    demangled = demangled.substr(0, open);
  // Drop a return type: everything up to the last space outside <...>.
  int depth = 0;
  std::size_t name_start = 0;
  for (std::size_t i = 0; i < demangled.size(); ++i) {
    if (demangled[i] == '<' || demangled[i] == '(') ++depth;
    else if (demangled[i] == '>' || demangled[i] == ')') --depth;
    else if (demangled[i] == ' ' && depth == 0) name_start = i + 1;
  }
  return std::string(demangled.substr(name_start));
}

std::string signature(std::string_view demangled) {
  const auto open = parameter_list_start(demangled);
  if (open == std::string_view::npos) return std::string(demangled);
  return qualified_name(demangled.substr(0, open)) + std::string(demangled.substr(open));
}

std::string canonical_signature(std::string_view text) {
  const std::string squeezed = squeeze_spaces(text);
  const auto open = parameter_list_start(squeezed);
  if (open == std::string::npos) return squeezed;
  std::string out = qualified_name(std::string_view(squeezed).substr(0, open)) + "(";
  const auto parameters = split_parameters(std::string_view(squeezed).substr(open));
  for (std::size_t i = 0; i < parameters.size(); ++i) out += (i ? "," : "") + const_after(parameters[i]);
  if (parameters.size() == 1 && parameters.front() == "void") out.resize(out.size() - 4);  // k(void) is k()
  return out + ")";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      const std::size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

std::string base_name(std::string_view qualified) {
  if (auto open = qualified.find('<'); open != std::string_view::npos) qualified = qualified.substr(0, open);
  if (auto colons = qualified.rfind("::"); colons != std::string_view::npos) qualified = qualified.substr(colons + 2);
  return std::string(qualified);
}

std::string squeeze_spaces(std::string_view name) {
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != ' ') {
      out += name[i];
      continue;
    }
    std::size_t next = i;
    while (next < name.size() && name[next] == ' ') ++next;
    if (!out.empty() && next < name.size() && is_word(out.back()) && is_word(name[next])) out += ' ';
    i = next - 1;
  }
  return out;
}

std::string mangle_qualified(std::string_view qualified) {
  std::string mangled = "_ZN";
  while (true) {
    const auto colons = qualified.find("::");
    const auto part = qualified.substr(0, colons);
    mangled += std::to_string(part.size()) + std::string(part);
    if (colons == std::string_view::npos) break;
    qualified.remove_prefix(colons + 2);
  }
  return mangled + "E";
}

}  // namespace jitcu::detail
