#pragma once
// Turning a failed NVRTC run into the error a user can act on.
#include "compile_request.hpp"
#include "nvrtc.hpp"

namespace jitcu::detail {

/// Throws CompileError with NVRTC's log for a program NVRTC refused, or an error naming the
/// option NVRTC refused (it only says NVRTC_ERROR_INVALID_OPTION, so each option is tried).
[[noreturn]] void throw_compile_failure(const CompileRequest& request, const NvrtcOutput& output);

}  // namespace jitcu::detail
