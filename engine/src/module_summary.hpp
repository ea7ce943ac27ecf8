#pragma once
// A cache entry's summary: what loading a module from the cache needs (kernels, their
// parameters, name expressions, which blob is the image) in a compact form that decodes without
// a JSON parser, so a cache hit in a new process stays cheap. meta.json keeps the same facts
// (and more) for people and `jitcu cache show`.
#include "module_state.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace jitcu::detail {

/// Bumped when the summary's fields change; a summary of another version is not decoded.
constexpr int k_summary_version = 1;

/// What a summary holds besides the image bytes.
struct ModuleSummary {
  std::string source_name;
  std::string arch;
  std::string image;  // the blob holding the code: "sm_90.cubin" or "program.ptx"
  double compile_ms = 0;
  std::map<std::string, std::string> name_expressions;
  std::vector<KernelRecord> kernels;
};

std::string encode_summary(const ModuleSummary& summary);
/// nullopt for a summary of another version or malformed text.
std::optional<ModuleSummary> decode_summary(std::string_view text);

}  // namespace jitcu::detail
