#include "kernel_parameters.hpp"

#include <jitcu/error.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace jitcu::detail {

std::vector<KernelParameter> kernel_parameters(const ModuleState& module, const KernelRecord& record,
                                               std::optional<std::vector<PtxEntry>>& entries) {
  std::vector<KernelParameter> parameters;
  bool has_struct = false;
  for (const auto& p : record.params) {
    const bool by_value = p.kind == ValueKind::bytes;
    has_struct = has_struct || by_value;
    parameters.push_back({p.kind, p.size_bytes, by_value ? 0 : p.size_bytes, p.ptx_type});
  }
  if (!has_struct) return parameters;
  if (module.binary_only) {  // no PTX to ask: the largest alignment its size allows, never less than the kernel's
    for (auto& parameter : parameters) parameter.alignment = parameter.size_bytes & (~parameter.size_bytes + 1);
    return parameters;
  }
  if (!entries) entries = parse_ptx_entries(module.ptx());
  const auto entry = std::find_if(entries->begin(), entries->end(),
                                  [&](const PtxEntry& e) { return e.symbol == record.symbol; });
  if (entry == entries->end() || entry->alignments.size() != parameters.size())
    throw Error(fmt::format("the PTX of '{}' has no entry '{}' with {} parameters; its cache entry may be damaged: "
                            "compile again to replace it", module.source_name, record.symbol, parameters.size()));
  for (std::size_t i = 0; i < parameters.size(); ++i)
    if (parameters[i].kind == ValueKind::bytes) parameters[i].alignment = entry->alignments[i];
  return parameters;
}

}  // namespace jitcu::detail
