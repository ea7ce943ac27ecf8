#include "driver.hpp"
#include "kernel_parameters.hpp"
#include "module_state.hpp"
#include "names.hpp"
#include "ptx.hpp"

#include <jitcu/error.hpp>
#include <jitcu/kernel.hpp>

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace jitcu {

Kernel::Kernel(std::shared_ptr<const detail::KernelState> state) : state_(std::move(state)) {}

const std::string& Kernel::symbol() const { return state_->record().symbol; }
const std::string& Kernel::name() const { return state_->record().name; }
std::string Kernel::signature() const { return detail::signature(detail::demangle(symbol())); }
const std::vector<ParamInfo>& Kernel::params() const { return state_->record().params; }

void Kernel::check_arguments(std::span<const ArgInfo> args) const {
  // Same types as last time: already checked. An empty pack's data() may be nullptr, which is
  // also "nothing matched yet", so an empty pack is always checked.
  if (!args.empty() && state_->last_matched.load(std::memory_order_relaxed) == args.data()) return;
  check_each_argument(args);
  state_->last_matched.store(args.data(), std::memory_order_relaxed);
}

void Kernel::check_each_argument(std::span<const ArgInfo> args) const {
  const auto& params = state_->record().params;
  if (args.size() != params.size())
    throw ArgumentError(fmt::format("kernel '{}' takes {} parameter(s) but the launch passed {} argument(s); "
                                    "nothing was launched",
                                    name(), params.size(), args.size()));
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (auto why = detail::mismatch(params[i], args[i]); !why.empty())
      throw ArgumentError(fmt::format("kernel '{}': parameter {} {}; nothing was launched", name(), i, why));
  }
}

// A run-time list is checked every time: its infos live in the list, whose address says
// nothing about its types (a typed pack's infos are one static array per type list).
void Kernel::check(const ArgumentList& args) const { check_each_argument(args.infos()); }

void Kernel::launch(const LaunchConfig& config, const ArgumentList& args) const {
  check_each_argument(args.infos());
  auto pointers = args.pointers();
  launch_packed(config, pointers.data());
}

std::vector<KernelParameter> Kernel::parameters() const {
  std::optional<std::vector<detail::PtxEntry>> entries;
  return detail::kernel_parameters(*state_->module, state_->record(), entries);
}

namespace {

constexpr std::uint64_t k_min_block_dim_z = 64;      // what every CUDA device allows
constexpr std::uint64_t k_min_grid_dim_yz = 65535;
constexpr std::uint64_t k_max_block_threads = 1024;  // no CUDA device allows more

void check_extent(const std::string& kernel, const char* what, char axis, std::uint64_t extent, std::uint64_t limit) {
  if (extent == 0 || extent > limit)
    throw LaunchConfigError(fmt::format("kernel '{}': {} dimension {} is {}; it must be 1..{}; nothing was launched",
                                        kernel, what, axis, extent, limit));
}

// The rare checks: reached before a launch that is not the plain kind, and after a plain launch
// the driver refused, to say why. Extents within what every CUDA device allows need no query.
void check_unusual(const detail::KernelState& state, const LaunchConfig& config, detail::KernelHandle handle,
                   const std::string& kernel) {
  const int device = detail::current_device();
  if (config.block.z > k_min_block_dim_z)
    check_extent(kernel, "block", 'z', config.block.z, static_cast<std::uint64_t>(detail::device_limit(device, detail::DeviceLimit::max_block_dim_z)));
  if (config.grid.y > k_min_grid_dim_yz)
    check_extent(kernel, "grid", 'y', config.grid.y, static_cast<std::uint64_t>(detail::device_limit(device, detail::DeviceLimit::max_grid_dim_y)));
  if (config.grid.z > k_min_grid_dim_yz)
    check_extent(kernel, "grid", 'z', config.grid.z, static_cast<std::uint64_t>(detail::device_limit(device, detail::DeviceLimit::max_grid_dim_z)));
  const int max_threads = detail::kernel_max_threads(handle, device);
  const auto threads = config.block.count();
  if (threads > static_cast<std::uint64_t>(max_threads))
    throw LaunchConfigError(fmt::format("kernel '{}': a block of {} threads is more than the {} it can run with ({} "
                                        "registers per thread and its launch bounds); use a smaller block; nothing "
                                        "was launched",
                                        kernel, threads, max_threads, detail::kernel_attributes(handle, device).registers));
  if (config.shared_bytes > state.shared_allowed.load(std::memory_order_relaxed)) {
    const auto attributes = detail::kernel_attributes(handle, device);
    const auto device_max = detail::device_limit(device, detail::DeviceLimit::max_shared_per_block_optin);
    const auto available = static_cast<std::int64_t>(device_max) - attributes.static_shared_bytes;
    if (static_cast<std::int64_t>(config.shared_bytes) > available)
      throw LaunchConfigError(fmt::format("kernel '{}': {} bytes of dynamic shared memory asked for, but this device "
                                          "allows {} per block and the kernel already uses {} statically; nothing "
                                          "was launched",
                                          kernel, config.shared_bytes, device_max, attributes.static_shared_bytes));
    detail::set_max_dynamic_shared(handle, static_cast<int>(config.shared_bytes), device);
    state.shared_allowed.store(config.shared_bytes, std::memory_order_relaxed);
  }
  if (config.cluster.count() > 1) {
    if (!detail::device_limit(device, detail::DeviceLimit::cluster_launch))
      throw LaunchConfigError(fmt::format("kernel '{}': thread-block clusters need compute capability 9.0 or newer; "
                                          "this device cannot launch them", kernel));
    if (config.grid.x % config.cluster.x || config.grid.y % config.cluster.y || config.grid.z % config.cluster.z)
      throw LaunchConfigError(fmt::format("kernel '{}': grid ({}, {}, {}) is not a multiple of cluster ({}, {}, {}); "
                                          "nothing was launched", kernel, config.grid.x, config.grid.y, config.grid.z,
                                          config.cluster.x, config.cluster.y, config.cluster.z));
  }
  if (config.kind == LaunchKind::cooperative) {
    if (!detail::device_limit(device, detail::DeviceLimit::cooperative_launch))
      throw LaunchConfigError(fmt::format("kernel '{}': this device cannot do cooperative launches", kernel));
    const auto per_sm = detail::occupancy_blocks_per_sm(handle, static_cast<int>(threads), config.shared_bytes);
    const auto resident = static_cast<std::uint64_t>(per_sm) *
                          static_cast<std::uint64_t>(detail::device_limit(device, detail::DeviceLimit::multiprocessors));
    if (config.grid.count() > resident)
      throw LaunchConfigError(fmt::format("kernel '{}': a cooperative launch of {} blocks cannot be resident at once; "
                                          "this device holds at most {} blocks of {} threads ({} per multiprocessor); "
                                          "nothing was launched", kernel, config.grid.count(), resident, threads, per_sm));
  }
}

// After the driver refused a plain launch: a LaunchConfigError naming the limit it broke, if
// check_unusual finds one; otherwise the caller rethrows the driver's error.
void explain_refusal(const detail::KernelState& state, const LaunchConfig& config, detail::KernelHandle handle,
                     const std::string& kernel) {
  try {
    check_unusual(state, config, handle, kernel);
  } catch (const LaunchConfigError&) {
    throw;
  } catch (const CudaError&) {
    // The queries failed too (a broken context): the launch's own error says more.
  }
}

}  // namespace

void Kernel::launch_packed(const LaunchConfig& config, void** params) const {
  constexpr std::uint64_t k_max = std::numeric_limits<unsigned>::max();
  const auto& kernel = name();
  check_extent(kernel, "grid", 'x', config.grid.x, k_max);
  check_extent(kernel, "grid", 'y', config.grid.y, k_max);
  check_extent(kernel, "grid", 'z', config.grid.z, k_max);
  check_extent(kernel, "block", 'x', config.block.x, k_max);
  check_extent(kernel, "block", 'y', config.block.y, k_max);
  check_extent(kernel, "block", 'z', config.block.z, k_max);
  const auto& module = *state_->module;
  const auto handle = module.kernel_handle(state_->index);
  // A plain launch goes straight to the driver, which checks the block against the kernel's own
  // limit (registers, __launch_bounds__); only a refusal costs the queries that explain it. A
  // first launch that asked first paid two more driver calls on every cache hit.
  const bool plain = config.block.count() <= k_max_block_threads &&
                     config.shared_bytes <= state_->shared_allowed.load(std::memory_order_relaxed) &&
                     config.grid.y <= k_min_grid_dim_yz && config.grid.z <= k_min_grid_dim_yz &&
                     config.block.z <= k_min_block_dim_z &&
                     config.cluster.count() == 1 && config.kind == LaunchKind::normal;
  if (!plain) check_unusual(*state_, config, handle, kernel);
  try {
    detail::launch_kernel(handle, config, params, kernel);
  } catch (const CudaError&) {
    if (plain) explain_refusal(*state_, config, handle, kernel);
    throw;
  }
}

KernelAttributes Kernel::attributes() const {
  const auto handle = state_->module->kernel_handle(state_->index);
  const auto v = detail::kernel_attributes(handle, detail::current_device());
  return {v.registers, v.static_shared_bytes, v.local_bytes, v.const_bytes, v.max_threads_per_block,
          v.ptx_version, v.binary_version, v.max_dynamic_shared_bytes};
}

int Kernel::max_active_blocks_per_sm(std::uint32_t block_threads, std::uint32_t shared_bytes) const {
  return detail::occupancy_blocks_per_sm(state_->module->kernel_handle(state_->index), static_cast<int>(block_threads),
                                         shared_bytes);
}

std::uint32_t Kernel::suggested_block_size(std::uint32_t shared_bytes) const {
  return static_cast<std::uint32_t>(
      detail::occupancy_block_size(state_->module->kernel_handle(state_->index), shared_bytes).second);
}

LaunchConfig Kernel::config_for(std::uint64_t n, std::uint32_t shared_bytes) const {
  const std::uint32_t block = suggested_block_size(shared_bytes);
  return LaunchConfig{grid_for(n, block), block, shared_bytes, nullptr};
}

LaunchConfig Kernel::config_for_grid_stride(std::uint64_t n, std::uint32_t shared_bytes) const {
  const std::uint32_t block = suggested_block_size(shared_bytes);
  const auto per_sm = static_cast<std::uint64_t>(max_active_blocks_per_sm(block, shared_bytes));
  const auto sms = static_cast<std::uint64_t>(detail::device_limit(detail::current_device(), detail::DeviceLimit::multiprocessors));
  const std::uint64_t resident = std::max<std::uint64_t>(1, per_sm * sms);
  return LaunchConfig{Dim3(std::min(grid_for(n, block).x, resident)), block, shared_bytes, nullptr};
}

namespace detail {

LaunchTimer::LaunchTimer(StreamHandle stream) : stream_(stream), start_(event_create()), end_(nullptr) {
  try {
    end_ = event_create();
    event_record(start_, stream_);
  } catch (...) {
    event_destroy(start_);
    event_destroy(end_);
    throw;
  }
}

LaunchTimer::~LaunchTimer() {
  event_destroy(start_);
  event_destroy(end_);
}

float LaunchTimer::stop() {
  event_record(end_, stream_);
  event_synchronize(end_);
  return event_elapsed_ms(start_, end_);
}

}  // namespace detail
}  // namespace jitcu
