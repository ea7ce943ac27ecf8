// The only file that includes <cuda.h>: opens libcuda.so.1 at run time and wraps what jitcu uses.
#include "driver.hpp"
#include "compatibility.hpp"

#include <jitcu/base/log.hpp>
#include <jitcu/device.hpp>
#include <jitcu/error.hpp>
#include <jitcu/interop.hpp>

#include <cuda.h>
#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <type_traits>

#include <fmt/format.h>

static_assert(std::is_same_v<jitcu::StreamHandle, CUstream>);
static_assert(std::is_same_v<jitcu::ContextHandle, CUcontext>);
static_assert(std::is_same_v<jitcu::DevicePtr, CUdeviceptr>);

namespace jitcu::detail {
namespace {

// Every driver entry point jitcu calls; versioned ones come from cuGetProcAddress.
#define JITCU_DRIVER_FUNCTIONS(X)                                                            \
  X(cuInit) X(cuDriverGetVersion) X(cuGetErrorName) X(cuGetErrorString) X(cuDeviceGet)        \
  X(cuDeviceGetCount) X(cuDeviceGetName) X(cuDeviceGetAttribute) X(cuDeviceTotalMem)          \
  X(cuDevicePrimaryCtxRetain) X(cuCtxGetCurrent) X(cuCtxSetCurrent) X(cuCtxSynchronize)       \
  X(cuLibraryLoadData) X(cuLibraryUnload) X(cuLibraryGetKernel) X(cuLaunchKernel)             \
  X(cuMemAlloc) X(cuMemFree) X(cuMemcpyHtoD) X(cuMemcpyDtoH) X(cuMemcpyHtoDAsync)             \
  X(cuMemcpyDtoHAsync) X(cuMemsetD8) X(cuStreamSynchronize) X(cuLaunchKernelEx)                \
  X(cuKernelGetAttribute) X(cuKernelSetAttribute) X(cuKernelGetFunction) X(cuCtxGetDevice)     \
  X(cuOccupancyMaxActiveBlocksPerMultiprocessor) X(cuOccupancyMaxPotentialBlockSize)          \
  X(cuLibraryGetGlobal) X(cuStreamCreate) X(cuStreamDestroy) X(cuEventCreate)                 \
  X(cuEventDestroy) X(cuEventRecord) X(cuEventSynchronize) X(cuEventElapsedTime)              \
  X(cuMemHostAlloc) X(cuMemFreeHost) X(cuArray3DCreate) X(cuArrayDestroy) X(cuMemcpy2D)        \
  X(cuTexObjectCreate) X(cuTexObjectDestroy) X(cuSurfObjectCreate) X(cuSurfObjectDestroy)

// CUDA 12.4's, for reading the kernels of a cubin or fatbin (Module::load_binary) only: a driver
// without them still compiles, loads and launches everything else.
#define JITCU_DRIVER_FUNCTIONS_12_4(X) \
  X(cuLibraryGetKernelCount) X(cuLibraryEnumerateKernels) X(cuKernelGetName) X(cuKernelGetParamInfo)
constexpr int k_driver_api_version_12_4 = 12040;

struct DriverTable {
#define JITCU_DECLARE(fn) decltype(&::fn) fn = nullptr;
  JITCU_DRIVER_FUNCTIONS(JITCU_DECLARE)
  JITCU_DRIVER_FUNCTIONS_12_4(JITCU_DECLARE)
#undef JITCU_DECLARE
};

struct DriverState {
  DriverTable table;
  std::string failure;  // why the driver is unusable; empty when it is fine
};

// The ABI every entry point is fetched at. Not CUDA_VERSION: at 13000 the driver hands back
// cuCtxSynchronize_v2(CUcontext) and cuCtxGetDevice_v2(CUdevice*, CUcontext) for the plain
// names, which cuda.h declares (and jitcu calls) with the 12.x signatures.
constexpr int k_driver_api_version = 12000;

std::string load_table(DriverTable& table) {
  void* handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* reason = dlerror();
    return fmt::format("dlopen(\"libcuda.so.1\") failed: {}", reason ? reason : "unknown reason");
  }
  using GetProc = CUresult (*)(const char*, void**, int, cuuint64_t, CUdriverProcAddressQueryResult*);
  auto get_proc = reinterpret_cast<GetProc>(dlsym(handle, "cuGetProcAddress_v2"));
  if (!get_proc) return "libcuda.so.1 has no cuGetProcAddress_v2: the driver is older than CUDA 12; update it";
#define JITCU_RESOLVE(fn)                                                                         \
  {                                                                                               \
    void* address = nullptr;                                                                      \
    CUdriverProcAddressQueryResult found{};                                                       \
    if (get_proc(#fn, &address, k_driver_api_version, CU_GET_PROC_ADDRESS_DEFAULT, &found) !=      \
            CUDA_SUCCESS ||                                                                       \
        !address)                                                                                 \
      return fmt::format("the driver lacks {} (needs CUDA 12 or newer): update the NVIDIA driver", #fn); \
    table.fn = reinterpret_cast<decltype(table.fn)>(address);                                     \
  }
  JITCU_DRIVER_FUNCTIONS(JITCU_RESOLVE)
#undef JITCU_RESOLVE
#define JITCU_RESOLVE_IF_THERE(fn)                                                                  \
  {                                                                                               \
    void* address = nullptr;                                                                      \
    CUdriverProcAddressQueryResult found{};                                                       \
    if (get_proc(#fn, &address, k_driver_api_version_12_4, CU_GET_PROC_ADDRESS_DEFAULT, &found) == \
        CUDA_SUCCESS)                                                                             \
      table.fn = reinterpret_cast<decltype(table.fn)>(address);                                   \
  }
  JITCU_DRIVER_FUNCTIONS_12_4(JITCU_RESOLVE_IF_THERE)
#undef JITCU_RESOLVE_IF_THERE
  if (CUresult rc = table.cuInit(0); rc != CUDA_SUCCESS) {
    const char* name = nullptr;
    table.cuGetErrorName(rc, &name);
    return fmt::format("cuInit failed: {} (is a GPU visible to this process? check "
                       "CUDA_VISIBLE_DEVICES and nvidia-smi)", name ? name : "unknown error");
  }
  return {};
}

DriverState& state() {
  static DriverState* loaded = [] {
    auto* made = new DriverState;  // never destroyed: CUDA handles may outlive static destructors
    made->failure = load_table(made->table);
    if (!made->failure.empty()) log().debug("CUDA driver unavailable: {}", made->failure);
    return made;
  }();
  return *loaded;
}

const DriverTable& driver() {
  DriverState& s = state();
  if (!s.failure.empty())
    throw CudaError("cuInit", 0, "",
                    fmt::format("no CUDA driver found: {}; compiling and caching work without one, "
                                "launching needs an NVIDIA driver and GPU",
                                s.failure));
  return s.table;
}

std::string result_name(CUresult rc) {
  const char* name = nullptr;
  if (state().table.cuGetErrorName && state().table.cuGetErrorName(rc, &name) == CUDA_SUCCESS && name)
    return name;
  return fmt::format("CUresult {}", static_cast<int>(rc));
}

std::string result_text(CUresult rc) {
  const char* text = nullptr;
  if (state().table.cuGetErrorString && state().table.cuGetErrorString(rc, &text) == CUDA_SUCCESS && text)
    return text;
  return "no description";
}

// What a sticky error means for the process, added to messages that carry one.
std::string advice(CUresult rc) {
  switch (rc) {
    case CUDA_ERROR_ILLEGAL_ADDRESS:
    case CUDA_ERROR_ASSERT:
    case CUDA_ERROR_LAUNCH_FAILED:
    case CUDA_ERROR_HARDWARE_STACK_ERROR:
    case CUDA_ERROR_ILLEGAL_INSTRUCTION:
    case CUDA_ERROR_MISALIGNED_ADDRESS:
      return "; this error is sticky: the context is unusable and the process must restart to use the GPU again";
    case CUDA_ERROR_OUT_OF_MEMORY:
      return "; free device memory or use smaller buffers";
    case CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
      return "; the driver is older than NVRTC: update the driver or compile for the device's sm_XY";
    case CUDA_ERROR_NO_BINARY_FOR_GPU:
      return "; the code was compiled for another GPU: compile for this device's arch";
    default:
      return "";
  }
}

// "<fn> failed: <name> (<text>) while <doing><advice>", with the raw CUresult kept.
CudaError cuda_error(const char* fn, CUresult rc, const std::string& doing, const std::string& advice_text) {
  return CudaError(fn, static_cast<int>(rc), result_name(rc),
                   fmt::format("{} failed: {} ({}) while {}{}", fn, result_name(rc), result_text(rc), doing, advice_text));
}

/// Gives a driver object back from a destructor: a failure is logged, not thrown, and nothing is
/// called once the driver is unusable.
template <class Call, class Handle>
void release(Call DriverTable::*call, const char* name, Handle handle) noexcept {
  if (!handle || !state().failure.empty()) return;
  if (CUresult rc = (state().table.*call)(handle); rc != CUDA_SUCCESS) log().warn("{} failed: {}", name, result_name(rc));
}

}  // namespace

#define JITCU_CU(fn, args, ...)                                                                 \
  do {                                                                                         \
    if (CUresult rc_ = ::jitcu::detail::driver().fn args; rc_ != CUDA_SUCCESS)                 \
      throw ::jitcu::detail::cuda_error(#fn, rc_, fmt::format(__VA_ARGS__), ::jitcu::detail::advice(rc_)); \
  } while (false)

int default_device_ordinal() {
  static const int ordinal = [] {
    const char* text = std::getenv("JITCU_DEVICE");
    if (!text || !*text) return 0;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < 0 || value > std::numeric_limits<int>::max()) {
      log().warn("JITCU_DEVICE='{}' is not a device ordinal; using device 0", text);
      return 0;
    }
    return static_cast<int>(value);
  }();
  return ordinal;
}

namespace {

CUcontext primary_context(int ordinal) {
  static std::mutex mutex;
  static std::vector<CUcontext> contexts;  // retained for the life of the process
  std::lock_guard lock(mutex);
  if (contexts.size() <= static_cast<std::size_t>(ordinal)) contexts.resize(static_cast<std::size_t>(ordinal) + 1);
  CUcontext& context = contexts[static_cast<std::size_t>(ordinal)];
  if (context) return context;
  int count = 0;
  JITCU_CU(cuDeviceGetCount, (&count), "counting devices");
  if (ordinal >= count)
    throw CudaError("cuDeviceGet", static_cast<int>(CUDA_ERROR_INVALID_DEVICE), "CUDA_ERROR_INVALID_DEVICE",
                    fmt::format("device {} does not exist: this machine has {} CUDA device(s); set "
                                "JITCU_DEVICE to 0..{}", ordinal, count, count - 1));
  CUdevice device{};
  JITCU_CU(cuDeviceGet, (&device, ordinal), "getting device {}", ordinal);
  JITCU_CU(cuDevicePrimaryCtxRetain, (&context, device), "retaining the primary context of device {}", ordinal);
  return context;
}

}  // namespace

void ensure_context(int device) {
  CUcontext current = nullptr;
  JITCU_CU(cuCtxGetCurrent, (&current), "asking for the current context");
  if (current && device < 0) return;
  CUcontext wanted = primary_context(device < 0 ? default_device_ordinal() : device);
  if (current == wanted) return;
  JITCU_CU(cuCtxSetCurrent, (wanted), "making device {}'s context current", device);
}

std::string device_arch(int ordinal) {
  CUdevice device{};
  JITCU_CU(cuDeviceGet, (&device, ordinal), "getting device {}", ordinal);
  int major = 0, minor = 0;
  JITCU_CU(cuDeviceGetAttribute, (&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "querying device {}", ordinal);
  JITCU_CU(cuDeviceGetAttribute, (&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "querying device {}", ordinal);
  return "sm_" + std::to_string(major) + std::to_string(minor);  // no fmt: on every cache hit's path
}

namespace {

// The arch of the current context's device, for advice; empty if even that fails.
std::string current_arch_or_empty() noexcept {
  try {
    return device_arch(current_device());
  } catch (...) {
    return {};
  }
}

// The driver's JIT refused PTX newer than it knows: name the image's PTX ISA version and the
// driver's CUDA version, and say what to do.
std::string unsupported_ptx_text(const std::string& image) {
  int version = 0;
  if (driver().cuDriverGetVersion(&version) != CUDA_SUCCESS) version = 0;
  return "; " + unsupported_ptx_advice(image, version, current_arch_or_empty());
}

}  // namespace

LibraryHandle load_library(const std::string& image, const std::string& what, bool image_kept) {
  ensure_context();
  CUlibrary library = nullptr;
  // Without the hint the driver copies the image: a second copy of every module, and on a cache
  // hit in a new process two more fresh heap pages for the seed kernel's cubin.
  CUlibraryOption options[] = {CU_LIBRARY_BINARY_IS_PRESERVED};
  void* values[] = {reinterpret_cast<void*>(std::uintptr_t{1})};
  const CUresult rc = driver().cuLibraryLoadData(&library, image.data(), nullptr, nullptr, 0, options, values,
                                                 image_kept ? 1u : 0u);
  if (rc == CUDA_SUCCESS) return library;
  throw cuda_error("cuLibraryLoadData", rc, "loading " + what,
                   rc == CUDA_ERROR_UNSUPPORTED_PTX_VERSION ? unsupported_ptx_text(image) : advice(rc));
}

void unload_library(LibraryHandle library) noexcept {
  release(&DriverTable::cuLibraryUnload, "cuLibraryUnload", static_cast<CUlibrary>(library));
}

KernelHandle library_kernel(LibraryHandle library, const std::string& symbol, const std::string& image,
                            const std::string& what) {
  CUkernel kernel = nullptr;
  const CUresult rc = driver().cuLibraryGetKernel(&kernel, static_cast<CUlibrary>(library), symbol.c_str());
  if (rc == CUDA_SUCCESS) return kernel;
  // With lazy loading (the driver's default) an image that cannot run here fails here, not at the load.
  throw cuda_error("cuLibraryGetKernel", rc, fmt::format("getting kernel '{}' of {}", symbol, what),
                   rc == CUDA_ERROR_UNSUPPORTED_PTX_VERSION ? unsupported_ptx_text(image) : advice(rc));
}

std::vector<LibraryKernel> library_kernels(LibraryHandle library, const std::string& what) {
  const DriverTable& d = driver();
  if (!d.cuLibraryEnumerateKernels || !d.cuKernelGetName || !d.cuKernelGetParamInfo || !d.cuLibraryGetKernelCount)
    throw CudaError("cuLibraryEnumerateKernels", 0, "",
                    fmt::format("reading the kernels of {} needs a driver of CUDA 12.4 or newer: update the NVIDIA "
                                "driver, or load the PTX instead (Module::load_ptx)", what));
  const auto lib = static_cast<CUlibrary>(library);
  unsigned count = 0;
  JITCU_CU(cuLibraryGetKernelCount, (&count, lib), "counting the kernels of {}", what);
  std::vector<CUkernel> handles(count);
  if (count > 0) JITCU_CU(cuLibraryEnumerateKernels, (handles.data(), count, lib), "listing the kernels of {}", what);
  std::vector<LibraryKernel> kernels;
  for (CUkernel handle : handles) {
    const char* name = nullptr;
    JITCU_CU(cuKernelGetName, (&name, handle), "naming a kernel of {}", what);
    LibraryKernel kernel{name ? name : "", handle, {}};
    // The driver answers CUDA_ERROR_INVALID_VALUE past the last parameter.
    std::size_t offset = 0, size = 0;
    while (d.cuKernelGetParamInfo(handle, kernel.param_sizes.size(), &offset, &size) == CUDA_SUCCESS)
      kernel.param_sizes.push_back(size);
    kernels.push_back(std::move(kernel));
  }
  // The driver loads lazily: a cubin of another GPU fails at the first lookup in a context.
  if (!handles.empty()) {
    ensure_context();
    CUfunction function = nullptr;
    const CUresult rc = d.cuKernelGetFunction(&function, handles.front());
    if (rc != CUDA_SUCCESS) throw cuda_error("cuKernelGetFunction", rc, "loading " + what, advice(rc));
  }
  return kernels;
}

void launch_kernel(KernelHandle kernel, const LaunchConfig& c, void** params, const std::string& what) {
  ensure_context();
  if (c.kind == LaunchKind::cooperative || c.cluster.count() > 1) {
    CUlaunchAttribute attributes[2] = {};
    unsigned count = 0;
    if (c.kind == LaunchKind::cooperative) {
      attributes[count].id = CU_LAUNCH_ATTRIBUTE_COOPERATIVE;
      attributes[count++].value.cooperative = 1;
    }
    if (c.cluster.count() > 1) {
      attributes[count].id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
      attributes[count].value.clusterDim.x = static_cast<unsigned>(c.cluster.x);
      attributes[count].value.clusterDim.y = static_cast<unsigned>(c.cluster.y);
      attributes[count++].value.clusterDim.z = static_cast<unsigned>(c.cluster.z);
    }
    CUlaunchConfig config{};
    config.gridDimX = static_cast<unsigned>(c.grid.x);
    config.gridDimY = static_cast<unsigned>(c.grid.y);
    config.gridDimZ = static_cast<unsigned>(c.grid.z);
    config.blockDimX = static_cast<unsigned>(c.block.x);
    config.blockDimY = static_cast<unsigned>(c.block.y);
    config.blockDimZ = static_cast<unsigned>(c.block.z);
    config.sharedMemBytes = c.shared_bytes;
    config.hStream = c.stream;
    config.attrs = attributes;
    config.numAttrs = count;
    JITCU_CU(cuLaunchKernelEx, (&config, reinterpret_cast<CUfunction>(kernel), params, nullptr),
             "launching '{}' ({}cluster ({}, {}, {})) with grid ({}, {}, {}) and block ({}, {}, {})", what,
             c.kind == LaunchKind::cooperative ? "cooperative, " : "", c.cluster.x, c.cluster.y, c.cluster.z,
             c.grid.x, c.grid.y, c.grid.z, c.block.x, c.block.y, c.block.z);
    return;
  }
  // A CUkernel launches in the current context (CUDA 12+ accepts it where a CUfunction goes).
  JITCU_CU(cuLaunchKernel,
           (reinterpret_cast<CUfunction>(kernel), static_cast<unsigned>(c.grid.x), static_cast<unsigned>(c.grid.y),
            static_cast<unsigned>(c.grid.z), static_cast<unsigned>(c.block.x), static_cast<unsigned>(c.block.y),
            static_cast<unsigned>(c.block.z), c.shared_bytes, c.stream, params, nullptr),
           "launching '{}' with grid ({}, {}, {}) and block ({}, {}, {})", what, c.grid.x, c.grid.y,
           c.grid.z, c.block.x, c.block.y, c.block.z);
}

unsigned long long mem_alloc(std::size_t bytes) {
  ensure_context();
  CUdeviceptr ptr = 0;
  JITCU_CU(cuMemAlloc, (&ptr, bytes), "allocating {} bytes of device memory", bytes);
  return ptr;
}

void mem_free(unsigned long long ptr) noexcept {
  release(&DriverTable::cuMemFree, "cuMemFree", ptr);
}

// A synchronous copy from pageable memory, or a memset, may return before its DMA ends; a kernel
// on a non-blocking stream would not wait for it. Waiting for the legacy stream makes it done.
static void finish_synchronous_transfer(const char* what, std::size_t bytes) {
  JITCU_CU(cuStreamSynchronize, (CU_STREAM_LEGACY), "finishing {} of {} bytes", what, bytes);
}

void memcpy_htod(unsigned long long dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  JITCU_CU(cuMemcpyHtoD, (dst, src, bytes), "copying {} bytes to the device", bytes);
  finish_synchronous_transfer("a copy to the device", bytes);
}

void memcpy_dtoh(void* dst, unsigned long long src, std::size_t bytes) {
  if (bytes == 0) return;
  JITCU_CU(cuMemcpyDtoH, (dst, src, bytes), "copying {} bytes to the host", bytes);
}

void memcpy_htod_async(unsigned long long dst, const void* src, std::size_t bytes, StreamHandle stream) {
  if (bytes == 0) return;
  JITCU_CU(cuMemcpyHtoDAsync, (dst, src, bytes, stream), "queueing a copy of {} bytes to the device", bytes);
}

void memcpy_dtoh_async(void* dst, unsigned long long src, std::size_t bytes, StreamHandle stream) {
  if (bytes == 0) return;
  JITCU_CU(cuMemcpyDtoHAsync, (dst, src, bytes, stream), "queueing a copy of {} bytes to the host", bytes);
}

void memset_d8(unsigned long long dst, unsigned char value, std::size_t bytes) {
  if (bytes == 0) return;
  JITCU_CU(cuMemsetD8, (dst, value, bytes), "setting {} bytes of device memory", bytes);
  finish_synchronous_transfer("a memset", bytes);
}

void stream_synchronize(StreamHandle stream) {
  JITCU_CU(cuStreamSynchronize, (stream), "waiting for the stream (a kernel before it may have failed)");
}

KernelAttributeValues kernel_attributes(KernelHandle kernel, int device) {
  KernelAttributeValues v;
  const auto k = static_cast<CUkernel>(kernel);
  auto get = [&](int& out, CUfunction_attribute attribute, const char* what) {
    JITCU_CU(cuKernelGetAttribute, (&out, attribute, k, device), "reading the kernel's {} on device {}", what, device);
  };
  get(v.registers, CU_FUNC_ATTRIBUTE_NUM_REGS, "register count");
  get(v.static_shared_bytes, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, "static shared memory");
  get(v.local_bytes, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, "local memory");
  get(v.const_bytes, CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES, "constant memory");
  get(v.max_threads_per_block, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, "max threads per block");
  get(v.ptx_version, CU_FUNC_ATTRIBUTE_PTX_VERSION, "PTX version");
  get(v.binary_version, CU_FUNC_ATTRIBUTE_BINARY_VERSION, "binary version");
  get(v.max_dynamic_shared_bytes, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, "max dynamic shared memory");
  return v;
}

int kernel_max_threads(KernelHandle kernel, int device) {
  int threads = 0;
  JITCU_CU(cuKernelGetAttribute, (&threads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, static_cast<CUkernel>(kernel), device),
           "reading the kernel's max threads per block on device {}", device);
  return threads;
}

void set_max_dynamic_shared(KernelHandle kernel, int bytes, int device) {
  JITCU_CU(cuKernelSetAttribute, (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes, static_cast<CUkernel>(kernel), device),
           "allowing {} bytes of dynamic shared memory on device {}", bytes, device);
}

namespace {
CUfunction function_in_current_context(KernelHandle kernel) {
  ensure_context();
  CUfunction function = nullptr;
  JITCU_CU(cuKernelGetFunction, (&function, static_cast<CUkernel>(kernel)), "getting the kernel's function in this context");
  return function;
}
}  // namespace

int occupancy_blocks_per_sm(KernelHandle kernel, int block_size, std::size_t dynamic_shared_bytes) {
  int blocks = 0;
  JITCU_CU(cuOccupancyMaxActiveBlocksPerMultiprocessor,
           (&blocks, function_in_current_context(kernel), block_size, dynamic_shared_bytes),
           "computing occupancy for blocks of {} threads and {} bytes of dynamic shared memory", block_size,
           dynamic_shared_bytes);
  return blocks;
}

std::pair<int, int> occupancy_block_size(KernelHandle kernel, std::size_t dynamic_shared_bytes) {
  int min_grid = 0, block = 0;
  JITCU_CU(cuOccupancyMaxPotentialBlockSize,
           (&min_grid, &block, function_in_current_context(kernel), nullptr, dynamic_shared_bytes, 0),
           "suggesting a block size for {} bytes of dynamic shared memory", dynamic_shared_bytes);
  return {min_grid, block};
}

int device_limit(int ordinal, DeviceLimit which) {
  static const CUdevice_attribute attributes[] = {
      CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,        CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z,
      CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y,              CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z,
      CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH,
      CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH};
  CUdevice device{};
  JITCU_CU(cuDeviceGet, (&device, ordinal), "getting device {}", ordinal);
  int value = 0;
  JITCU_CU(cuDeviceGetAttribute, (&value, attributes[static_cast<int>(which)], device), "querying device {}", ordinal);
  return value;
}

int current_device() {
  ensure_context();
  CUdevice device{};
  JITCU_CU(cuCtxGetDevice, (&device), "asking for the current device");
  return static_cast<int>(device);
}

std::pair<unsigned long long, std::size_t> library_global(LibraryHandle library, const std::string& name) {
  ensure_context();
  CUdeviceptr ptr = 0;
  std::size_t bytes = 0;
  JITCU_CU(cuLibraryGetGlobal, (&ptr, &bytes, static_cast<CUlibrary>(library), name.c_str()), "getting global '{}'", name);
  return {ptr, bytes};
}

StreamHandle stream_create(bool non_blocking) {
  ensure_context();
  CUstream stream = nullptr;
  JITCU_CU(cuStreamCreate, (&stream, non_blocking ? CU_STREAM_NON_BLOCKING : CU_STREAM_DEFAULT), "creating a stream");
  return stream;
}

void stream_destroy(StreamHandle stream) noexcept {
  release(&DriverTable::cuStreamDestroy, "cuStreamDestroy", stream);
}

void* event_create() {
  ensure_context();
  CUevent event = nullptr;
  JITCU_CU(cuEventCreate, (&event, CU_EVENT_DEFAULT), "creating an event");
  return event;
}

void event_destroy(void* event) noexcept {
  release(&DriverTable::cuEventDestroy, "cuEventDestroy", static_cast<CUevent>(event));
}

void event_record(void* event, StreamHandle stream) {
  JITCU_CU(cuEventRecord, (static_cast<CUevent>(event), stream), "recording an event");
}

void event_synchronize(void* event) {
  JITCU_CU(cuEventSynchronize, (static_cast<CUevent>(event)), "waiting for an event (a kernel before it may have failed)");
}

float event_elapsed_ms(void* start, void* end) {
  float ms = 0;
  JITCU_CU(cuEventElapsedTime, (&ms, static_cast<CUevent>(start), static_cast<CUevent>(end)),
           "reading the time between two events (both must be recorded and complete)");
  return ms;
}

void* host_alloc_pinned(std::size_t bytes) {
  ensure_context();
  void* ptr = nullptr;
  JITCU_CU(cuMemHostAlloc, (&ptr, bytes, CU_MEMHOSTALLOC_PORTABLE), "allocating {} bytes of pinned host memory", bytes);
  return ptr;
}

void host_free_pinned(void* ptr) noexcept {
  release(&DriverTable::cuMemFreeHost, "cuMemFreeHost", ptr);
}

std::size_t channel_bytes(ChannelType type) {
  switch (type) {
    case ChannelType::f32: case ChannelType::s32: case ChannelType::u32: return 4;
    case ChannelType::s16: case ChannelType::u16: return 2;
    case ChannelType::s8: case ChannelType::u8: return 1;
  }
  return 4;
}

namespace {
CUarray_format array_format(ChannelType type) {
  switch (type) {
    case ChannelType::f32: return CU_AD_FORMAT_FLOAT;
    case ChannelType::s32: return CU_AD_FORMAT_SIGNED_INT32;
    case ChannelType::u32: return CU_AD_FORMAT_UNSIGNED_INT32;
    case ChannelType::s16: return CU_AD_FORMAT_SIGNED_INT16;
    case ChannelType::u16: return CU_AD_FORMAT_UNSIGNED_INT16;
    case ChannelType::s8: return CU_AD_FORMAT_SIGNED_INT8;
    case ChannelType::u8: return CU_AD_FORMAT_UNSIGNED_INT8;
  }
  return CU_AD_FORMAT_FLOAT;
}

CUDA_TEXTURE_DESC texture_description(const TextureOptions& options) {
  CUDA_TEXTURE_DESC description{};
  const CUaddress_mode modes[] = {CU_TR_ADDRESS_MODE_CLAMP, CU_TR_ADDRESS_MODE_WRAP, CU_TR_ADDRESS_MODE_MIRROR,
                                  CU_TR_ADDRESS_MODE_BORDER};
  for (auto& mode : description.addressMode) mode = modes[static_cast<int>(options.address)];
  description.filterMode = options.filter == TextureFilter::linear ? CU_TR_FILTER_MODE_LINEAR : CU_TR_FILTER_MODE_POINT;
  if (options.read == TextureRead::element_type) description.flags |= CU_TRSF_READ_AS_INTEGER;
  if (options.coordinates == TextureCoordinates::normalized) description.flags |= CU_TRSF_NORMALIZED_COORDINATES;
  return description;
}

void copy_2d(CUDA_MEMCPY2D& copy, std::size_t row_bytes, std::size_t rows, const char* what) {
  copy.WidthInBytes = row_bytes;
  copy.Height = rows;
  JITCU_CU(cuMemcpy2D, (&copy), "copying {} rows of {} bytes {} a CUDA array", rows, row_bytes, what);
  finish_synchronous_transfer("a CUDA array copy", rows * row_bytes);
}
}  // namespace

void* array_create(ChannelType type, int channels, std::size_t width, std::size_t height, ArrayUse use) {
  ensure_context();
  CUDA_ARRAY3D_DESCRIPTOR description{};
  description.Width = width;
  description.Height = height;
  description.Format = array_format(type);
  description.NumChannels = static_cast<unsigned>(channels);
  description.Flags = use == ArrayUse::texture_and_surface ? CUDA_ARRAY3D_SURFACE_LDST : 0;
  CUarray array = nullptr;
  JITCU_CU(cuArray3DCreate, (&array, &description), "creating a {}x{} CUDA array of {} channel(s)", width, height, channels);
  return array;
}

void array_destroy(void* array) noexcept {
  release(&DriverTable::cuArrayDestroy, "cuArrayDestroy", static_cast<CUarray>(array));
}

void array_copy_from_host(void* array, const void* host, std::size_t row_bytes, std::size_t rows) {
  CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = CU_MEMORYTYPE_HOST;
  copy.srcHost = host;
  copy.srcPitch = row_bytes;
  copy.dstMemoryType = CU_MEMORYTYPE_ARRAY;
  copy.dstArray = static_cast<CUarray>(array);
  copy_2d(copy, row_bytes, rows, "into");
}

void array_copy_to_host(void* host, void* array, std::size_t row_bytes, std::size_t rows) {
  CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = CU_MEMORYTYPE_ARRAY;
  copy.srcArray = static_cast<CUarray>(array);
  copy.dstMemoryType = CU_MEMORYTYPE_HOST;
  copy.dstHost = host;
  copy.dstPitch = row_bytes;
  copy_2d(copy, row_bytes, rows, "out of");
}

void array_copy_from_device(void* array, unsigned long long device, std::size_t row_bytes, std::size_t rows) {
  CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  copy.srcDevice = device;
  copy.srcPitch = row_bytes;
  copy.dstMemoryType = CU_MEMORYTYPE_ARRAY;
  copy.dstArray = static_cast<CUarray>(array);
  copy_2d(copy, row_bytes, rows, "from device memory into");
}

void array_copy_to_device(unsigned long long device, void* array, std::size_t row_bytes, std::size_t rows) {
  CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = CU_MEMORYTYPE_ARRAY;
  copy.srcArray = static_cast<CUarray>(array);
  copy.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  copy.dstDevice = device;
  copy.dstPitch = row_bytes;
  copy_2d(copy, row_bytes, rows, "into device memory out of");
}

unsigned long long texture_create_for_array(void* array, const TextureOptions& options) {
  CUDA_RESOURCE_DESC resource{};
  resource.resType = CU_RESOURCE_TYPE_ARRAY;
  resource.res.array.hArray = static_cast<CUarray>(array);
  const auto description = texture_description(options);
  CUtexObject texture = 0;
  JITCU_CU(cuTexObjectCreate, (&texture, &resource, &description, nullptr), "creating a texture over a CUDA array");
  return texture;
}

unsigned long long texture_create_for_linear(unsigned long long ptr, std::size_t bytes, ChannelType type, int channels,
                                             const TextureOptions& options) {
  CUDA_RESOURCE_DESC resource{};
  resource.resType = CU_RESOURCE_TYPE_LINEAR;
  resource.res.linear.devPtr = ptr;
  resource.res.linear.format = array_format(type);
  resource.res.linear.numChannels = static_cast<unsigned>(channels);
  resource.res.linear.sizeInBytes = bytes;
  const auto description = texture_description(options);
  CUtexObject texture = 0;
  JITCU_CU(cuTexObjectCreate, (&texture, &resource, &description, nullptr), "creating a texture over {} bytes", bytes);
  return texture;
}

void texture_destroy(unsigned long long texture) noexcept {
  release(&DriverTable::cuTexObjectDestroy, "cuTexObjectDestroy", texture);
}

unsigned long long surface_create(void* array) {
  CUDA_RESOURCE_DESC resource{};
  resource.resType = CU_RESOURCE_TYPE_ARRAY;
  resource.res.array.hArray = static_cast<CUarray>(array);
  CUsurfObject surface = 0;
  JITCU_CU(cuSurfObjectCreate, (&surface, &resource),
           "creating a surface (the array must be made with ArrayUse::texture_and_surface)");
  return surface;
}

void surface_destroy(unsigned long long surface) noexcept {
  release(&DriverTable::cuSurfObjectDestroy, "cuSurfObjectDestroy", surface);
}

bool is_wrong_binary_error(int cuda_result) {
  return cuda_result == CUDA_ERROR_NO_BINARY_FOR_GPU || cuda_result == CUDA_ERROR_INVALID_IMAGE ||
         cuda_result == CUDA_ERROR_INVALID_SOURCE;
}

}  // namespace jitcu::detail

// Public device queries (device.hpp).
namespace jitcu {

bool cuda_available() { return cuda_unavailable_reason().empty(); }

std::string cuda_unavailable_reason() {
  const auto& s = detail::state();
  if (!s.failure.empty()) return s.failure;
  int count = 0;
  if (s.table.cuDeviceGetCount(&count) != CUDA_SUCCESS || count == 0) return "the driver sees no CUDA device";
  return {};
}

int driver_version() {
  int version = 0;
  JITCU_CU(cuDriverGetVersion, (&version), "asking for the driver version");
  return version;
}

std::vector<DeviceInfo> devices() {
  int count = 0;
  JITCU_CU(cuDeviceGetCount, (&count), "counting devices");
  std::vector<DeviceInfo> found;
  for (int ordinal = 0; ordinal < count; ++ordinal) {
    CUdevice device{};
    JITCU_CU(cuDeviceGet, (&device, ordinal), "getting device {}", ordinal);
    DeviceInfo info;
    info.ordinal = ordinal;
    char name[256] = {};
    JITCU_CU(cuDeviceGetName, (name, sizeof name, device), "naming device {}", ordinal);
    info.name = name;
    JITCU_CU(cuDeviceGetAttribute, (&info.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "querying device {}", ordinal);
    JITCU_CU(cuDeviceGetAttribute, (&info.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "querying device {}", ordinal);
    std::size_t bytes = 0;
    JITCU_CU(cuDeviceTotalMem, (&bytes, device), "querying device {}", ordinal);
    JITCU_CU(cuDeviceGetAttribute, (&info.multiprocessors, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device), "querying device {}", ordinal);
    JITCU_CU(cuDeviceGetAttribute, (&info.max_threads_per_multiprocessor, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, device),
             "querying device {}", ordinal);
    info.total_memory_bytes = bytes;
    found.push_back(std::move(info));
  }
  return found;
}

void use_device(int ordinal) { detail::ensure_context(ordinal); }
int current_device() { return detail::current_device(); }

void synchronize() {
  detail::ensure_context();
  JITCU_CU(cuCtxSynchronize, (), "waiting for the device (a kernel launched earlier may have failed)");
}

}  // namespace jitcu
