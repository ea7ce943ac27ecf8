#pragma once
// The result of one compile: its kernels, its PTX, and where the cache keeps it.
#include <jitcu/kernel.hpp>
#include <jitcu/memory.hpp>

#include <filesystem>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace jitcu {

namespace detail {
struct ModuleState;
}

/// A __device__ or __constant__ variable of a loaded module, typed as T.
template <class T>
class Global {
  static_assert(std::is_trivially_copyable_v<T>, "Global<T> needs a trivially copyable T");

 public:
  /// The variable at `address`; Module::global makes these, checked against the variable's size.
  explicit Global(DevicePtr address) : address_(address) {}
  /// Copies the variable to the host (synchronous).
  T read() const {
    T value;
    detail::copy_device_to_host(&value, address_, sizeof(T));
    return value;
  }
  /// Copies `value` into the variable (synchronous).
  void write(const T& value) const { detail::copy_host_to_device(address_, &value, sizeof(T)); }
  /// The variable's device address, e.g. to pass to a kernel as T*.
  DevicePtr ptr() const { return address_; }
  /// sizeof(T), the variable's size.
  static constexpr std::size_t size_bytes() { return sizeof(T); }

 private:
  DevicePtr address_;
};

/// Where a compile's result came from.
enum class Origin {
  compiled,        // NVRTC ran in this call
  disk_cache,      // loaded from the cache on disk, no NVRTC
  process_cache,   // this process had it already: no disk I/O
};

/// One kernel of a module, as Module::kernels() lists it.
struct KernelInfo {
  std::string name;       ///< readable: "fill", "scale<float>", "ns::k<int, 4>", or the extern "C" name
  std::string signature;  ///< "fill(float*, float, int)"; an extern "C" kernel's is its name alone
  std::string symbol;     ///< in the compiled code: "_Z4fillPffi", or the extern "C" name
  std::vector<KernelParameter> parameters;  ///< in order, as Kernel::parameters() gives them
};

/// A compiled program; cheap to copy. Code is loaded into the driver on first launch.
class Module {
 public:
  /// PTX made elsewhere (nvcc -ptx) as a Module: launches checked against its .entry lines; not cached.
  static Module load_ptx(std::string ptx, std::string name = "module.ptx");
  /// A cubin or fatbin made elsewhere (nvcc -cubin, -fatbin) as a Module, loaded on the GPU at
  /// once; not cached. A binary holds no parameter types: launches are checked against each
  /// parameter's size only. Needs a GPU and a driver of CUDA 12.4 or newer (CudaError otherwise).
  static Module load_binary(std::string image, std::string name = "module.cubin");
  /// A .ptx, .cubin or .fatbin file, told apart by its contents (as CuPy's RawModule(path=...)
  /// and PyCUDA's module_from_file take them): load_ptx or load_binary.
  static Module load_file(const std::filesystem::path& path);

  /// The kernel named `name`: a name expression given at compile time ("scale<float>"), an
  /// extern "C" name, a mangled name, a full signature ("fill(float*, float, int)", any
  /// spacing), a demangled name ("ns::k<int, 4>") or an unambiguous base name ("k"). A
  /// template instantiation the module does not hold yet ("scale<double>") is compiled on
  /// demand from the same source and options (and cached). Throws AmbiguousName when the name
  /// matches several kernels (overloads), KernelNotFound showing the closest names, or CompileError.
  Kernel kernel(std::string_view name) const;
  /// The __device__ or __constant__ variable `name` ("counter", "ns::table", or a name
  /// expression given at compile time such as "&ns::table<4>"). Throws Error if there is none,
  /// ArgumentError if its size is not sizeof(T). Loads the module's code.
  template <class T>
  Global<T> global(std::string_view name) const {
    const auto [address, bytes] = global_address(name);
    check_global_size(name, bytes, sizeof(T));
    return Global<T>(address);
  }
  /// {device address, size in bytes} of a __device__ or __constant__ variable.
  std::pair<DevicePtr, std::size_t> global_address(std::string_view name) const;
  /// The variable's bytes, as many as it has at run time (synchronous copy; loads the code).
  std::vector<std::byte> read_global(std::string_view name) const;
  /// Copies `bytes` into the variable (synchronous); ArgumentError unless it is exactly its size.
  void write_global(std::string_view name, std::span<const std::byte> bytes) const;
  /// The symbol NVRTC lowered a name expression given at compile time to ("&table<float>" ->
  /// "_Z5tableIfE"); with or without '&', any spacing. Throws Error if it was not given.
  std::string global_symbol(std::string_view name_expression) const;

  /// Loads the code into the driver and looks every kernel up now, instead of at first use:
  /// load errors surface here, and the first launch pays no load.
  void load() const;

  /// True when kernel(name) would find one.
  bool has_kernel(std::string_view name) const;
  /// The readable names of every kernel, sorted (overloads share one: see kernels()).
  std::vector<std::string> kernel_names() const;
  /// Every kernel's readable name, full signature, symbol and parameters, sorted by signature.
  std::vector<KernelInfo> kernels() const;

  /// The PTX text (read from the cache on first use after a disk hit).
  std::string ptx() const;
  /// NVRTC's log of the compile (warnings, ptxas info); on a cache hit, read from the entry when first asked.
  const std::string& log() const;
  /// The target, e.g. "sm_90" or "compute_90".
  const std::string& arch() const;
  /// The cache key, 64 hex digits.
  std::string cache_key() const;
  /// The entry's folder on disk; empty when the cache is in memory only.
  std::filesystem::path cache_path() const;
  /// Whether NVRTC ran, the disk cache served it, or this process had it.
  Origin origin() const;
  /// Milliseconds NVRTC took when this module was compiled (kept in the cache).
  double compile_ms() const;

  /// For the engine: a module over its compiled state. Users get modules from Engine.
  explicit Module(std::shared_ptr<const detail::ModuleState> state, Origin origin);

 private:
  void check_global_size(std::string_view name, std::size_t actual, std::size_t wanted) const;
  std::shared_ptr<const detail::ModuleState> state_;
  Origin origin_;
};

}  // namespace jitcu
