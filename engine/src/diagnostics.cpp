#include "diagnostics.hpp"

#include "name_expression_errors.hpp"
#include "regular_file.hpp"

#include <charconv>
#include <regex>
#include <sstream>

#include <fmt/format.h>

namespace jitcu::detail {

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
  std::vector<Diagnostic> found;
  std::istringstream lines{std::string(log)};
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, line_pattern))
      found.push_back({match[1], line_number(match[2]), match[3], match[4]});
    else if (line.starts_with("nvrtc: error: "))
      found.push_back({"", 0, "error", line.substr(14)});
  }
  return found;
}

std::string excerpt(std::string_view text, int line, int context) {
  std::string out;
  int number = 1;
  std::size_t start = 0;
  while (start <= text.size() && number <= line + context) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (number >= line - context)
      out += fmt::format("{} {:>5} | {}\n", number == line ? '>' : ' ', number, text.substr(start, end - start));
    start = end + 1;
    ++number;
  }
  return out;
}

namespace {

// The text of the file a diagnostic points at: the source itself or a header on disk, read as
// sources are (regular files, bounded: regular_file.hpp); "" (no excerpt) when it cannot be.
std::string text_of(const Source& source, const std::string& file) {
  if (file == source.name()) return source.text();
  std::string why;
  if (auto text = read_regular_file(file, why)) return std::move(*text);
  return read_regular_file((source.directory() / file).string(), why).value_or("");
}

}  // namespace

CompileError make_compile_error(const Source& source, const std::string& log, const std::string& result_name) {
  auto diagnostics = parse_nvrtc_log(log);
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
    message = fmt::format("compile error in {}:{}: {}\n{}", first->file, first->line, first->message,
                          excerpt(text_of(source, first->file), first->line));
  } else if (first) {
    message = fmt::format("compile error in {}: {}\n", source.name(), first->message);
  } else {
    message = fmt::format("compile of {} failed: {}\n", source.name(), result_name);
  }
  if (errors > 1) message += fmt::format("{} errors in all; NVRTC's log:\n{}\n", errors, log);
  else if (!first && !log.empty()) message += fmt::format("NVRTC's log:\n{}\n", log);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return CompileError(std::move(message), source.name(), log, std::move(diagnostics));
}

}  // namespace jitcu::detail
