#include "prelude.hpp"

#include "device_code.hpp"

#include <set>
#include <string>

#include <fmt/format.h>

namespace jitcu::kernels::detail {
namespace {

struct Headers {
  bool fp16 = false;
  bool bf16 = false;
};

Headers headers_needed(std::string_view text) {
  Headers needed;
  for (const auto& token : tokenize(text)) {
    if (token.kind != Token::Kind::identifier) continue;
    if (token.text.find("bfloat16") != std::string_view::npos || token.text.find("bf16") != std::string_view::npos)
      needed.bf16 = true;
    else if (token.text.find("half") != std::string_view::npos)
      needed.fp16 = true;
  }
  return needed;
}

// True when a bound type names something the preamble declares (then T must follow it).
bool types_use_preamble(const TypeMap& types, std::string_view preamble) {
  std::set<std::string_view> declared_there;
  for (const auto& token : tokenize(preamble))
    if (token.kind == Token::Kind::identifier) declared_there.insert(token.text);
  for (const auto& [placeholder, type] : types) {
    if (scalar_type_of(type) != ScalarType::unknown) continue;
    for (const auto& token : tokenize(type))
      if (token.kind == Token::Kind::identifier && declared_there.contains(token.text)) return true;
  }
  return false;
}

void emit_typedefs(SourceBuilder& out, const TypeMap& types) {
  if (types.empty()) return;
  out.line("// type placeholders");
  for (std::size_t k = 0; k < types.size(); ++k) {
    const auto& [placeholder, type] = types[k];
    const int index = static_cast<int>(k);
    out.quote(Part::types, fmt::format("{} = {}", placeholder, type), index);
    out.user(Part::types, "typedef ", type, fmt::format(" {};", placeholder), index);
  }
  out.line("");
}

void emit_preamble(SourceBuilder& out, std::string_view preamble) {
  if (trim(preamble).empty()) return;
  out.quote(Part::preamble, std::string(trim(preamble)));
  out.line("// preamble");
  out.user(Part::preamble, "", preamble, "");
  out.line("");
}

}  // namespace

void emit_prelude(SourceBuilder& out, std::string_view summary, const TypeMap& types, std::string_view user_text,
                  std::string_view preamble) {
  std::size_t start = 0;
  while (start <= summary.size()) {
    auto end = summary.find('\n', start);
    if (end == std::string_view::npos) end = summary.size();
    out.line(fmt::format("// {}", summary.substr(start, end - start)));
    start = end + 1;
  }
  std::string all = std::string(user_text) + "\n" + std::string(preamble);
  for (const auto& [placeholder, type] : types) all += "\n" + type;
  const auto needed = headers_needed(all);
  if (needed.fp16 || needed.bf16) out.line("");
  if (needed.fp16) out.line("#include <cuda_fp16.h>");
  if (needed.bf16) out.line("#include <cuda_bf16.h>");
  out.line("");
  out.line(k_math_macros);
  const bool typedefs_last = types_use_preamble(types, preamble);
  if (!typedefs_last) emit_typedefs(out, types);
  out.line(k_device_helpers);
  emit_preamble(out, preamble);
  if (typedefs_last) emit_typedefs(out, types);
}

void emit_type_alias(SourceBuilder& out, Part part, std::string_view type_text, std::string_view alias) {
  out.quote(part, std::string(trim(type_text)));
  out.user(part, "typedef ", trim(type_text), fmt::format(" {};", alias));
}

void emit_signature_params(SourceBuilder& out, const std::vector<ParsedParam>& params,
                           const std::vector<std::string>& extra) {
  const std::size_t total = params.size() + extra.size();
  std::size_t at = 0;
  for (std::size_t k = 0; k < params.size(); ++k, ++at) {
    out.quote(Part::params, params[k].text, static_cast<int>(k));
    out.user(Part::params, "    ", params[k].text, at + 1 < total ? "," : "", static_cast<int>(k));
  }
  for (const auto& line : extra) {
    out.line(fmt::format("    {}{}", line, at + 1 < total ? "," : ""));
    ++at;
  }
}

void emit_size_probe(SourceBuilder& out, const std::vector<std::string>& types) {
  std::string params;
  for (std::size_t k = 0; k < types.size(); ++k)
    params += fmt::format("{}const {} jitcu_{}", k == 0 ? "" : ", ", types[k], k);
  out.line("// never launched: its parameter sizes tell the host sizeof of these types");
  out.line(fmt::format("extern \"C\" __global__ void jitcu_sizes({}) {{}}", params));
}

std::vector<std::uint32_t> probed_sizes(const Module& module) {
  std::vector<std::uint32_t> sizes;
  for (const auto& param : module.kernel("jitcu_sizes").params()) sizes.push_back(param.size_bytes);
  return sizes;
}

}  // namespace jitcu::kernels::detail
