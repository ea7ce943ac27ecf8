#pragma once
// The CUDA driver, opened with dlopen on first use; the engine's only door to it.
// Handles are opaque here so that only driver.cpp includes <cuda.h>.
#include <jitcu/launch.hpp>

#include <cstddef>
#include <string>

namespace jitcu::detail {

using LibraryHandle = void*;  // CUlibrary
using KernelHandle = void*;   // CUkernel

/// Loads libcuda.so.1 and runs cuInit once; throws CudaError ("no CUDA driver found: ...").
void require_driver();
/// Makes a context current on this thread if none is: the primary context of $JITCU_DEVICE
/// (default 0), or of `device` when it is not -1.
void ensure_context(int device = -1);
/// The ordinal that ensure_context() uses by default.
int default_device_ordinal();
/// "sm_XY" of a device; throws CudaError.
std::string device_arch(int ordinal);

/// Loads a cubin or PTX image, context-independent (cuLibraryLoadData). `what` names it in errors.
LibraryHandle load_library(const std::string& image, const std::string& what);
void unload_library(LibraryHandle library) noexcept;
/// The kernel `symbol` of a loaded library; throws CudaError.
KernelHandle library_kernel(LibraryHandle library, const std::string& symbol);
/// Launches; `what` (the kernel's name) appears in errors.
void launch_kernel(KernelHandle kernel, const LaunchConfig& config, void** params, const std::string& what);

unsigned long long mem_alloc(std::size_t bytes);
void mem_free(unsigned long long ptr) noexcept;
void memcpy_htod(unsigned long long dst, const void* src, std::size_t bytes, StreamHandle stream);
void memcpy_dtoh(void* dst, unsigned long long src, std::size_t bytes, StreamHandle stream);
void memset_d8(unsigned long long dst, unsigned char value, std::size_t bytes);
void stream_synchronize(StreamHandle stream);

/// True when `error` (a CudaError) says the image has no code for this GPU, so PTX may help.
bool is_wrong_binary_error(int cuda_result);

}  // namespace jitcu::detail
