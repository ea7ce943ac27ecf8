#include "codegen.hpp"

#include <jitcu/error.hpp>

#include <algorithm>
#include <regex>

#include <fmt/format.h>

namespace jitcu::kernels::detail {
namespace {

constexpr std::size_t k_quote_whole_up_to = 240;  // longer parts quote only the offending line
constexpr std::size_t k_listed_errors = 5;       // beyond these, the message says how many more

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

std::string numbered(std::string_view text) {
  std::string out;
  int number = 1;
  for (auto line : lines_of(text)) out += fmt::format("{:>5} | {}\n", number++, line);
  return out;
}

bool is_error(const Diagnostic& d) { return d.severity.find("error") != std::string::npos; }

// Where a diagnostic points, in the user's terms; the part's name when it maps.
struct Located {
  Diagnostic diagnostic;  // file and line rewritten to the part when mapped
  LineOrigin origin;
  int generated_line = 0;
};

std::string part_name(const LineOrigin& origin) {
  if (origin.part == Part::params) return fmt::format("parameter {}", origin.index + 1);
  if (origin.part == Part::types) return fmt::format("type placeholder {}", origin.index + 1);
  return std::string(part_label(origin.part));
}

Located locate(const Diagnostic& d, const SourceBuilder& source, const std::string& name) {
  Located located{d, {}, 0};
  if (d.file != name || d.line <= 0) return located;
  located.generated_line = d.line;
  located.origin = source.origin(d.line);
  if (located.origin.part == Part::generated) return located;
  located.diagnostic.file = part_name(located.origin);
  located.diagnostic.line = located.origin.line;
  return located;
}

// "the operation 'c[i] = a[i] +* b[i]'" or, for long parts, its offending line.
std::string quote_part(const SourceBuilder& source, const LineOrigin& origin) {
  const std::string_view text = source.quoted(origin.part, origin.index);
  if (text.size() <= k_quote_whole_up_to && text.find('\n') == std::string_view::npos)
    return fmt::format("the {} '{}'", part_name(origin), text);
  const auto lines = lines_of(text);
  const auto index = static_cast<std::size_t>(origin.line - 1);
  const std::string_view line = index < lines.size() ? lines[index] : std::string_view{};
  return fmt::format("the {}, line {}: '{}'", part_name(origin), origin.line, line);
}

// A hint for the mistakes people make most with generators.
std::string hint_for(const Diagnostic& d, const LineOrigin& origin) {
  static const std::regex undefined(R"re(identifier "([A-Za-z_][A-Za-z0-9_]*)" is undefined)re");
  std::smatch match;
  if (std::regex_search(d.message, match, undefined)) {
    if (origin.part == Part::params || origin.part == Part::reduce_type || origin.part == Part::output_type ||
        origin.part == Part::value_type || origin.part == Part::input_type)
      return fmt::format("; if '{0}' is a type placeholder, bind it: .types = {{bind<float>(\"{0}\")}}",
                         match[1].str());
    return fmt::format("; if '{}' is a helper, define it in the preamble", match[1].str());
  }
  return {};
}

std::string describe(const Located& e, const SourceBuilder& source) {
  if (e.origin.part == Part::generated)
    return fmt::format("{}:{}: {}", e.diagnostic.file, e.diagnostic.line, e.diagnostic.message);
  return fmt::format("{} does not compile: {}{}", quote_part(source, e.origin), e.diagnostic.message,
                     hint_for(e.diagnostic, e.origin));
}

CompileError remap(const CompileError& error, const SourceBuilder& source, const std::string& name) {
  std::vector<Diagnostic> diagnostics;
  std::vector<Located> errors;
  for (const auto& d : error.diagnostics()) {
    auto located = locate(d, source, name);
    diagnostics.push_back(located.diagnostic);
    if (is_error(d)) errors.push_back(std::move(located));
  }
  // The user's mistakes first: an error they caused in generated code usually follows one.
  std::stable_partition(errors.begin(), errors.end(), [](const Located& e) { return e.origin.part != Part::generated; });
  std::string message;
  if (errors.empty()) {
    message = fmt::format("{}: the generated kernel {} does not compile: {}", source.label(), name, error.what());
  } else {
    const auto first = describe(errors.front(), source);
    message = fmt::format("{}: {}", source.label(), first);
    std::vector<std::string> seen = {first};
    for (std::size_t i = 1; i < errors.size(); ++i) {
      auto line = describe(errors[i], source);
      if (std::find(seen.begin(), seen.end(), line) != seen.end()) continue;  // the same text twice
      seen.push_back(line);
      if (seen.size() <= k_listed_errors) message += "\n  also: " + line;
    }
    if (seen.size() > k_listed_errors) message += fmt::format("\n  ({} different errors in all)", seen.size());
    if (errors.front().generated_line > 0)
      message += fmt::format("\n  at line {} of the generated {}; its source is at the end of this error's log()",
                             errors.front().generated_line, name);
  }
  std::string log = error.log();
  log += fmt::format("\n--- generated source {} ({}) ---\n{}", name, source.label(), numbered(source.text()));
  return CompileError(std::move(message), name, std::move(log), std::move(diagnostics));
}

}  // namespace

std::string_view part_label(Part part) {
  switch (part) {
    case Part::generated: return "generated code";
    case Part::params: return "parameter list";
    case Part::types: return "type placeholders";
    case Part::preamble: return "preamble";
    case Part::operation: return "operation";
    case Part::map: return "map expression";
    case Part::reduce: return "reduce expression";
    case Part::neutral: return "neutral element";
    case Part::post: return "post-processing expression";
    case Part::reduce_type: return "reduce type";
    case Part::output_type: return "output type";
    case Part::scan_op: return "scan operator";
    case Part::value_type: return "value type";
    case Part::input_type: return "input type";
  }
  return "generated code";
}

SourceBuilder::SourceBuilder(std::string kind, std::string label) : kind_(std::move(kind)), label_(std::move(label)) {}

void SourceBuilder::append_line(std::string_view text, LineOrigin origin) {
  text_ += text;
  text_ += '\n';
  origins_.push_back(origin);
}

void SourceBuilder::line(std::string_view text) {
  for (auto one : lines_of(text)) append_line(one, {});
}

void SourceBuilder::user(Part part, std::string_view prefix, std::string_view text, std::string_view suffix, int index) {
  const auto lines = lines_of(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string one;
    if (i == 0) one += prefix;
    one += lines[i];
    if (i + 1 == lines.size()) one += suffix;
    append_line(one, {part, index, static_cast<int>(i + 1)});
  }
}

void SourceBuilder::quote(Part part, std::string text, int index) { quotes_[{part, index}] = std::move(text); }

LineOrigin SourceBuilder::origin(int line) const {
  if (line < 1 || static_cast<std::size_t>(line) > origins_.size()) return {};
  return origins_[static_cast<std::size_t>(line - 1)];
}

std::string_view SourceBuilder::quoted(Part part, int index) const {
  const auto it = quotes_.find({part, index});
  return it == quotes_.end() ? std::string_view{} : std::string_view(it->second);
}

std::string source_name(const SourceBuilder& source) {
  return fmt::format("{}_{:016x}.cu", source.kind(), fnv1a(source.text()));
}

GeneratedKernel compile_generated(Engine& engine, const SourceBuilder& source, const CompileOptions& options,
                                  const std::string& kernel_name, std::vector<DeclaredParam> params) {
  const std::string name = source_name(source);
  try {
    Module module = engine.compile(Source::string(source.text(), name), options);
    Kernel kernel = module.kernel(kernel_name);
    return {source.label(), source.text(), std::move(module), std::move(kernel), std::move(params)};
  } catch (const CompileError& error) {
    throw remap(error, source, name);
  }
}

}  // namespace jitcu::kernels::detail
