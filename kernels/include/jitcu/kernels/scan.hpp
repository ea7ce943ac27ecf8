#pragma once
// Inclusive and exclusive scans with a user operator, like PyCUDA's InclusiveScanKernel and
// ExclusiveScanKernel: one pass (decoupled look-back), generated and cached through the engine.
#include <jitcu/engine.hpp>
#include <jitcu/kernels/detail/args.hpp>
#include <jitcu/kernels/detail/generated.hpp>
#include <jitcu/kernels/type_names.hpp>
#include <jitcu/options.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace jitcu::kernels {

/// Inclusive: out[i] = x[0] op ... op x[i]. Exclusive: out[0] = neutral,
/// out[i] = neutral op x[0] op ... op x[i-1].
enum class ScanKind { inclusive, exclusive };

/// What a scan computes. `{.value_type = "long long", .op = "a + b", .neutral = "0"}` is a
/// cumulative sum; `.input_type = "int"` reads ints and sums them as long long.
struct ScanSpec {
  /// The type of the results and of op's operands: "float", "long long", a placeholder, or a
  /// struct of the preamble.
  std::string value_type{};
  /// The type of the input elements, converted to value_type on load; empty: value_type.
  std::string input_type{};
  /// Combines an earlier `a` with a later `b`: "a + b", "max(a, b)". Must be associative (not
  /// necessarily commutative: the order of operands is kept).
  std::string op = "a + b";
  /// The neutral element of op: "0" for sums, "-INFINITY" for max; exclusive scans start with it.
  std::string neutral = "0";
  /// Inclusive (element i included in output i) or exclusive (starting from neutral).
  ScanKind kind = ScanKind::inclusive;
  /// Code placed ahead of the kernel: `#include` lines, __device__ helpers, structs.
  std::string preamble{};
  /// The kernel's name (a C identifier).
  std::string name = "scan";
  /// Placeholder types: {bind<float>("T")}.
  TypeMap types{};
  /// NVRTC options.
  CompileOptions options{};
};

/// A generated single-pass scan: each block scans one tile in registers and shared memory, then
/// finds its prefix by looking back at earlier tiles' published totals (decoupled look-back), so
/// the input is read once and the output written once. Keeps a scratch buffer on the device
/// (one flag and two values per tile, grown as needed), so launch one scan object from one
/// stream at a time. Results are deterministic for a given n and device.
class Scan {
 public:
  /// Generates and compiles (a cache hit runs no NVRTC). Throws Error for a malformed spec,
  /// CompileError quoting the part of the spec at fault.
  Scan(Engine& engine, ScanSpec spec);

  /// Scans input[0, n) into output[0, n) (DeviceBuffers or device pointers; the same buffer
  /// scans in place) on the default stream; asynchronous. Throws ArgumentError on a mismatch.
  template <class In, class Out>
  void operator()(std::uint64_t n, const In& input, const Out& output) const {
    launch(n, nullptr, input, output);
  }

  /// As operator(), on `stream`.
  template <class In, class Out>
  void launch(std::uint64_t n, StreamHandle stream, const In& input, const Out& output) const {
    const auto views = detail::views_of(input, output);
    detail::check_args(generated_.label, generated_.params, views, n);
    if (n == 0) return generated_.kernel.check(input, output, 0LL, DevicePtr{}, DevicePtr{}, DevicePtr{}, DevicePtr{},
                                               DevicePtr{}, DevicePtr{});
    const Tiles tiles = reserve_tiles(n);
    generated_.kernel.launch(LaunchConfig{Dim3(tiles.count), Dim3(k_block_threads), 0, stream}, input, output,
                             static_cast<long long>(n), tiles.flags, tiles.aggregates, tiles.inclusive,
                             tiles.counter, tiles.first_ticket, tiles.epoch);
  }

  /// The compiled kernel.
  const Kernel& kernel() const { return generated_.kernel; }
  /// The module the kernel is in.
  const Module& module() const { return generated_.module; }
  /// The generated CUDA C++, as kept in the cache entry's source.cu.
  const std::string& source() const { return generated_.source; }
  /// Elements one block scans (threads x items per thread).
  std::uint32_t tile_elements() const { return k_block_threads * items_per_thread_; }
  /// Bytes of value_type on the device.
  std::uint32_t value_type_bytes() const { return value_bytes_; }

  /// The CUDA C++ that the constructor would compile, without compiling it.
  static std::string generate(const ScanSpec& spec);

  /// Threads per block of every generated scan.
  static constexpr std::uint32_t k_block_threads = 256;

 private:
  /// Where this launch's tiles publish their totals, and its ticket numbers.
  struct Tiles {
    std::uint64_t count = 0;
    DevicePtr flags = 0;
    DevicePtr aggregates = 0;
    DevicePtr inclusive = 0;
    DevicePtr counter = 0;
    unsigned long long first_ticket = 0;  // the counter's value at this launch's start
    unsigned long long epoch = 0;         // flags of earlier launches read as "not ready"
  };
  struct ScratchState;
  detail::GeneratedKernel generated_;
  std::uint32_t items_per_thread_;
  std::uint32_t value_bytes_;
  std::shared_ptr<ScratchState> scratch_;

  Scan(detail::GeneratedKernel generated, std::uint32_t items_per_thread);
  Tiles reserve_tiles(std::uint64_t n) const;
};

}  // namespace jitcu::kernels
