#include "module_state.hpp"
#include "ptx.hpp"

#include <jitcu/error.hpp>
#include <jitcu/kernel.hpp>

#include <limits>

#include <fmt/format.h>

namespace jitcu {

Kernel::Kernel(std::shared_ptr<const detail::KernelState> state) : state_(std::move(state)) {}

const std::string& Kernel::symbol() const { return state_->record().symbol; }
const std::string& Kernel::name() const { return state_->record().name; }
const std::vector<ParamInfo>& Kernel::params() const { return state_->record().params; }

void Kernel::check_arguments(std::span<const ArgInfo> args) const {
  if (state_->last_matched.load(std::memory_order_relaxed) == args.data()) return;  // same types as last time
  const auto& params = state_->record().params;
  if (args.size() != params.size())
    throw ArgumentError(fmt::format("kernel '{}' takes {} parameter(s) but the launch passed {} argument(s); "
                                    "nothing was launched",
                                    name(), params.size(), args.size()));
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (auto why = detail::mismatch(params[i], args[i]); !why.empty())
      throw ArgumentError(fmt::format("kernel '{}': parameter {} {}; nothing was launched", name(), i, why));
  }
  state_->last_matched.store(args.data(), std::memory_order_relaxed);
}

namespace {

void check_dims(const char* what, const Dim3& dims, const std::string& kernel) {
  constexpr std::uint64_t k_max = std::numeric_limits<unsigned>::max();
  const std::uint64_t extents[] = {dims.x, dims.y, dims.z};
  const char axes[] = {'x', 'y', 'z'};
  for (int i = 0; i < 3; ++i) {
    if (extents[i] == 0 || extents[i] > k_max)
      throw ArgumentError(fmt::format("kernel '{}': {} dimension {} is {}; it must be 1..{}; nothing was launched",
                                      kernel, what, axes[i], extents[i], k_max));
  }
}

}  // namespace

void Kernel::launch_packed(const LaunchConfig& config, void** params) const {
  check_dims("grid", config.grid, name());
  check_dims("block", config.block, name());
  const auto& module = *state_->module;
  detail::launch_kernel(module.kernel_handle(state_->index), config, params, name());
}

}  // namespace jitcu
