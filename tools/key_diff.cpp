#include "key_diff.hpp"

#include "format.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::tool {
namespace {

constexpr std::string_view k_header_prefix = "header ";

using Lines = std::map<std::string, std::string>;  // "std" -> "c++17", "defines" -> "A=1 B=2"

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> found = split(text, ' ');
  std::erase(found, std::string());
  return found;
}

/// The options field, "std=..\ndefines=..\ninclude=..\nextra=..", as name -> value.
Lines option_lines(std::string_view canonical) {
  Lines lines;
  for (const std::string& line : split(canonical, '\n')) {
    const std::size_t equals = line.find('=');
    if (equals == std::string::npos) lines[line] = "";
    else lines[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return lines;
}

bool starts_like_define(std::string_view token) {
  const std::size_t equals = token.find('=');
  if (equals == 0 || equals == std::string_view::npos) return false;
  return std::all_of(token.begin(), token.begin() + static_cast<std::ptrdiff_t>(equals),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

/// "A=1 B=two words C=" -> {A: 1, B: two words, C: ""}; a redefinition keeps the last value.
std::map<std::string, std::string> define_values(std::string_view text) {
  std::vector<std::string> defines;
  for (std::string& token : words(text)) {
    if (starts_like_define(token) || defines.empty()) defines.push_back(std::move(token));
    else defines.back() += " " + token;  // a value with spaces was split
  }
  std::map<std::string, std::string> values;
  for (const std::string& define : defines) {
    const std::size_t equals = define.find('=');
    values[define.substr(0, equals)] = equals == std::string::npos ? "" : define.substr(equals + 1);
  }
  return values;
}

/// " (=VALUE)", or nothing for a define without a value.
std::string define_suffix(const std::string& value, std::string_view lead) {
  return value.empty() ? "" : fmt::format(" ({}={})", lead, value);
}

/// A header's path for messages: relative to the current folder when inside it.
std::string display_path(const std::string& path) {
  std::error_code error;
  const std::filesystem::path here = std::filesystem::current_path(error);
  if (error) return path;
  const std::filesystem::path relative = std::filesystem::path(path).lexically_relative(here);
  if (relative.empty() || relative.begin()->string() == "..") return path;
  return relative.string();
}

class Differ {
 public:
  std::vector<Difference> found;

  void compare(const std::string& field, const std::optional<std::string>& was,
               const std::optional<std::string>& now) {
    if (was == now) return;
    if (field.starts_with(k_header_prefix)) return header(field, was, now);
    if (field == "options" && was && now) return options(*was, *now);
    if (field == "name_expressions" && was && now) return name_expressions(*was, *now);
    if (field == "arch") {
      return add(field, "arch", "", was, now, fmt::format("arch {} → {}", shown(was), shown(now)));
    }
    if (field == "source_sha256") {
      return add(field, "source", "", was, now,
                 fmt::format("source text changed (sha256 {} → {})", short_hash(shown(was)),
                             short_hash(shown(now))));
    }
    if (field == "source_name") {
      return add(field, "source_name", "", was, now,
                 fmt::format("source name changed: was {}, now {}", shown(was), shown(now)));
    }
    if (field == "nvrtc") {
      return add(field, "nvrtc", "", was, now,
                 fmt::format("NVRTC build changed: was {}, now {}", shown(was), shown(now)));
    }
    if (field == "toolkit") {
      return add(field, "toolkit", "", was, now,
                 fmt::format("CUDA toolkit changed: was {}, now {}", shown(was), shown(now)));
    }
    if (field == "key_format") {
      return add(field, "key_format", "", was, now,
                 fmt::format("key format changed: was {}, now {} (the entry comes from another "
                             "jitcu version)",
                             shown(was), shown(now)));
    }
    add(field, field, "", was, now, fmt::format("{} changed: was {}, now {}", field, shown(was), shown(now)));
  }

 private:
  static std::string shown(const std::optional<std::string>& value) {
    if (!value) return "(none)";
    return value->empty() ? "(empty)" : *value;
  }

  void add(const std::string& field, std::string topic, std::string name, std::optional<std::string> was,
           std::optional<std::string> now, std::string message) {
    found.push_back({field, std::move(topic), std::move(name), std::move(was), std::move(now), std::move(message)});
  }

  void header(const std::string& field, const std::optional<std::string>& was,
              const std::optional<std::string>& now) {
    const std::string path = field.substr(k_header_prefix.size());
    const std::string shown_path = display_path(path);
    if (!was) return add(field, "header", path, was, now, fmt::format("header added: {}", shown_path));
    if (!now) return add(field, "header", path, was, now, fmt::format("header removed: {}", shown_path));
    add(field, "header", path, was, now,
        fmt::format("header {} changed (sha256 {} → {})", shown_path, short_hash(*was), short_hash(*now)));
  }

  void options(const std::string& was, const std::string& now) {
    const Lines before = option_lines(was);
    const Lines after = option_lines(now);
    std::set<std::string> names;
    for (const auto& [name, value] : before) names.insert(name);
    for (const auto& [name, value] : after) names.insert(name);
    for (const std::string& name : names) {
      const auto b = before.find(name);
      const auto a = after.find(name);
      const std::string old_value = b == before.end() ? "" : b->second;
      const std::string new_value = a == after.end() ? "" : a->second;
      if (old_value == new_value) continue;
      if (name == "defines") defines(old_value, new_value);
      else if (name == "include") includes(old_value, new_value);
      else if (name == "extra") nvrtc_options(old_value, new_value);
      else
        add("options", "option", name, old_value, new_value,
            fmt::format("option changed: {} was {}, now {}", name, shown(old_value), shown(new_value)));
    }
  }

  void defines(const std::string& was, const std::string& now) {
    const auto before = define_values(was);
    const auto after = define_values(now);
    for (const auto& [name, value] : after) {
      const auto old = before.find(name);
      if (old == before.end()) {
        add("options", "define", name, std::nullopt, value, fmt::format("define {} added{}", name, define_suffix(value, "")));
      } else if (old->second != value) {
        add("options", "define", name, old->second, value,
            fmt::format("define {} changed: was {}, now {}", name, shown(old->second), shown(value)));
      }
    }
    for (const auto& [name, value] : before) {
      if (after.contains(name)) continue;
      add("options", "define", name, value, std::nullopt,
          fmt::format("define {} removed{}", name, define_suffix(value, "was ")));
    }
  }

  void includes(const std::string& was, const std::string& now) {
    const std::vector<std::string> before = words(was);
    const std::vector<std::string> after = words(now);
    bool any = false;
    for (const std::string& dir : after) {
      if (std::find(before.begin(), before.end(), dir) != before.end()) continue;
      add("options", "include", dir, std::nullopt, dir, fmt::format("include folder added: -I {}", dir));
      any = true;
    }
    for (const std::string& dir : before) {
      if (std::find(after.begin(), after.end(), dir) != after.end()) continue;
      add("options", "include", dir, dir, std::nullopt, fmt::format("include folder removed: -I {}", dir));
      any = true;
    }
    if (!any) {
      add("options", "include", "", was, now, fmt::format("include folder order changed: was {}, now {}", was, now));
    }
  }

  /// "-ftz=true" -> "-ftz"; options without a value name themselves.
  static std::string option_name(const std::string& option) { return option.substr(0, option.find('=')); }

  void nvrtc_options(const std::string& was, const std::string& now) {
    const std::vector<std::string> before = words(was);
    const std::vector<std::string> after = words(now);
    std::vector<std::string> added, removed;
    std::copy_if(after.begin(), after.end(), std::back_inserter(added),
                 [&](const std::string& o) { return std::find(before.begin(), before.end(), o) == before.end(); });
    std::copy_if(before.begin(), before.end(), std::back_inserter(removed),
                 [&](const std::string& o) { return std::find(after.begin(), after.end(), o) == after.end(); });
    for (const std::string& option : added) {
      const auto same_name = std::find_if(removed.begin(), removed.end(), [&](const std::string& o) {
        return option.find('=') != std::string::npos && option_name(o) == option_name(option);
      });
      if (same_name == removed.end()) {
        add("options", "nvrtc_option", option, std::nullopt, option, fmt::format("NVRTC option added: {}", option));
        continue;
      }
      add("options", "nvrtc_option", option_name(option), *same_name, option,
          fmt::format("option changed: {} was {}, now {}", option_name(option), *same_name, option));
      removed.erase(same_name);
    }
    for (const std::string& option : removed) {
      add("options", "nvrtc_option", option, option, std::nullopt, fmt::format("NVRTC option removed: {}", option));
    }
  }

  void name_expressions(const std::string& was, const std::string& now) {
    const std::vector<std::string> before = split(was, '\n');
    const std::vector<std::string> after = split(now, '\n');
    for (const std::string& expression : after) {
      if (std::find(before.begin(), before.end(), expression) != before.end()) continue;
      add("name_expressions", "name_expression", expression, std::nullopt, expression,
          fmt::format("name expression added: {}", expression));
    }
    for (const std::string& expression : before) {
      if (std::find(after.begin(), after.end(), expression) != after.end()) continue;
      add("name_expressions", "name_expression", expression, expression, std::nullopt,
          fmt::format("name expression removed: {}", expression));
    }
  }
};

std::map<std::string, std::string> by_name(const cache::KeyRecord& record) {
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : record.fields()) values.emplace(name, value);
  return values;
}

}  // namespace

std::vector<Difference> differences(const cache::KeyRecord& cached, const cache::KeyRecord& wanted) {
  const auto before = by_name(cached);
  const auto after = by_name(wanted);
  Differ differ;
  for (const auto& [name, value] : wanted.fields()) {
    const auto old = before.find(name);
    differ.compare(name, old == before.end() ? std::nullopt : std::optional(old->second), value);
  }
  for (const auto& [name, value] : cached.fields()) {
    if (!after.contains(name)) differ.compare(name, value, std::nullopt);
  }
  return std::move(differ.found);
}

std::size_t shared_fields(const cache::KeyRecord& a, const cache::KeyRecord& b) {
  const auto values = by_name(b);
  return static_cast<std::size_t>(std::count_if(a.fields().begin(), a.fields().end(), [&](const auto& field) {
    const auto it = values.find(field.first);
    return it != values.end() && it->second == field.second;
  }));
}

}  // namespace jitcu::tool
