#pragma once
// Helpers for the jitcu side of the benchmarks. These programs link jitcu::jitcu only: no
// libnvrtc, no libcuda at link time (jitcu opens both itself, NVRTC only when it compiles).
#include "common.hpp"

#include <jitcu/jitcu.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace bench {

/// The seed kernel, kernels/vector_ops.cu (dot_product is c = a * b).
inline std::filesystem::path seed_kernel() { return std::filesystem::path(JITCU_KERNELS_DIR) / "vector_ops.cu"; }
/// A kernel file of bench/kernels.
inline std::filesystem::path bench_kernel(const char* name) {
  return std::filesystem::path(JITCU_BENCH_KERNELS_DIR) / name;
}

/// Throws NoDevice (exit 77) with jitcu's reason when there is no usable CUDA device.
inline void require_device() {
  if (!jitcu::cuda_available()) throw NoDevice(jitcu::cuda_unavailable_reason());
}

/// An engine whose cache is `dir` and nothing else (the environment's JITCU_CACHE_DIR is ignored).
inline jitcu::Engine engine_at(const std::filesystem::path& dir) {
  jitcu::EngineOptions options;
  options.cache_dir = dir;
  return jitcu::Engine(options);
}

inline const char* origin_name(jitcu::Origin origin) {
  switch (origin) {
    case jitcu::Origin::compiled: return "compiled";
    case jitcu::Origin::disk_cache: return "disk_cache";
    case jitcu::Origin::process_cache: return "process_cache";
  }
  return "?";
}

/// The cubin jitcu keeps for `module` (what the raw floors load).
inline std::filesystem::path cubin_of(const jitcu::Module& module) {
  const auto path = module.cache_path() / (module.arch() + ".cubin");
  require(std::filesystem::is_regular_file(path), "no cubin at '" + path.string() + "' in jitcu's cache entry");
  return path;
}

/// GB/s of `op` moving `bytes`: two warm-ups, then `reps` samples of `batch` back-to-back
/// calls and one synchronize each, on the host clock (the method every bandwidth row uses).
template <class Op>
Json bandwidth(Op op, double bytes, int reps = 10, int batch = 20) {
  op();
  op();
  jitcu::synchronize();
  std::vector<double> gbps;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < batch; ++i) op();
    jitcu::synchronize();
    gbps.push_back(bytes * batch / (ms_since(start) * 1e6));
  }
  return stats(gbps, "GB/s");
}

}  // namespace bench
