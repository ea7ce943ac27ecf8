#include "compile_request.hpp"

#include "toolkit.hpp"

#include <jitcu/cache/sha256.hpp>
#include <jitcu/cache/text_hash.hpp>
#include <jitcu/error.hpp>

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::detail {
namespace {

constexpr std::array<std::string_view, 5> k_standards = {"c++03", "c++11", "c++14", "c++17", "c++20"};

bool is_identifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
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

/// The macro a -D or -U option names: "A" of "-DA=1", "-DA", "-UA".
std::string_view macro_name(std::string_view macro) {
  macro.remove_prefix(2);
  return macro.substr(0, macro.find('='));
}

void check_macro(const std::string& macro, const Source& source) {
  if (!is_identifier(macro_name(macro)))
    throw Error(fmt::format("compiling {}: define '{}' is not a macro name (letters, digits, _; not starting with a "
                            "digit), in the option '{}'", source.name(), macro_name(macro), macro));
}

void check_target(const CompileRequest& request) {
  if (!is_valid_arch(request.arch))
    throw Error(fmt::format("compiling {}: arch '{}' is not a target NVRTC knows: use sm_XY (PTX and cubin, e.g. "
                            "sm_90) or compute_XY (PTX only)", request.source.name(), request.arch));
  if (std::find(k_standards.begin(), k_standards.end(), request.standard) == k_standards.end())
    throw Error(fmt::format("compiling {}: language standard '{}' is not one of {}", request.source.name(),
                            request.standard, fmt::join(k_standards, ", ")));
}

/// Sorts stably by macro name: macros of different names commute, one name keeps its order.
void order_macros(std::vector<std::string>& macros) {
  std::stable_sort(macros.begin(), macros.end(), [](const std::string& a, const std::string& b) {
    return macro_name(a) < macro_name(b);
  });
}

/// A header name as a message shows it: control bytes (a NUL, a line break) written as \xNN.
std::string shown_name(std::string_view name) {
  std::string shown;
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) shown += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else shown += c;
  }
  return shown;
}

[[noreturn]] void refuse_header(const Source& source, std::string_view name, const std::string& why) {
  throw InvalidOptionError(fmt::format("compiling {}: in-memory header '{}' {}", source.name(), shown_name(name), why),
                           std::string(name));
}

/// What NVRTC could not take from CompileOptions::headers, named with the fix.
void check_memory_header(const Source& source, const HeaderText& header, std::size_t index) {
  if (header.name.empty())
    throw InvalidOptionError(fmt::format("compiling {}: in-memory header #{} (of CompileOptions::headers) has an empty "
                                         "name; give it the name #include lines use, e.g. \"my/util.cuh\"",
                                         source.name(), index + 1),
                             header.name);
  if (header.name.find('\0') != std::string::npos)
    refuse_header(source, header.name, "has a NUL byte in its name, where NVRTC's name ends; remove it");
  if (header.name.find_first_of("\n\r") != std::string::npos)
    refuse_header(source, header.name, "has a line break in its name, which no #include line can name; remove it");
  if (const auto nul = header.text.find('\0'); nul != std::string::npos)
    refuse_header(source, header.name,
                  fmt::format("has a NUL byte in its text (offset {}), where NVRTC would stop reading it; remove it", nul));
}

/// Checks each header and sorts them by name; two of one name are refused (NVRTC crashes).
void order_memory_headers(const Source& source, std::vector<HeaderText>& headers) {
  for (std::size_t i = 0; i < headers.size(); ++i) check_memory_header(source, headers[i], i);
  std::stable_sort(headers.begin(), headers.end(), [](const HeaderText& a, const HeaderText& b) { return a.name < b.name; });
  const auto twin = std::adjacent_find(headers.begin(), headers.end(),
                                       [](const HeaderText& a, const HeaderText& b) { return a.name == b.name; });
  if (twin != headers.end())
    refuse_header(source, twin->name, "is given twice in CompileOptions::headers; give each name once");
}

std::size_t combine(std::size_t seed, std::uint64_t hash) { return (seed ^ hash) * 1099511628211ULL; }

std::size_t combine(std::size_t seed, std::string_view text) { return combine(seed, cache::text_hash(text)); }

}  // namespace

// (sm|compute)_ then 2 or 3 digits then an optional 'a' or 'f'.
bool is_valid_arch(const std::string& arch) {
  std::string_view rest = arch;
  if (rest.starts_with("sm_")) rest.remove_prefix(3);
  else if (rest.starts_with("compute_")) rest.remove_prefix(8);
  else return false;
  if (!rest.empty() && (rest.back() == 'a' || rest.back() == 'f')) rest.remove_suffix(1);
  return (rest.size() == 2 || rest.size() == 3) &&
         std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

CompileRequest make_request(const Source& source, const CompileOptions& options, const std::string& default_arch) {
  CompileRequest request{source, options.arch, options.std.empty() ? "c++17" : options.std, {}, options.include_dirs,
                         options.headers, {}, options.name_expressions};
  // A define's empty value means "-D NAME" (NAME is 1), as nvcc's -D NAME does.
  for (const auto& [name, value] : options.defines) request.macros.push_back("-D" + name + (value.empty() ? "" : "=" + value));
  for (const auto& option : options.extra) {
    if (option.empty()) continue;
    if (auto dir = value_of(option, {"--include-path", "-I"})) request.include_dirs.push_back(*dir);
    else if (auto define = value_of(option, {"--define-macro", "-D"})) request.macros.push_back("-D" + *define);
    else if (auto undefine = value_of(option, {"--undefine-macro", "-U"})) request.macros.push_back("-U" + *undefine);
    else if (auto s = value_of(option, {"--std", "-std"})) request.standard = *s;
    else if (auto a = value_of(option, {"--gpu-architecture", "-arch"})) request.arch = *a;
    else request.options.push_back(option);  // as written: NVRTC gets exactly what the key says
  }
  if (request.arch.empty()) request.arch = default_arch;
  check_target(request);
  for (const auto& macro : request.macros) check_macro(macro, source);
  order_macros(request.macros);
  order_memory_headers(source, request.headers);
  return request;
}

std::size_t CompileRequest::hash() const {
  std::size_t seed = combine(combine(combine(14695981039346656037ULL, source.text_hash()), source.name()), arch);
  seed = combine(combine(seed, standard), source.directory().native());
  for (const auto* list : {&macros, &include_dirs, &options, &name_expressions}) {
    seed = combine(seed, "|");
    for (const auto& item : *list) seed = combine(seed, item);
  }
  seed = combine(seed, "|");
  for (const auto& header : headers) seed = combine(combine(seed, header.name), header.text);
  return seed;
}

IncludeSearch CompileRequest::search() const {
  IncludeSearch search;
  search.memory_headers = headers;
  if (!source.directory().empty()) search.user_dirs.push_back(source.directory().string());
  search.user_dirs.insert(search.user_dirs.end(), include_dirs.begin(), include_dirs.end());
  return search;
}

std::vector<std::string> CompileRequest::user_options() const {
  std::vector<std::string> given = macros;
  given.insert(given.end(), options.begin(), options.end());
  return given;
}

std::vector<std::string> CompileRequest::nvrtc_options() const {
  std::vector<std::string> all = k_fixed_nvrtc_options;
  all.push_back("-arch=" + arch);
  all.push_back("-std=" + standard);
  for (const auto& dir : search().user_dirs) all.push_back("-I" + dir);
  for (const auto& dir : toolkit_include_dirs()) all.push_back("-I" + dir);
  const auto given = user_options();
  all.insert(all.end(), given.begin(), given.end());
  return all;
}

cache::KeyRecord make_key_record(const CompileRequest& request, const IncludedHeaders& headers) {
  cache::KeyRecord record;
  record.add("nvrtc", toolkit().nvrtc_identity);
  record.add("toolkit", toolkit().root);  // toolkit headers are keyed by the toolkit
  record.add("arch", request.arch);
  record.add("source_name", request.source.name());
  record.add("source_sha256", cache::sha256_hex(request.source.text()));
  record.add("std", request.standard);
  for (const auto& macro : request.macros) record.add("macro", macro);
  for (const auto& dir : request.include_dirs) record.add("include_dir", dir);
  for (const auto& option : request.options) record.add("option", option);
  for (const auto& expression : request.name_expressions) record.add("name_expression", expression);
  // The hash has a fixed length, so "path<TAB>hash" is unambiguous whatever the path holds.
  for (const auto& header : headers.on_disk) record.add("header", header.path.string() + "\t" + header.sha256);
  // Every one given, reached or not (as the in-process cache compares them); "name<TAB>hash".
  for (const auto& header : request.headers)
    record.add("memory_header", header.name + "\t" + cache::sha256_hex(header.text));
  // jitcu's stand-ins by their text too: a jitcu that changes one compiles anew.
  for (const HeaderText* header : headers.standard)
    record.add("standard_header", header->name + "\t" + cache::sha256_hex(header->text));
  return record;
}

}  // namespace jitcu::detail
