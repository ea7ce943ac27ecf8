#pragma once
// Reads kernel entries and their parameters out of PTX text.
#include <jitcu/kernel.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace jitcu::detail {

/// One `.entry` of a PTX module.
struct PtxEntry {
  std::string symbol;
  std::vector<ParamInfo> params;
  std::vector<std::uint32_t> alignments;  // of each parameter, in bytes
};

/// Every kernel entry in `ptx`, in order of appearance.
std::vector<PtxEntry> parse_ptx_entries(std::string_view ptx);

/// Parses one parameter declaration such as ".param .align 4 .b8 k_param_1[12]".
ParamInfo parse_ptx_param(std::string_view declaration);
/// The alignment of such a declaration: its .align, else its element's size.
std::uint32_t parse_ptx_param_alignment(std::string_view declaration);

/// Empty when an argument fits a parameter, else why not (for ArgumentError).
std::string mismatch(const ParamInfo& param, const ArgInfo& arg);

}  // namespace jitcu::detail
