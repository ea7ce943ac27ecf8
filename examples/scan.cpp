// PyCUDA's InclusiveScanKernel and ExclusiveScanKernel, natively: running sums of n random ints
// into int64 (exclusive), and a running maximum of floats (inclusive), each in one pass over the
// data. Checked on the CPU. With no GPU it still generates, compiles and caches, and says plainly
// that it skipped the launch.
#include <jitcu/jitcu.hpp>
#include <jitcu/kernels/scan.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include <fmt/format.h>

namespace jk = jitcu::kernels;

int main() try {
  constexpr std::size_t n = 5'000'011;

  jitcu::Engine engine;
  jk::Scan offsets(engine, {.value_type = "long long", .input_type = "int", .op = "a + b", .neutral = "0",
                            .kind = jk::ScanKind::exclusive, .name = "offsets"});
  jk::Scan running_max(engine, {.value_type = "float", .op = "fmaxf(a, b)", .neutral = "-INFINITY",
                                .name = "running_max"});
  fmt::print("kernels: '{}' ({} elements a tile), '{}' ({} elements a tile)\n", offsets.kernel().name(),
             offsets.tile_elements(), running_max.kernel().name(), running_max.tile_elements());

  if (!jitcu::cuda_available()) {
    fmt::print("launch: SKIPPED, no CUDA device here ({}); the kernels are generated, compiled and cached\n",
               jitcu::cuda_unavailable_reason());
    return 0;
  }

  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> sizes(0, 1000);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<int> counts(n);
  std::vector<float> values(n);
  std::generate(counts.begin(), counts.end(), [&] { return sizes(rng); });
  std::generate(values.begin(), values.end(), [&] { return dist(rng); });

  auto counts_gpu = jitcu::to_device(counts);
  auto values_gpu = jitcu::to_device(values);
  jitcu::DeviceBuffer<long long> offsets_gpu(n);
  offsets(n, counts_gpu, offsets_gpu);
  running_max(n, values_gpu, values_gpu);  // in place
  const auto got_offsets = offsets_gpu.to_host();
  const auto got_max = values_gpu.to_host();

  std::size_t wrong = 0;
  long long offset = 0;
  float maximum = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    wrong += got_offsets[i] != offset;
    offset += counts[i];
    maximum = std::max(maximum, values[i]);
    wrong += got_max[i] != maximum;
  }
  fmt::print("scans of n = {}: last offset {}, last maximum {}; {} wrong -> {}\n", n, got_offsets[n - 1],
             got_max[n - 1], wrong, wrong == 0 ? "OK" : "WRONG");
  return wrong == 0 ? 0 : 1;
} catch (const jitcu::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 2;
}
