#pragma once
// Launch geometry: Dim3, grid_for, LaunchConfig.
#include <jitcu/interop.hpp>

#include <cstdint>

namespace jitcu {

/// A grid or block shape; a plain number is an x extent: `launch(40, 256, ...)`.
/// Extents over 2^32-1 are kept so the launch can name them in its error.
struct Dim3 {
  std::uint64_t x = 1, y = 1, z = 1;
  constexpr Dim3(std::uint64_t x_ = 1, std::uint64_t y_ = 1, std::uint64_t z_ = 1)
      : x(x_), y(y_), z(z_) {}
  constexpr std::uint64_t count() const { return x * y * z; }
};

/// Blocks of `block` threads needed to cover `n` elements: ceil(n / block), at least 1.
constexpr Dim3 grid_for(std::uint64_t n, std::uint64_t block) {
  const std::uint64_t blocks = block == 0 ? 0 : (n + block - 1) / block;
  return Dim3(blocks == 0 ? 1 : blocks);
}

/// Everything about a launch but its arguments.
struct LaunchConfig {
  Dim3 grid;
  Dim3 block;
  /// Dynamic shared memory per block, in bytes.
  std::uint32_t shared_bytes = 0;
  /// nullptr: the legacy default stream.
  StreamHandle stream = nullptr;
};

}  // namespace jitcu
