#include "format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

constexpr std::string_view k_ellipsis = "…";

struct Unit {
  std::string_view name;
  std::int64_t seconds;
};
// Largest first: human_duration picks the first unit the duration reaches.
constexpr std::array<Unit, 4> k_age_units{{{"d", 86400}, {"h", 3600}, {"min", 60}, {"s", 1}}};

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

/// Byte offset after the first `columns` code points of `text`.
std::size_t prefix_bytes(std::string_view text, std::size_t columns) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_continuation_byte(text[i])) continue;
    if (seen == columns) return i;
    ++seen;
  }
  return text.size();
}

std::optional<std::int64_t> seconds_per(std::string_view unit) {
  if (unit.empty() || unit == "s" || unit == "sec") return 1;
  if (unit == "m" || unit == "min") return 60;
  if (unit == "h") return 3600;
  if (unit == "d") return 86400;
  if (unit == "w") return 7 * 86400;
  return std::nullopt;
}

}  // namespace

std::string human_size(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  constexpr std::array<std::string_view, 4> units{"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < units.size()) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string human_duration(Clock::duration duration) {
  const std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
  if (seconds <= 0) return "0 s";
  for (const Unit& unit : k_age_units) {
    if (seconds >= unit.seconds) return fmt::format("{} {}", seconds / unit.seconds, unit.name);
  }
  return "0 s";
}

std::string ago(Clock::time_point then, Clock::time_point now) {
  return human_duration(now - then) + " ago";
}

std::string iso8601_utc(Clock::time_point time) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  const std::size_t size = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text.data(), size);
}

std::int64_t unix_seconds(Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  std::int64_t count = 0;
  const char* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(text.data(), end, count);
  if (error != std::errc() || count <= 0) return std::nullopt;
  const std::optional<std::int64_t> scale = seconds_per(std::string_view(rest, end));
  if (!scale || count > INT64_MAX / *scale) return std::nullopt;
  return std::chrono::seconds(count * *scale);
}

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(),
                                                [](char c) { return !is_continuation_byte(c); }));
}

std::string shorten(std::string_view text, std::size_t max_width) {
  if (display_width(text) <= max_width || max_width == 0) return std::string(text);
  return std::string(text.substr(0, prefix_bytes(text, max_width - 1))) + std::string(k_ellipsis);
}

std::string shorten_left(std::string_view text, std::size_t max_width) {
  const std::size_t width = display_width(text);
  if (width <= max_width || max_width == 0) return std::string(text);
  const std::size_t drop = width - (max_width - 1);
  return std::string(k_ellipsis) + std::string(text.substr(prefix_bytes(text, drop)));
}

std::string join_names(const std::vector<std::string>& names, std::size_t max_width) {
  std::string joined;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string item = (i ? ", " : "") + names[i];
    const std::size_t left = names.size() - i - 1;
    const std::string more = left ? fmt::format(", +{} more", left) : "";
    if (display_width(joined) + display_width(item) + display_width(more) <= max_width) {
      joined += item;
      continue;
    }
    if (i == 0) return shorten(names[0], max_width > 10 ? max_width - 10 : max_width) +
                       (names.size() > 1 ? fmt::format(", +{} more", names.size() - 1) : "");
    return joined + fmt::format(", +{} more", names.size() - i);
  }
  return joined;
}

std::string short_hash(std::string_view sha256, std::size_t digits) {
  if (sha256.size() <= digits) return std::string(sha256);
  return std::string(sha256.substr(0, digits)) + std::string(k_ellipsis);
}

void print_json(const nlohmann::json& document) {
  std::cout << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

Table::Table(std::vector<std::string> header) : right_(header.size(), false) {
  rows_.push_back(std::move(header));
}

void Table::right_align(std::size_t column) {
  if (column < right_.size()) right_[column] = true;
}

void Table::add_row(std::vector<std::string> row) {
  row.resize(right_.size());
  rows_.push_back(std::move(row));
}

std::string Table::render(std::size_t indent) const {
  std::vector<std::size_t> widths(right_.size(), 0);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line(indent, ' ');
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(widths[c] - display_width(row[c]), ' ');
      if (c) line += "  ";
      line += right_[c] ? pad + row[c] : row[c] + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

}  // namespace jitcu::tool
