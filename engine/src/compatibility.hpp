#pragma once
// When the device and NVRTC disagree on versions: which arch to compile for. Pure: no CUDA calls.
#include <vector>

namespace jitcu::detail {

/// The sm number to compile for, and whether it had to be lowered to one NVRTC knows.
struct ArchChoice {
  int sm = 0;
  bool clamped = false;
};

/// The device's own `device_sm` when NVRTC targets it (or when NVRTC knows nothing as old:
/// NVRTC then refuses it by name); else the newest of `supported` below it (as CuPy does),
/// whose PTX the driver JIT-compiles for the device. `supported` may be in any order.
ArchChoice choose_arch(int device_sm, const std::vector<int>& supported);

}  // namespace jitcu::detail
