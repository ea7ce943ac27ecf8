#include "key_diff.hpp"

#include "format.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::tool {
namespace {

/// Fields a key holds once each; the others ("macro", "option", ...) repeat, one per item.
const std::set<std::string, std::less<>> k_list_fields = {"macro", "include_dir", "option", "name_expression", "header",
                                                          "memory_header", "standard_header"};

using Values = std::vector<std::string>;

Values values_of(const cache::KeyRecord& record, std::string_view name) {
  Values values;
  for (const auto& [field, value] : record.fields())
    if (field == name) values.push_back(value);
  return values;
}

std::optional<std::string> single(const cache::KeyRecord& record, std::string_view name) {
  for (const auto& [field, value] : record.fields())
    if (field == name) return value;
  return std::nullopt;
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

/// Each macro's effective state after its -D/-U options: "=VALUE", "" (defined, no value
/// given: 1), or nullopt (undefined last).
std::map<std::string, std::optional<std::string>> macro_states(const Values& macros) {
  std::map<std::string, std::optional<std::string>> states;
  for (const auto& macro : macros) {
    const std::string body = macro.substr(2);
    const auto equals = body.find('=');
    const std::string name = body.substr(0, equals);
    if (macro.starts_with("-U")) states[name] = std::nullopt;
    else states[name] = equals == std::string::npos ? std::string() : body.substr(equals);
  }
  return states;
}

/// "-ftz=true" -> "-ftz"; options without a value name themselves.
std::string option_name(const std::string& option) { return option.substr(0, option.find('=')); }

class Differ {
 public:
  std::vector<Difference> found;

  void scalar(const std::string& field, const std::optional<std::string>& was, const std::optional<std::string>& now) {
    if (was == now) return;
    if (field == "arch") return add(field, "arch", "", was, now, fmt::format("arch {} → {}", shown(was), shown(now)));
    if (field == "std")
      return add(field, "option", "std", was, now, fmt::format("option changed: std was {}, now {}", shown(was), shown(now)));
    if (field == "source_sha256")
      return add(field, "source", "", was, now, fmt::format("source text changed (sha256 {} → {})",
                                                            short_hash(shown(was)), short_hash(shown(now))));
    if (field == "source_name")
      return add(field, "source_name", "", was, now,
                 fmt::format("source name changed: was {}, now {}", shown(was), shown(now)));
    if (field == "nvrtc")
      return add(field, "nvrtc", "", was, now, fmt::format("NVRTC build changed: was {}, now {}", shown(was), shown(now)));
    if (field == "toolkit")
      return add(field, "toolkit", "", was, now, fmt::format("CUDA toolkit changed: was {}, now {}", shown(was), shown(now)));
    if (field == "key_format")
      return add(field, "key_format", "", was, now,
                 fmt::format("key format changed: was {}, now {} (the entry comes from another jitcu version)",
                             shown(was), shown(now)));
    add(field, field, "", was, now, fmt::format("{} changed: was {}, now {}", field, shown(was), shown(now)));
  }

  void macros(const Values& was, const Values& now) {
    const auto before = macro_states(was), after = macro_states(now);
    for (const auto& [name, state] : after) {
      const auto old = before.find(name);
      if (old == before.end()) {
        add("macro", "define", name, std::nullopt, value_text(state), fmt::format("define {} added{}", name, suffix(state)));
      } else if (old->second != state) {
        add("macro", "define", name, value_text(old->second), value_text(state),
            fmt::format("define {} changed: was {}, now {}", name, shown_macro(old->second), shown_macro(state)));
      }
    }
    for (const auto& [name, state] : before)
      if (!after.contains(name))
        add("macro", "define", name, value_text(state), std::nullopt, fmt::format("define {} removed", name));
    if (found_in("macro") == 0 && was != now)
      add("macro", "define", "", joined(was), joined(now), fmt::format("define order changed: was {}, now {}", joined(was), joined(now)));
  }

  void include_dirs(const Values& was, const Values& now) {
    list_changes("include_dir", "include", was, now, "include folder added: -I {}", "include folder removed: -I {}");
    if (found_in("include_dir") == 0 && was != now)
      add("include_dir", "include", "", joined(was), joined(now),
          fmt::format("include folder order changed: was {}, now {}", joined(was), joined(now)));
  }

  void options(const Values& was, const Values& now) {
    Values added, removed;
    std::copy_if(now.begin(), now.end(), std::back_inserter(added),
                 [&](const std::string& o) { return std::find(was.begin(), was.end(), o) == was.end(); });
    std::copy_if(was.begin(), was.end(), std::back_inserter(removed),
                 [&](const std::string& o) { return std::find(now.begin(), now.end(), o) == now.end(); });
    for (const std::string& option : added) {
      const auto same_name = std::find_if(removed.begin(), removed.end(), [&](const std::string& o) {
        return option.find('=') != std::string::npos && option_name(o) == option_name(option);
      });
      if (same_name == removed.end()) {
        add("option", "nvrtc_option", option, std::nullopt, option, fmt::format("NVRTC option added: {}", option));
        continue;
      }
      add("option", "nvrtc_option", option_name(option), *same_name, option,
          fmt::format("option changed: {} was {}, now {}", option_name(option), *same_name, option));
      removed.erase(same_name);
    }
    for (const std::string& option : removed)
      add("option", "nvrtc_option", option, option, std::nullopt, fmt::format("NVRTC option removed: {}", option));
    if (found_in("option") == 0 && was != now)  // NVRTC lets a later option win: order matters
      add("option", "nvrtc_option", "", joined(was), joined(now),
          fmt::format("NVRTC option order changed: was {}, now {}", joined(was), joined(now)));
  }

  void name_expressions(const Values& was, const Values& now) {
    list_changes("name_expression", "name_expression", was, now, "name expression added: {}",
                 "name expression removed: {}");
  }

  /// Headers on disk ("header": path and hash), in memory ("memory_header": name and hash) or
  /// jitcu's standard ones ("standard_header"), said alike; the last two are shown by name, marked.
  void headers(const std::string& field, const Values& was, const Values& now) {
    const auto shown = [&](const std::string& path) {
      if (field == "memory_header") return path + " (in memory)";
      if (field == "standard_header") return "<" + path + "> (jitcu's standard header)";
      return display_path(path);
    };
    const auto before = by_path(was), after = by_path(now);
    for (const auto& [path, hash] : after) {
      const auto old = before.find(path);
      if (old == before.end()) add(field, "header", path, std::nullopt, hash, fmt::format("header added: {}", shown(path)));
      else if (old->second != hash)
        add(field, "header", path, old->second, hash,
            fmt::format("header {} changed (sha256 {} → {})", shown(path), short_hash(old->second), short_hash(hash)));
    }
    for (const auto& [path, hash] : before)
      if (!after.contains(path))
        add(field, "header", path, hash, std::nullopt, fmt::format("header removed: {}", shown(path)));
  }

 private:
  static std::string shown(const std::optional<std::string>& value) {
    if (!value) return "(none)";
    return value->empty() ? "(empty)" : *value;
  }
  static std::optional<std::string> value_text(const std::optional<std::string>& state) {
    if (!state) return std::string("(undefined)");
    return state->empty() ? std::string() : state->substr(1);
  }
  static std::string shown_macro(const std::optional<std::string>& state) {
    if (!state) return "undefined";
    return state->empty() ? "(no value)" : state->substr(1);
  }
  static std::string suffix(const std::optional<std::string>& state) {
    if (!state) return " (undefined)";
    return state->empty() ? "" : fmt::format(" ({})", *state);
  }
  static std::string joined(const Values& values) { return values.empty() ? "(none)" : fmt::format("{}", fmt::join(values, " ")); }
  static std::map<std::string, std::string> by_path(const Values& headers) {
    std::map<std::string, std::string> paths;
    for (const auto& value : headers) {
      const auto tab = value.rfind('\t');
      paths[value.substr(0, tab)] = tab == std::string::npos ? "" : value.substr(tab + 1);
    }
    return paths;
  }

  std::size_t found_in(std::string_view field) const {
    return static_cast<std::size_t>(std::count_if(found.begin(), found.end(), [&](const Difference& d) { return d.field == field; }));
  }

  void list_changes(const std::string& field, const std::string& topic, const Values& was, const Values& now,
                    fmt::format_string<const std::string&> added_text, fmt::format_string<const std::string&> removed_text) {
    for (const std::string& item : now)
      if (std::find(was.begin(), was.end(), item) == was.end())
        add(field, topic, item, std::nullopt, item, fmt::format(added_text, item));
    for (const std::string& item : was)
      if (std::find(now.begin(), now.end(), item) == now.end())
        add(field, topic, item, item, std::nullopt, fmt::format(removed_text, item));
  }

  void add(const std::string& field, std::string topic, std::string name, std::optional<std::string> was,
           std::optional<std::string> now, std::string message) {
    found.push_back({field, std::move(topic), std::move(name), std::move(was), std::move(now), std::move(message)});
  }
};

}  // namespace

std::vector<Difference> differences(const cache::KeyRecord& cached, const cache::KeyRecord& wanted) {
  Differ differ;
  std::set<std::string> scalars;
  for (const auto& [name, value] : wanted.fields())
    if (!k_list_fields.contains(name)) scalars.insert(name);
  for (const auto& [name, value] : cached.fields())
    if (!k_list_fields.contains(name)) scalars.insert(name);
  for (const auto& [name, value] : wanted.fields())  // the wanted record's order first
    if (scalars.erase(name)) differ.scalar(name, single(cached, name), value);
  for (const auto& name : scalars) differ.scalar(name, single(cached, name), std::nullopt);
  differ.macros(values_of(cached, "macro"), values_of(wanted, "macro"));
  differ.include_dirs(values_of(cached, "include_dir"), values_of(wanted, "include_dir"));
  differ.options(values_of(cached, "option"), values_of(wanted, "option"));
  differ.name_expressions(values_of(cached, "name_expression"), values_of(wanted, "name_expression"));
  for (const char* field : {"header", "memory_header", "standard_header"})
    differ.headers(field, values_of(cached, field), values_of(wanted, field));
  return std::move(differ.found);
}

std::size_t shared_fields(const cache::KeyRecord& a, const cache::KeyRecord& b) {
  std::multiset<std::pair<std::string, std::string>> values(b.fields().begin(), b.fields().end());
  std::size_t shared = 0;
  for (const auto& field : a.fields()) {
    if (auto it = values.find(field); it != values.end()) {
      values.erase(it);
      ++shared;
    }
  }
  return shared;
}

}  // namespace jitcu::tool
