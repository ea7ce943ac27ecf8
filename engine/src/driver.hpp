#pragma once
// The CUDA driver, opened with dlopen on first use; the engine's only door to it.
// Handles are opaque here so that only driver.cpp includes <cuda.h>.
#include <jitcu/launch.hpp>
#include <jitcu/texture.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace jitcu::detail {

using LibraryHandle = void*;  // CUlibrary
using KernelHandle = void*;   // CUkernel

/// Makes a context current on this thread if none is: the primary context of $JITCU_DEVICE
/// (default 0), or of `device` when it is not -1.
void ensure_context(int device = -1);
/// The ordinal that ensure_context() uses by default.
int default_device_ordinal();
/// "sm_XY" of a device; throws CudaError.
std::string device_arch(int ordinal);

/// Loads a cubin or PTX image, context-independent (cuLibraryLoadData). `what` names it in errors.
/// `image_kept`: the caller keeps `image` unchanged until unload_library(), so the driver may use
/// it in place instead of copying it (CU_LIBRARY_BINARY_IS_PRESERVED).
LibraryHandle load_library(const std::string& image, const std::string& what, bool image_kept);
void unload_library(LibraryHandle library) noexcept;
/// The kernel `symbol` of a loaded library; throws CudaError. The driver loads lazily, so an
/// image that cannot run here (a cubin of another GPU, PTX newer than the driver) fails here:
/// `image` and `what` (as given to load_library) let the error name it.
KernelHandle library_kernel(LibraryHandle library, const std::string& symbol, const std::string& image,
                            const std::string& what);
/// A kernel of a loaded cubin or fatbin, as the driver describes it.
struct LibraryKernel {
  std::string symbol;
  KernelHandle handle = nullptr;
  std::vector<std::size_t> param_sizes;
};
/// Every kernel of a loaded library, with its parameters' sizes, checked to load on this GPU;
/// throws CudaError (also for a driver older than CUDA 12.4). `what` names the image in errors.
std::vector<LibraryKernel> library_kernels(LibraryHandle library, const std::string& what);

/// Launches; `what` (the kernel's name) appears in errors.
void launch_kernel(KernelHandle kernel, const LaunchConfig& config, void** params, const std::string& what);

unsigned long long mem_alloc(std::size_t bytes);
void mem_free(unsigned long long ptr) noexcept;
/// Synchronous copies.
void memcpy_htod(unsigned long long dst, const void* src, std::size_t bytes);
void memcpy_dtoh(void* dst, unsigned long long src, std::size_t bytes);
/// Copies queued on `stream` (nullptr: the legacy default stream).
void memcpy_htod_async(unsigned long long dst, const void* src, std::size_t bytes, StreamHandle stream);
void memcpy_dtoh_async(void* dst, unsigned long long src, std::size_t bytes, StreamHandle stream);
void memset_d8(unsigned long long dst, unsigned char value, std::size_t bytes);
void stream_synchronize(StreamHandle stream);

/// A kernel's attributes on one device (cuKernelGetAttribute).
struct KernelAttributeValues {
  int registers = 0;
  int static_shared_bytes = 0;
  int local_bytes = 0;
  int const_bytes = 0;
  int max_threads_per_block = 0;
  int ptx_version = 0;
  int binary_version = 0;
  int max_dynamic_shared_bytes = 0;
};
KernelAttributeValues kernel_attributes(KernelHandle kernel, int device);
/// The largest block the kernel can launch with on `device` (one driver call).
int kernel_max_threads(KernelHandle kernel, int device);
/// Lets the kernel use up to `bytes` of dynamic shared memory on `device` (the >48 KiB opt-in).
void set_max_dynamic_shared(KernelHandle kernel, int bytes, int device);
/// Blocks of `block_size` threads that fit on one SM at once.
int occupancy_blocks_per_sm(KernelHandle kernel, int block_size, std::size_t dynamic_shared_bytes);
/// {min grid size for full occupancy, block size} (cuOccupancyMaxPotentialBlockSize).
std::pair<int, int> occupancy_block_size(KernelHandle kernel, std::size_t dynamic_shared_bytes);

/// Device attributes jitcu checks launches against.
enum class DeviceLimit {
  multiprocessors,
  max_block_dim_z,
  max_grid_dim_y,
  max_grid_dim_z,
  max_shared_per_block_optin,
  cooperative_launch,
  cluster_launch,
};
int device_limit(int ordinal, DeviceLimit which);
/// The device of the current context (ensure_context first).
int current_device();

/// {address, bytes} of a __device__/__constant__ variable in a loaded library.
std::pair<unsigned long long, std::size_t> library_global(LibraryHandle library, const std::string& name);

/// A new stream: blocking (it waits for the legacy stream) unless `non_blocking`.
StreamHandle stream_create(bool non_blocking);
void stream_destroy(StreamHandle stream) noexcept;
void* event_create();
void event_destroy(void* event) noexcept;
void event_record(void* event, StreamHandle stream);
void event_synchronize(void* event);
float event_elapsed_ms(void* start, void* end);
void* host_alloc_pinned(std::size_t bytes);
void host_free_pinned(void* ptr) noexcept;

/// CUDA arrays, textures and surfaces (texture.hpp's types call these).
void* array_create(ChannelType type, int channels, std::size_t width, std::size_t height, ArrayUse use);
void array_destroy(void* array) noexcept;
void array_copy_from_host(void* array, const void* host, std::size_t row_bytes, std::size_t rows);
void array_copy_to_host(void* host, void* array, std::size_t row_bytes, std::size_t rows);
void array_copy_from_device(void* array, unsigned long long device, std::size_t row_bytes, std::size_t rows);
void array_copy_to_device(unsigned long long device, void* array, std::size_t row_bytes, std::size_t rows);
unsigned long long texture_create_for_array(void* array, const TextureOptions& options);
unsigned long long texture_create_for_linear(unsigned long long ptr, std::size_t bytes, ChannelType type, int channels,
                                             const TextureOptions& options);
void texture_destroy(unsigned long long texture) noexcept;
unsigned long long surface_create(void* array);
void surface_destroy(unsigned long long surface) noexcept;
/// Element size in bytes of one channel.
std::size_t channel_bytes(ChannelType type);

/// True when `error` (a CudaError) says the image has no code for this GPU, so PTX may help.
bool is_wrong_binary_error(int cuda_result);

}  // namespace jitcu::detail
