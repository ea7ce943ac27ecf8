#pragma once
// A kernel's parameters as Kernel::parameters() and Module::kernels() give them: with alignments.
#include "module_state.hpp"
#include "ptx.hpp"

#include <jitcu/kernel.hpp>

#include <optional>
#include <vector>

namespace jitcu::detail {

/// The parameters of `record`, a kernel of `module`. A struct's alignment is only in the PTX:
/// `entries` holds the module's parsed PTX, parsed on first need and kept for the next kernel.
std::vector<KernelParameter> kernel_parameters(const ModuleState& module, const KernelRecord& record,
                                               std::optional<std::vector<PtxEntry>>& entries);

}  // namespace jitcu::detail
