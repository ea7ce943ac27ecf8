#pragma once
// When the device, NVRTC and the driver disagree on versions: which arch to compile for, and
// what to tell the user when the driver refuses PTX newer than it knows. Pure: no CUDA calls.
#include <string>
#include <string_view>
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

/// "9.0" from PTX's ".version 9.0" line; empty when there is none (a cubin, or not PTX).
std::string ptx_isa_version(std::string_view image);
/// "sm_90" from PTX's ".target sm_90" line; empty when there is none.
std::string ptx_target(std::string_view image);

/// "13.0" for cuDriverGetVersion's 13000.
std::string cuda_version_text(int driver_version);

/// Why a driver refused `image` with CUDA_ERROR_UNSUPPORTED_PTX_VERSION and what to do:
/// names the image's PTX ISA version, the driver's CUDA version and `device_arch` ("sm_90";
/// may be empty when unknown).
std::string unsupported_ptx_advice(std::string_view image, int driver_version, const std::string& device_arch);

}  // namespace jitcu::detail
