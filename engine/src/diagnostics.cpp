#include "diagnostics.hpp"

#include "headers.hpp"
#include "name_expression_errors.hpp"
#include "regular_file.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iterator>
#include <regex>
#include <sstream>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

// NVRTC echoes the offending line and marks the column below it, both indented by two
// spaces: "  out[i] = 1.0f +;" then "                 ^". The column of that '^', or 0.
int caret_column(const std::vector<std::string>& lines, std::size_t diagnostic_line) {
  if (diagnostic_line + 2 >= lines.size()) return 0;
  const std::string& marker = lines[diagnostic_line + 2];
  const auto caret = marker.find('^');
  if (caret == std::string::npos || caret < 2 || marker.find_first_not_of(" \t") != caret) return 0;
  return static_cast<int>(caret - 1);
}

}  // namespace

namespace {

// A diagnostic's line; 0 (no location) for digits past int, which std::stoi threw on.
int line_number(const std::string& digits) {
  int value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return error == std::errc() && end == digits.data() + digits.size() ? value : 0;
}

}  // namespace

std::vector<Diagnostic> parse_nvrtc_log(std::string_view log) {
  static const std::regex line_pattern(R"(^(.*)\((\d+)\): (catastrophic error|error|warning|remark)(?: #[0-9]+(?:-D)?)?: (.*)$)");
  std::vector<std::string> lines;
  std::istringstream text{std::string(log)};
  for (std::string line; std::getline(text, line);) lines.push_back(std::move(line));
  std::vector<Diagnostic> found;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch match;
    if (std::regex_match(lines[i], match, line_pattern))
      found.push_back({match[1], line_number(match[2]), match[3], match[4], caret_column(lines, i)});
    else if (lines[i].starts_with("nvrtc: error: "))
      found.push_back({"", 0, "error", lines[i].substr(14), 0});
  }
  return found;
}

std::string excerpt(std::string_view text, int line, int context, int column) {
  std::string out;
  int number = 1;
  std::size_t start = 0;
  while (start <= text.size() && number <= line + context) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto shown = text.substr(start, end - start);
    if (number >= line - context)
      out += fmt::format("{} {:>5} | {}\n", number == line ? '>' : ' ', number, shown);
    if (number == line && column > 0 && static_cast<std::size_t>(column) <= shown.size() + 1) {
      std::string pad(shown.substr(0, static_cast<std::size_t>(column - 1)));
      for (char& c : pad) c = c == '\t' ? '\t' : ' ';  // tabs kept, so the '^' lines up
      out += fmt::format("  {:>5} | {}^\n", "", pad);
    }
    start = end + 1;
    ++number;
  }
  return out;
}

namespace {

// A header NVRTC names relative to the including source's folder, as a path that opens from
// anywhere; the source's own name, absolute paths and in-memory headers' names stay as they are.
std::string located(const Source& source, const std::string& file, std::span<const HeaderText> memory_headers) {
  if (file.empty() || file == source.name() || file.front() == '/' || memory_header(memory_headers, file)) return file;
  std::error_code ignored;
  const auto beside = (source.directory() / file).lexically_normal();
  return std::filesystem::is_regular_file(beside, ignored) ? beside.string() : file;
}

// The text of the file a diagnostic points at: the source itself, an in-memory header or a
// header on disk, read as sources are (regular files, bounded: regular_file.hpp); "" (no
// excerpt) when it cannot be.
std::string text_of(const Source& source, const std::string& file, std::span<const HeaderText> memory_headers) {
  if (file == source.name()) return source.text();
  if (const HeaderText* header = memory_header(memory_headers, file)) return header->text;
  std::string why;
  return read_regular_file(file, why).value_or("");
}

// Standard headers with no device version: NVRTC cannot open them and jitcu has no stand-in.
constexpr std::string_view k_host_only_headers[] = {
    "any",           "cctype",      "charconv",     "condition_variable",
    "cstdarg",       "cwchar",      "deque",        "exception",
    "filesystem",    "format",      "forward_list", "fstream",
    "future",        "iomanip",     "iostream",     "istream",
    "list",          "locale",      "map",          "mutex",
    "ostream",       "queue",       "random",       "regex",
    "set",           "sstream",     "stack",        "stdexcept",
    "string",        "string_view", "thread",       "unordered_map",
    "unordered_set", "valarray",    "vector"};

/// The name in NVRTC's `cannot open source file "NAME"`, or empty.
std::string_view unopened_header(std::string_view message) {
  constexpr std::string_view prefix = "cannot open source file \"";
  if (!message.starts_with(prefix)) return {};
  message.remove_prefix(prefix.size());
  return message.substr(0, message.find('"'));
}

// What to do about an error whose cure is an option (kernels that launch kernels) or another
// header (the standard library's host parts).
std::string hint_for(const Diagnostic& error) {
  if (error.message.find("device-side kernel launch") != std::string::npos)
    return "; a kernel that launches kernels needs the device runtime: compile with "
           "CompileOptions{.device_runtime = true}";
  const std::string_view header = unopened_header(error.message);
  if (std::find(std::begin(k_host_only_headers), std::end(k_host_only_headers), header) != std::end(k_host_only_headers))
    return fmt::format("; <{}> is host code: NVRTC compiles device code and has no standard library, and jitcu's "
                       "stand-ins (<cstdint>, <type_traits>, <limits>, <cmath>, <algorithm>, <array>, ...) cover only "
                       "what libcu++ has for the device",
                       header);
  return {};
}

}  // namespace

CompileError make_compile_error(const Source& source, const std::string& log, const std::string& result_name,
                                std::span<const HeaderText> memory_headers) {
  auto diagnostics = parse_nvrtc_log(log);
  for (auto& d : diagnostics) d.file = located(source, d.file, memory_headers);
  const Diagnostic* first = nullptr;
  std::size_t errors = 0;
  for (const auto& d : diagnostics) {
    if (d.severity.find("error") == std::string::npos) continue;
    ++errors;
    if (!first) first = &d;
  }
  std::string message;
  if (auto named = describe_name_expression_errors(log); !named.empty()) {  // name_expression_errors.hpp
    message = std::move(named) + "\n";
  } else if (first && first->line > 0) {
    const std::string where = first->column > 0 ? fmt::format("{}:{}:{}", first->file, first->line, first->column)
                                                : fmt::format("{}:{}", first->file, first->line);
    message = fmt::format("compile error in {}: {}{}\n{}", where, first->message, hint_for(*first),
                          excerpt(text_of(source, first->file, memory_headers), first->line, 2, first->column));
  } else if (first) {
    message = fmt::format("compile error in {}: {}{}\n", source.name(), first->message, hint_for(*first));
  } else {
    message = fmt::format("compile of {} failed: {}\n", source.name(), result_name);
  }
  if (errors > 1) message += fmt::format("{} errors in all; NVRTC's log:\n{}\n", errors, log);
  else if (!first && !log.empty()) message += fmt::format("NVRTC's log:\n{}\n", log);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return CompileError(std::move(message), source.name(), log, std::move(diagnostics));
}

}  // namespace jitcu::detail
