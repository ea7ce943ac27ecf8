#include "ptx.hpp"

#include <charconv>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split_tokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) tokens.push_back(text.substr(start, i - start));
  }
  return tokens;
}

// ".u32" -> 4 bytes; 0 for anything that is not a scalar type.
std::uint32_t scalar_bytes(std::string_view type) {
  if (type.size() < 3 || type[0] != '.') return 0;
  const char family = type[1];
  if (family != 'u' && family != 's' && family != 'b' && family != 'f') return 0;
  unsigned bits = 0;
  auto [end, ec] = std::from_chars(type.data() + 2, type.data() + type.size(), bits);
  if (ec != std::errc() || end != type.data() + type.size() || bits % 8 != 0) return 0;
  return bits / 8;
}

}  // namespace

ParamInfo parse_ptx_param(std::string_view declaration) {
  ParamInfo param;
  std::string_view type;
  std::string_view name;
  for (auto token : split_tokens(declaration)) {
    if (token == ".param" || token == ".ptr" || token == ".align" || token.starts_with(".global") ||
        token.starts_with(".const") || token.starts_with(".shared") || token.starts_with(".local"))
      continue;
    if (scalar_bytes(token) != 0) type = token;
    else name = token;  // the last non-type token is the name (after .align N)
  }
  const std::uint32_t element = scalar_bytes(type);
  if (auto open = name.find('['); open != std::string_view::npos) {
    unsigned count = 0;
    std::from_chars(name.data() + open + 1, name.data() + name.size(), count);
    param.size_bytes = element * count;
    param.kind = ValueKind::bytes;
    param.ptx_type = fmt::format("{}[{}]", type, count);
    return param;
  }
  param.size_bytes = element;
  param.ptx_type = std::string(type);
  param.kind = type.size() > 1 && type[1] == 'f' ? ValueKind::floating : ValueKind::integer;
  return param;
}

std::uint32_t parse_ptx_param_alignment(std::string_view declaration) {
  const auto tokens = split_tokens(declaration);
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i] != ".align") continue;
    unsigned alignment = 0;
    std::from_chars(tokens[i + 1].data(), tokens[i + 1].data() + tokens[i + 1].size(), alignment);
    if (alignment > 0) return alignment;
  }
  for (auto token : tokens)
    if (auto bytes = scalar_bytes(token)) return bytes;
  return 1;
}

std::vector<PtxEntry> parse_ptx_entries(std::string_view ptx) {
  std::vector<PtxEntry> entries;
  for (std::size_t at = ptx.find(".entry"); at != std::string_view::npos; at = ptx.find(".entry", at + 6)) {
    // Only a directive: ".entry" preceded by a line start, space or ".visible"/".weak".
    if (at > 0 && !std::isspace(static_cast<unsigned char>(ptx[at - 1]))) continue;
    const std::size_t open = ptx.find('(', at);
    const std::size_t close = ptx.find(')', open);
    if (open == std::string_view::npos || close == std::string_view::npos) break;
    PtxEntry entry;
    entry.symbol = std::string(trim(ptx.substr(at + 6, open - at - 6)));
    std::string_view list = ptx.substr(open + 1, close - open - 1);
    while (!trim(list).empty()) {
      const std::size_t comma = list.find(',');
      entry.params.push_back(parse_ptx_param(list.substr(0, comma)));
      entry.alignments.push_back(parse_ptx_param_alignment(list.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

namespace {
const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::integer: return "an integer";
    case ValueKind::floating: return "a floating-point value";
    case ValueKind::pointer: return "a pointer";
    case ValueKind::bytes: return "a struct";
  }
  return "a value";
}
}  // namespace

std::string mismatch(const ParamInfo& param, const ArgInfo& arg) {
  if (param.size_bytes != arg.size_bytes)
    return fmt::format("takes {} bytes ({}) but got '{}', {} bytes", param.size_bytes, param.ptx_type,
                       arg.type_name, arg.size_bytes);
  const bool int_vs_float = (param.kind == ValueKind::floating &&
                             (arg.kind == ValueKind::integer || arg.kind == ValueKind::pointer)) ||
                            (param.kind == ValueKind::integer && arg.kind == ValueKind::floating);
  if (int_vs_float)
    return fmt::format("takes {} ({}) but got '{}', {}", kind_name(param.kind), param.ptx_type,
                       arg.type_name, kind_name(arg.kind));
  return {};
}

}  // namespace jitcu::detail
