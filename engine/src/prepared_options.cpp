#include "prepared_options.hpp"

#include "toolkit.hpp"

#include <jitcu/cache/log.hpp>
#include <jitcu/error.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::detail {
namespace {

constexpr std::array<std::string_view, 5> k_standards = {"c++03", "c++11", "c++14", "c++17", "c++20"};

bool is_identifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// "--ftz=true" and "-ftz=true" mean the same to NVRTC: the key sees one form.
std::string canonical_option(const std::string& option) {
  const auto start = option.find_first_not_of('-');
  return start == std::string::npos ? option : "-" + option.substr(start);
}

// If `option` is "<flag>VALUE" or "<flag>=VALUE" for one of `flags`, its VALUE.
std::optional<std::string> value_of(const std::string& option, std::initializer_list<const char*> flags) {
  for (const char* flag : flags) {
    const std::string f = flag;
    if (!option.starts_with(f)) continue;
    std::string rest = option.substr(f.size());
    if (rest.starts_with("=")) rest.erase(0, 1);
    if (!rest.empty()) return rest;
  }
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ' ';
    out += parts[i];
  }
  return out;
}

}  // namespace

// (sm|compute)_ then 2 or 3 digits then an optional 'a' or 'f'; by hand: compiling a
// std::regex cost a third of a disk-cache hit in a new process (callgrind).
bool is_valid_arch(const std::string& arch) {
  std::string_view rest = arch;
  if (rest.starts_with("sm_")) rest.remove_prefix(3);
  else if (rest.starts_with("compute_")) rest.remove_prefix(8);
  else return false;
  if (!rest.empty() && (rest.back() == 'a' || rest.back() == 'f')) rest.remove_suffix(1);
  return (rest.size() == 2 || rest.size() == 3) &&
         std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

namespace {

/// The key's view of the options: the one definition of its text, for both paths below.
std::string canonical_text(std::string_view standard, std::string_view defines, std::string_view include_dirs,
                           std::string_view extra) {
  // Concatenation, not fmt: this runs on every cache hit, where fmt's first use is a cost.
  std::string text;
  text.reserve(32 + standard.size() + defines.size() + include_dirs.size() + extra.size());
  text.append("std=").append(standard).append("\ndefines=").append(defines);
  text.append("\ninclude=").append(include_dirs).append("\nextra=").append(extra);
  return text;
}

/// Throws for an arch or standard NVRTC does not know; the message names the source.
void check_target(const PreparedOptions& prepared, const Source& source) {
  if (!is_valid_arch(prepared.arch))
    throw Error(fmt::format("compiling {}: arch '{}' is not a target NVRTC knows: use sm_XY (PTX and "
                            "cubin, e.g. sm_90) or compute_XY (PTX only)", source.name(), prepared.arch));
  if (std::find(k_standards.begin(), k_standards.end(), prepared.standard) == k_standards.end())
    throw Error(fmt::format("compiling {}: language standard '{}' is not one of {}", source.name(), prepared.standard,
                            fmt::join(k_standards, ", ")));
}

/// The usual call: no defines, include folders or extra options. The same result as the
/// general path, with a fraction of its code on a cache hit's path.
PreparedOptions prepare_plain(const CompileOptions& options, const Source& source, const std::string& default_arch) {
  PreparedOptions prepared;
  prepared.arch = options.arch.empty() ? default_arch : options.arch;
  prepared.standard = options.std.empty() ? "c++17" : options.std;
  check_target(prepared, source);
  if (!source.directory_string().empty()) prepared.search.user_dirs.push_back(source.directory_string());
  prepared.canonical = canonical_text(prepared.standard, "", "", "");
  return prepared;
}

}  // namespace

PreparedOptions prepare_options(const CompileOptions& options, const Source& source,
                                const std::string& default_arch) {
  if (options.defines.empty() && options.include_dirs.empty() && options.extra.empty())
    return prepare_plain(options, source, default_arch);
  PreparedOptions prepared;
  auto defines = options.defines;
  auto include_dirs = options.include_dirs;
  std::string standard = options.std.empty() ? "c++17" : options.std;
  std::string arch = options.arch;
  std::vector<std::string> extra;
  for (const auto& option : options.extra) {
    if (auto dir = value_of(option, {"--include-path", "-I"})) include_dirs.push_back(*dir);
    else if (auto define = value_of(option, {"--define-macro", "-D"})) {
      const auto eq = define->find('=');
      defines.emplace_back(define->substr(0, eq), eq == std::string::npos ? "" : define->substr(eq + 1));
    } else if (auto s = value_of(option, {"--std", "-std"})) standard = *s;
    else if (auto a = value_of(option, {"--gpu-architecture", "-arch"})) arch = *a;
    else if (option.empty()) continue;
    else extra.push_back(option);
  }
  prepared.arch = arch.empty() ? default_arch : arch;
  prepared.standard = standard;
  check_target(prepared, source);
  for (const auto& [name, value] : defines) {
    if (!is_identifier(name))
      throw Error(fmt::format("compiling {}: define '{}' is not a macro name (letters, digits, _; not "
                              "starting with a digit)", source.name(), name));
  }
  if (!source.directory_string().empty()) prepared.search.user_dirs.push_back(source.directory_string());
  for (const auto& dir : include_dirs) {
    struct stat info {};  // stat, not std::filesystem: this runs on every cache hit
    if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
      log().warn("compiling {}: include folder '{}' does not exist", source.name(), dir);
    prepared.search.user_dirs.push_back(dir);
  }
  for (const auto& [name, value] : defines)
    prepared.user_given.push_back(value.empty() ? "-D" + name : "-D" + name + "=" + value);
  for (const auto& option : extra) prepared.user_given.push_back(option);

  // The key's view: defines sorted by name (stable: a redefinition keeps its order), extra
  // options sorted and in one spelling; include order kept (it decides which file is found).
  std::stable_sort(defines.begin(), defines.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::string> canonical_extra;
  for (const auto& option : extra) canonical_extra.push_back(canonical_option(option));
  std::sort(canonical_extra.begin(), canonical_extra.end());
  std::vector<std::string> define_texts;
  for (const auto& [name, value] : defines) define_texts.push_back(name + "=" + value);
  prepared.canonical = canonical_text(standard, joined(define_texts), joined(include_dirs), joined(canonical_extra));
  return prepared;
}

std::vector<std::string> PreparedOptions::nvrtc() const {
  // jitcu's fixed options, the target, the include folders; the user's own go last so they
  // can override.
  std::vector<std::string> options = k_fixed_nvrtc_options;
  options.push_back("-arch=" + arch);
  options.push_back("-std=" + standard);
  for (const auto& dir : search.user_dirs) options.push_back("-I" + dir);
  for (const auto& dir : toolkit_include_dirs()) options.push_back("-I" + dir);
  options.insert(options.end(), user_given.begin(), user_given.end());
  return options;
}

}  // namespace jitcu::detail
