#pragma once
// Generated source that remembers which user text each line came from, and its compile:
// NVRTC errors in the user's parts are reported against that text, not the generated lines.
#include <jitcu/engine.hpp>
#include <jitcu/kernels/detail/generated.hpp>
#include <jitcu/options.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jitcu::kernels::detail {

/// The parts of a spec that user text comes from.
enum class Part : std::uint8_t {
  generated,
  params,
  types,
  preamble,
  operation,
  map,
  reduce,
  neutral,
  post,
  reduce_type,
  output_type,
  scan_op,
  value_type,
  input_type,
};

/// "operation", "map expression", ... as messages name a part.
std::string_view part_label(Part part);

/// Where one generated line came from.
struct LineOrigin {
  Part part = Part::generated;
  int index = 0;  // which parameter or placeholder, for params and types
  int line = 0;   // 1-based line within that part's text
};

/// Generated CUDA C++, line by line, with the origin of every line.
class SourceBuilder {
 public:
  /// `kind` names the source file ("elementwise" -> "elementwise_<hash>.cu"); `label` the
  /// generator in messages ("elementwise 'axpy'").
  SourceBuilder(std::string kind, std::string label);

  /// Generated text; may hold several lines.
  void line(std::string_view text);
  /// User text from `part`, glued to generated code by `prefix` (before its first line) and
  /// `suffix` (after its last); every line it spans maps back to the part.
  void user(Part part, std::string_view prefix, std::string_view text, std::string_view suffix, int index = 0);
  /// The user's own text of a part, quoted in errors.
  void quote(Part part, std::string text, int index = 0);

  const std::string& text() const { return text_; }
  const std::string& kind() const { return kind_; }
  const std::string& label() const { return label_; }
  /// Origin of 1-based generated line `line` (generated when out of range).
  LineOrigin origin(int line) const;
  /// The quoted text of a part ("" when none was given).
  std::string_view quoted(Part part, int index) const;

 private:
  std::string kind_;
  std::string label_;
  std::string text_;
  std::vector<LineOrigin> origins_;  // one per line of text_
  std::map<std::pair<Part, int>, std::string> quotes_;
  void append_line(std::string_view text, LineOrigin origin);
};

/// "<kind>_<16 hex digits of the text's FNV-1a hash>.cu": stable across processes.
std::string source_name(const SourceBuilder& source);

/// Compiles the generated source through `engine` and finds `kernel_name`. NVRTC errors are
/// rethrown as a CompileError whose message quotes the user's part at fault and whose log
/// ends with the numbered generated source.
GeneratedKernel compile_generated(Engine& engine, const SourceBuilder& source, const CompileOptions& options,
                                  const std::string& kernel_name, std::vector<DeclaredParam> params);

}  // namespace jitcu::kernels::detail
