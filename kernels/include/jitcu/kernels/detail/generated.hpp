#pragma once
// What every generator keeps after generating and compiling: source, module, kernel, params.
#include <jitcu/kernel.hpp>
#include <jitcu/kernels/detail/args.hpp>
#include <jitcu/launch.hpp>
#include <jitcu/module.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace jitcu::kernels::detail {

/// One generated and compiled kernel.
struct GeneratedKernel {
  std::string label;                   // "elementwise 'axpy'", for messages
  std::string source;                  // the generated CUDA C++
  Module module;
  Kernel kernel;
  std::vector<DeclaredParam> params;   // the user's parameters, resolved
};

/// Grid bounds, in waves of full occupancy (multiprocessors x resident blocks), measured on an
/// H100 at n = 2^26 floats. Elementwise: many waves, so each thread does one or two steps and a
/// partial last wave costs little (33792 blocks: 0.996x a one-float4-a-thread kernel; 4224: 0.97x).
inline constexpr std::uint32_t k_elementwise_waves = 32;
/// Reductions: few blocks, so the last block has few partial results to combine.
inline constexpr std::uint32_t k_reduction_waves = 2;

/// Blocks for `work_items` items of `block` threads each: ceil(work/block), at least 1, at
/// most `max_blocks` (0: default_max_blocks(block, waves)).
std::uint32_t grid_blocks(std::uint64_t work_items, std::uint32_t block, std::uint32_t max_blocks, std::uint32_t waves);

/// Multiprocessors x resident blocks of `block` threads x `waves`. The multiprocessor count
/// comes from a table of device names (132, an H100 SXM's, when the device is unknown or
/// absent) until the engine can report it; computed once.
std::uint32_t default_max_blocks(std::uint32_t block, std::uint32_t waves);

}  // namespace jitcu::kernels::detail
