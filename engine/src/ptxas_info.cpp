#include "ptxas_info.hpp"

#include <regex>
#include <sstream>

namespace jitcu::detail {

std::map<std::string, cache::KernelResources> parse_ptxas_info(std::string_view log) {
  static const std::regex entry(R"(Compiling entry function '([^']+)')");
  static const std::regex frame(R"((\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads)");
  static const std::regex used(R"(Used (\d+) registers)");
  static const std::regex smem(R"((\d+) bytes smem)");
  std::map<std::string, cache::KernelResources> found;
  cache::KernelResources* current = nullptr;
  std::istringstream lines{std::string(log)};
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("ptxas")) continue;
    std::smatch m;
    if (std::regex_search(line, m, entry)) {
      current = &found[m[1]];
      continue;
    }
    if (!current) continue;
    if (std::regex_search(line, m, frame)) {
      current->stack_frame_bytes = std::stoll(m[1]);
      current->spill_store_bytes = std::stoll(m[2]);
      current->spill_load_bytes = std::stoll(m[3]);
    }
    if (std::regex_search(line, m, used)) current->registers = std::stoll(m[1]);
    if (std::regex_search(line, m, smem)) current->shared_bytes = std::stoll(m[1]);
  }
  return found;
}

std::string without_ptxas_info(std::string_view log) {
  std::string kept;
  bool diagnostics_kept = false;  // NVRTC's "Remark: The warnings can be suppressed..." footer needs some
  std::istringstream lines{std::string(log)};
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("ptxas") || line.empty() || line.find("precompiled header file") != std::string::npos) continue;
    if (!line.starts_with("Remark:")) diagnostics_kept = true;
    kept += line;
    kept += '\n';
  }
  return diagnostics_kept ? kept : std::string();
}

}  // namespace jitcu::detail
