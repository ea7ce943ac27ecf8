#pragma once
// The start of every generated source: what it is, headers, placeholder typedefs, helpers, preamble.
#include "codegen.hpp"
#include "syntax.hpp"

#include <jitcu/kernels/type_names.hpp>

#include <string_view>
#include <vector>

namespace jitcu::kernels::detail {

/// Emits the header comment (`summary`, one or more lines), cuda_fp16.h / cuda_bf16.h when
/// `user_text` or the types name half or bfloat16 types, `typedef <type> <placeholder>;`
/// for each binding, the device helpers and the preamble. The typedefs come after the
/// preamble only when a bound type is declared there (a struct of the user's).
void emit_prelude(SourceBuilder& out, std::string_view summary, const TypeMap& types, std::string_view user_text,
                  std::string_view preamble);

/// Emits `typedef <resolved text> <alias>;` for a type written by the user in `part`.
void emit_type_alias(SourceBuilder& out, Part part, std::string_view type_text, std::string_view alias);

/// The parameter list of the kernel's signature, one parameter a line (each maps back to
/// its parameter), then `extra` lines (the generator's own parameters), joined by commas.
void emit_signature_params(SourceBuilder& out, const std::vector<ParsedParam>& params,
                           const std::vector<std::string>& extra);

/// Emits `jitcu_sizes`, a kernel never launched whose parameters are `types` by value: its
/// parameter sizes (read with probed_sizes) are the device's sizeof of each.
void emit_size_probe(SourceBuilder& out, const std::vector<std::string>& types);

/// sizeof of each type given to emit_size_probe, from the compiled module.
std::vector<std::uint32_t> probed_sizes(const Module& module);

}  // namespace jitcu::kernels::detail
