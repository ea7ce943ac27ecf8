#pragma once
// Per-kernel resource use from ptxas's verbose lines in NVRTC's log (works with no GPU).
#include <jitcu/cache/entry.hpp>

#include <map>
#include <string>
#include <string_view>

namespace jitcu::detail {

/// Symbol -> resources, from "ptxas info : Compiling entry function 'k' ..." blocks.
std::map<std::string, cache::KernelResources> parse_ptxas_info(std::string_view log);
/// The log without ptxas's info lines and NVRTC's PCH notes, and empty when only NVRTC's
/// "Remark: ..." footer would be left: what is worth showing a person (warnings).
std::string without_ptxas_info(std::string_view log);

}  // namespace jitcu::detail
