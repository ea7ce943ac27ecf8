#pragma once
// Per-kernel resource use from ptxas's verbose lines in NVRTC's log (works with no GPU).
#include <map>
#include <string>
#include <string_view>

namespace jitcu::detail {

struct KernelResources {
  int registers = 0;
  int spill_store_bytes = 0;
  int spill_load_bytes = 0;
  int stack_frame_bytes = 0;
  int shared_bytes = 0;  // static shared memory
};

/// Symbol -> resources, from "ptxas info : Compiling entry function 'k' ..." blocks.
std::map<std::string, KernelResources> parse_ptxas_info(std::string_view log);
/// The log without ptxas's info lines and NVRTC's PCH notes, and empty when only NVRTC's
/// "Remark: ..." footer would be left: what is worth showing a person (warnings).
std::string without_ptxas_info(std::string_view log);

}  // namespace jitcu::detail
