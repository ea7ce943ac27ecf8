#pragma once
// What the driver says about the machine: versions and devices. Loads libcuda on first use.
#include <string>
#include <vector>

namespace jitcu {

/// One CUDA device.
struct DeviceInfo {
  int ordinal = 0;                                  ///< the device's number, as JITCU_DEVICE takes it
  std::string name;                                 ///< e.g. "NVIDIA H100 80GB HBM3"
  int major = 0;                                    ///< compute capability, major part (9 for 9.0)
  int minor = 0;                                    ///< compute capability, minor part
  unsigned long long total_memory_bytes = 0;        ///< global memory
  int multiprocessors = 0;                          ///< streaming multiprocessors
  int max_threads_per_multiprocessor = 0;           ///< resident threads one multiprocessor holds
  /// "sm_90" for compute capability 9.0.
  std::string arch() const { return "sm_" + std::to_string(major * 10 + minor); }
};

/// True when libcuda.so.1 loads and cuInit succeeds with at least one device.
bool cuda_available();
/// Why cuda_available() is false (empty when it is true).
std::string cuda_unavailable_reason();
/// The driver's CUDA version as cuDriverGetVersion gives it (13000 for 13.0). Throws CudaError.
int driver_version();
/// Every device the driver sees. Throws CudaError when there is no driver.
std::vector<DeviceInfo> devices();
/// Makes device `ordinal`'s primary context current on this thread: later allocations and
/// launches from this thread go to it. Throws CudaError for a device that does not exist.
void use_device(int ordinal);
/// The device this thread's allocations and launches go to.
int current_device();

/// Waits for all work on the current context (cuCtxSynchronize); throws CudaError.
void synchronize();

}  // namespace jitcu
