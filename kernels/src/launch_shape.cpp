// Grid sizes for the generated kernels. The engine cannot report multiprocessor counts or
// occupancy yet, so the count comes from the device's name; replace with the engine's
// occupancy query once it has one.
#include <jitcu/device.hpp>
#include <jitcu/error.hpp>
#include <jitcu/kernels/detail/generated.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>

namespace jitcu::kernels::detail {
namespace {

constexpr std::uint32_t k_default_sm_count = 132;  // H100 SXM / H200: what jitcu is tuned on
constexpr std::uint32_t k_threads_per_sm = 2048;   // sm_80, sm_90, sm_100

struct KnownDevice {
  std::string_view name_part;  // first match wins: more specific names first
  std::uint32_t sm_count;
};

constexpr std::array<KnownDevice, 14> k_known_devices = {{
    {"H100 PCIe", 114},
    {"H100", 132},
    {"H200", 132},
    {"H800", 132},
    {"H20", 78},
    {"GH200", 132},
    {"B200", 148},
    {"A100", 108},
    {"A800", 108},
    {"A30", 56},
    {"L40S", 142},
    {"L40", 142},
    {"L4", 58},
    {"V100", 80},
}};

std::uint32_t sm_count_of(std::string_view device_name) {
  for (const auto& known : k_known_devices)
    if (device_name.find(known.name_part) != std::string_view::npos) return known.sm_count;
  return k_default_sm_count;
}

std::uint32_t detect_sm_count() {
  try {
    if (!cuda_available()) return k_default_sm_count;
    const auto all = devices();
    if (all.empty()) return k_default_sm_count;
    std::size_t ordinal = 0;
    if (const char* chosen = std::getenv("JITCU_DEVICE")) ordinal = std::strtoul(chosen, nullptr, 10);
    return sm_count_of(all.at(std::min(ordinal, all.size() - 1)).name);
  } catch (const Error&) {
    return k_default_sm_count;
  }
}

}  // namespace

std::uint32_t default_max_blocks(std::uint32_t block, std::uint32_t waves) {
  static const std::uint32_t sm_count = detect_sm_count();
  const std::uint32_t resident = std::max<std::uint32_t>(1, k_threads_per_sm / std::max<std::uint32_t>(block, 1));
  return sm_count * resident * waves;
}

std::uint32_t grid_blocks(std::uint64_t work_items, std::uint32_t block, std::uint32_t max_blocks, std::uint32_t waves) {
  const std::uint32_t bound = max_blocks != 0 ? max_blocks : default_max_blocks(block, waves);
  const std::uint64_t needed = (work_items + block - 1) / block;
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(needed, 1, bound));
}

}  // namespace jitcu::kernels::detail
