#pragma once
// Launch geometry: Dim3, grid_for, LaunchConfig.
#include <jitcu/interop.hpp>

#include <cstdint>

namespace jitcu {

/// A grid or block shape; a plain number is an x extent: `launch(40, 256, ...)`.
/// Extents over 2^32-1 are kept so the launch can name them in its error.
struct Dim3 {
  std::uint64_t x = 1;  ///< extent in x
  std::uint64_t y = 1;  ///< extent in y
  std::uint64_t z = 1;  ///< extent in z
  /// (x, y, z); implicit, so a number is a 1D shape.
  constexpr Dim3(std::uint64_t x_ = 1, std::uint64_t y_ = 1, std::uint64_t z_ = 1)
      : x(x_), y(y_), z(z_) {}
  /// x * y * z: the blocks of a grid, or the threads of a block.
  constexpr std::uint64_t count() const { return x * y * z; }
};

/// Blocks of `block` threads needed to cover `n` elements: ceil(n / block), at least 1.
constexpr Dim3 grid_for(std::uint64_t n, std::uint64_t block) {
  const std::uint64_t blocks = block == 0 ? 0 : (n + block - 1) / block;
  return Dim3(blocks == 0 ? 1 : blocks);
}

/// How the blocks of a launch may cooperate.
enum class LaunchKind {
  /// Blocks run in any order and need not be resident together.
  normal,
  /// All blocks resident at once, so the kernel may sync the whole grid (cooperative_groups
  /// grid.sync()); the grid is checked against what the device can hold.
  cooperative,
};

/// Everything about a launch but its arguments.
struct LaunchConfig {
  Dim3 grid{};   ///< blocks in the grid
  Dim3 block{};  ///< threads in a block
  /// Dynamic shared memory per block, in bytes; over 48 KiB sets the kernel's opt-in attribute.
  std::uint32_t shared_bytes = 0;
  /// nullptr: the legacy default stream.
  StreamHandle stream = nullptr;
  /// Thread-block cluster shape (sm_90+); (1, 1, 1): no clusters. The grid must divide by it.
  Dim3 cluster = Dim3(1, 1, 1);
  /// Normal, or cooperative (the whole grid resident at once).
  LaunchKind kind = LaunchKind::normal;
};

}  // namespace jitcu
