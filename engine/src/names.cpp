#include "names.hpp"

#include <cxxabi.h>

#include <cctype>
#include <cstdlib>
#include <memory>

namespace jitcu::detail {

std::string demangle(const std::string& symbol) {
  if (!symbol.starts_with("_Z")) return symbol;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> text(abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status),
                                                   &std::free);
  return status == 0 && text ? std::string(text.get()) : symbol;
}

std::string qualified_name(std::string_view demangled) {
  // Drop a trailing top-level "(...)" parameter list.
  if (!demangled.empty() && demangled.back() == ')') {
    int depth = 0;
    for (std::size_t i = demangled.size(); i-- > 0;) {
      if (demangled[i] == ')') ++depth;
      else if (demangled[i] == '(' && --depth == 0) {
        demangled = demangled.substr(0, i);
        break;
      }
    }
  }
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
