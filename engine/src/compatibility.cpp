#include "compatibility.hpp"

#include <algorithm>

namespace jitcu::detail {

ArchChoice choose_arch(int device_sm, const std::vector<int>& supported) {
  if (std::find(supported.begin(), supported.end(), device_sm) != supported.end()) return {device_sm, false};
  int best = 0;
  for (int sm : supported)
    if (sm < device_sm) best = std::max(best, sm);
  if (best == 0) return {device_sm, false};
  return {best, true};
}

}  // namespace jitcu::detail
