#pragma once
// Shared by the generator suites: a fresh engine per test, sm_90 compiles, PTX probes, and
// random inputs of the types and awkward sizes the GPU suite sweeps.
#include "test_support.hpp"

#include <jitcu/jitcu.hpp>
#include <jitcu/kernels/type_names.hpp>

#include <cstdint>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace jitcu::test {

/// An engine whose cache lives in its own temp folder, removed after the test.
struct TestEngine {
  TempDir dir{"jitcu-gen-test"};
  Engine engine{EngineOptions{.cache_dir = dir.path()}};
};

/// Compile options the unit suite uses: sm_90 (the H100) whether or not a GPU is here.
inline CompileOptions sm90() {
  CompileOptions options;
  options.arch = "sm_90";
  return options;
}

/// True when `ptx` holds text matching `pattern` (an ECMAScript regex).
inline bool ptx_has(const std::string& ptx, const std::string& pattern) {
  return std::regex_search(ptx, std::regex(pattern));
}

/// Sizes every GPU case runs: empty, one, less than a warp, odd and large, past 2^24.
inline const std::vector<std::size_t>& awkward_sizes() {
  static const std::vector<std::size_t> sizes = {0, 1, 31, 1000003, (std::size_t{1} << 24) + 7};
  return sizes;
}

/// `n` values uniform in [-1, 1) (floats, doubles, halves) or in [-1000, 1000] (integers).
template <class T>
std::vector<T> random_values(std::mt19937& rng, std::size_t n) {
  std::vector<T> values(n);
  if constexpr (std::is_same_v<T, kernels::Half>) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (auto& v : values) v = kernels::to_half(dist(rng));
  } else if constexpr (std::is_floating_point_v<T>) {
    std::uniform_real_distribution<T> dist(T(-1), T(1));
    for (auto& v : values) v = dist(rng);
  } else {
    std::uniform_int_distribution<long long> dist(-1000, 1000);
    for (auto& v : values) v = static_cast<T>(dist(rng));
  }
  return values;
}

/// A device copy of `host` (a real allocation even when empty, so pointers are valid).
template <class T>
DeviceBuffer<T> device_copy(const std::vector<T>& host) {
  DeviceBuffer<T> buffer(std::max<std::size_t>(host.size(), 1));
  buffer.copy_from(host);
  return buffer;
}

/// A device buffer of `n` elements (at least one) with every byte 0xFF: NaN for floats.
template <class T>
DeviceBuffer<T> poisoned(std::size_t n) {
  DeviceBuffer<T> buffer(std::max<std::size_t>(n, 1));
  buffer.fill_bytes(0xFF);
  return buffer;
}

/// The first `n` elements of a device buffer.
template <class T>
std::vector<T> first_n(const DeviceBuffer<T>& buffer, std::size_t n) {
  std::vector<T> host(n);
  buffer.copy_to(host);
  return host;
}

}  // namespace jitcu::test
