// Grid sizes for the generated kernels: enough resident blocks to fill the device the calling
// thread uses (its multiprocessor count and threads per multiprocessor, from the driver).
#include <jitcu/device.hpp>
#include <jitcu/error.hpp>
#include <jitcu/kernels/detail/generated.hpp>

#include <algorithm>

namespace jitcu::kernels::detail {
namespace {

constexpr std::uint32_t k_default_sm_count = 132;  // no device to ask (compile-only machines)
constexpr std::uint32_t k_default_threads_per_sm = 2048;

struct DeviceShape {
  std::uint32_t multiprocessors = k_default_sm_count;
  std::uint32_t threads_per_multiprocessor = k_default_threads_per_sm;
};

DeviceShape detect_shape() {
  try {
    if (!cuda_available()) return {};
    const auto all = devices();
    const auto ordinal = static_cast<std::size_t>(current_device());
    if (ordinal >= all.size()) return {};
    return {static_cast<std::uint32_t>(all[ordinal].multiprocessors),
            static_cast<std::uint32_t>(all[ordinal].max_threads_per_multiprocessor)};
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

std::uint32_t default_max_blocks(std::uint32_t block, std::uint32_t waves) {
  static const DeviceShape shape = detect_shape();
  const std::uint32_t resident =
      std::max<std::uint32_t>(1, shape.threads_per_multiprocessor / std::max<std::uint32_t>(block, 1));
  return shape.multiprocessors * resident * waves;
}

std::uint32_t grid_blocks(std::uint64_t work_items, std::uint32_t block, std::uint32_t max_blocks, std::uint32_t waves) {
  const std::uint32_t bound = max_blocks != 0 ? max_blocks : default_max_blocks(block, waves);
  const std::uint64_t needed = (work_items + block - 1) / block;
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(needed, 1, bound));
}

}  // namespace jitcu::kernels::detail
