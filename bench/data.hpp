#pragma once
// Inputs and CPU references shared by the jitcu and raw sides, so both check the same thing.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

/// n floats in [0, 1), pseudo-random from `seed`, fast enough for 2^26 elements.
inline std::vector<float> pattern(std::size_t n, std::uint32_t seed) {
  std::vector<float> values(n);
  std::uint32_t state = seed * 2654435761u + 1;
  for (auto& v : values) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    v = static_cast<float>(state >> 8) * (1.0f / 16777216.0f);
  }
  return values;
}

/// Index of the first i with c[i] != a[i] * b[i] (or a NaN), or -1 when every one matches.
inline long long first_wrong_product(const std::vector<float>& a, const std::vector<float>& b,
                                     const std::vector<float>& c) {
  if (a.size() != c.size() || b.size() != c.size()) return 0;
  for (std::size_t i = 0; i < c.size(); ++i)
    if (!(c[i] == a[i] * b[i])) return static_cast<long long>(i);
  return -1;
}

/// The exact-ish sum (double) the float4 kernel is checked against.
inline double host_sum(const std::vector<float>& x) {
  double sum = 0;
  for (float v : x) sum += v;
  return sum;
}

/// True when a float reduction of `count` terms agrees with the double sum to float accuracy.
inline bool sum_matches(double device, double host) {
  return std::isfinite(device) && std::fabs(device - host) <= 1e-4 * std::fabs(host) + 1e-3;
}

}  // namespace bench
