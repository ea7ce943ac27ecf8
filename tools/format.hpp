#pragma once
// Human units and plain-text tables for the tool's output.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace jitcu::tool {

using Clock = std::chrono::system_clock;

/// "0 B", "512 B", "1.5 KiB", "12.0 MiB", "1.0 GiB" (powers of 1024).
std::string human_size(std::uint64_t bytes);
/// "3 s", "5 min", "2 h", "4 d": the largest whole unit; negative durations read as "0 s".
std::string human_duration(Clock::duration duration);
/// human_duration(now - then) + " ago".
std::string ago(Clock::time_point then, Clock::time_point now);
/// "2026-11-26T10:04:05Z".
std::string iso8601_utc(Clock::time_point time);
/// Seconds since the epoch.
std::int64_t unix_seconds(Clock::time_point time);
/// "30s", "10m", "10min", "2h", "7d", "2w", "90" (seconds); nullopt when malformed or zero.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

/// Columns a terminal gives `text` (UTF-8 code points; no wide characters are printed).
std::size_t display_width(std::string_view text);
/// `text` cut to `max_width` columns, ending in "…" when cut.
std::string shorten(std::string_view text, std::size_t max_width);
/// `text` cut to `max_width` columns from the left, starting with "…" (paths keep their tail).
std::string shorten_left(std::string_view text, std::size_t max_width);
/// "a, b, c" fitting `max_width`; names that do not fit become "+N more".
std::string join_names(const std::vector<std::string>& names, std::size_t max_width);
/// The first `digits` hex digits of a checksum followed by "…".
std::string short_hash(std::string_view sha256, std::size_t digits = 8);

/// Writes `document` to stdout, indented, with a final newline: the one JSON document of --json.
void print_json(const nlohmann::json& document);

/// Rows of text columns, padded to line up; columns marked numeric are right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void right_align(std::size_t column);
  void add_row(std::vector<std::string> row);
  /// The table, one line per row, `indent` spaces before each; no trailing spaces.
  std::string render(std::size_t indent = 0) const;
  bool empty() const { return rows_.size() <= 1; }

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
  std::vector<bool> right_;
};

}  // namespace jitcu::tool
