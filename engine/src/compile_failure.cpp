#include "compile_failure.hpp"

#include "diagnostics.hpp"

#include <jitcu/error.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::detail {
namespace {

/// The targets this NVRTC compiles for, so a refused arch says what to use instead.
std::string arch_advice() {
  const auto [major, minor] = nvrtc_version();
  std::vector<std::string> targets;
  for (const int arch : nvrtc_supported_archs()) targets.push_back(fmt::format("sm_{}", arch));
  return fmt::format("NVRTC {}.{} compiles for {} (or compute_XY of the same numbers, PTX only)", major, minor,
                     fmt::join(targets, ", "));
}

}  // namespace

void throw_compile_failure(const CompileRequest& request, const NvrtcOutput& output) {
  if (!output.invalid_option) throw make_compile_error(request.source, output.log, output.result_name, request.headers);
  static const std::string empty_text = "", empty_name = "jitcu_option_probe.cu";
  const std::vector<std::string> all = request.nvrtc_options();
  const std::vector<std::string> given = request.user_options();
  std::vector<std::string> base(all.begin(), all.end() - static_cast<std::ptrdiff_t>(given.size()));
  const auto refuses = [](const std::vector<std::string>& probe_options) {
    return nvrtc_compile({&empty_text, &empty_name, probe_options, {}}).invalid_option;
  };
  // Of jitcu's own options only the arch can be refused (sm_10 has the right shape); then
  // every probe below would fail too and blame the user's first option.
  std::string refused = refuses(base) ? "-arch=" + request.arch : "";
  for (const auto& option : given) {
    if (!refused.empty()) break;
    auto probe = base;
    probe.push_back(option);
    if (refuses(probe)) refused = option;
  }
  if (refused.empty()) refused = fmt::format("{}", fmt::join(all, " "));
  const std::string advice = refused.starts_with("-arch=") ? arch_advice()
                                                           : "check its spelling and value against NVRTC's supported options";
  throw InvalidOptionError(fmt::format("compiling {}: NVRTC refused the option '{}' (NVRTC_ERROR_INVALID_OPTION){}; {}",
                                       request.source.name(), refused,
                                       output.log.empty() ? "" : fmt::format(": {}", output.log), advice),
                           refused);
}

}  // namespace jitcu::detail
