#include "name_expression_errors.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

constexpr std::string_view k_map_file = "__nv_name_map(";
constexpr std::string_view k_pragma = "#pragma nv_mangled_name ";
// NVRTC's second message for every bad expression, which only repeats it with spaces added.
constexpr std::string_view k_parse_echo = "Error in parsing name expression";

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// "file(line): error: message" -> {file, message}; {"", ""} for other lines.
std::pair<std::string_view, std::string_view> error_line(std::string_view line) {
  const std::size_t close = line.find("): ");
  if (close == std::string_view::npos) return {};
  std::string_view rest = line.substr(close + 3);
  for (std::string_view severity : {"catastrophic error", "error"}) {
    if (!rest.starts_with(severity)) continue;
    rest.remove_prefix(severity.size());
    if (rest.starts_with(" #")) rest.remove_prefix(std::min(rest.find(':'), rest.size()));  // "error #20:"
    if (!rest.starts_with(": ")) return {};
    return {line.substr(0, close + 1), rest.substr(2)};
  }
  return {};
}

// The expression NVRTC echoes under a diagnostic: "  #pragma nv_mangled_name scale<flaot>".
std::string_view echoed_expression(const std::vector<std::string_view>& lines, std::size_t after) {
  for (std::size_t i = after + 1; i < lines.size() && i <= after + 2; ++i) {
    const std::string_view line = trim(lines[i]);
    if (line.starts_with(k_pragma)) return trim(line.substr(k_pragma.size()));
  }
  return {};
}

}  // namespace

std::string describe_name_expression_errors(std::string_view log) {
  const auto lines = split_lines(log);
  std::vector<std::pair<std::string, std::string>> bad;  // expression, first message
  bool first_error = true;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto [file, message] = error_line(lines[i]);
    if (file.empty()) continue;
    const bool in_map = file.starts_with(k_map_file);
    if (first_error && !in_map) return {};
    first_error = false;
    if (!in_map) continue;
    const std::string expression(echoed_expression(lines, i));
    const bool known = std::any_of(bad.begin(), bad.end(), [&](const auto& b) { return b.first == expression; });
    if (known || (message.starts_with(k_parse_echo) && !expression.empty())) continue;
    bad.emplace_back(expression, std::string(message));
  }
  if (bad.empty()) return {};
  std::string text;
  for (const auto& [expression, message] : bad) {
    text += expression.empty() ? fmt::format("a name expression does not compile: {}\n", message)
                               : fmt::format("name expression '{}' does not compile: {}\n", expression, message);
  }
  text += "name expressions are compiled after the source, in its global scope: check the kernel's name, "
          "its namespace and its template arguments";
  return text;
}

}  // namespace jitcu::detail
