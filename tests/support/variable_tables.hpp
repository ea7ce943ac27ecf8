#pragma once
// A source with __device__ and __constant__ variable templates, and the name expressions that
// instantiate them, for the unit (lowering, cache) and gpu (read/write/launch) suites.
#include <string>
#include <vector>

namespace jitcu::test {

inline const char* const k_tables_source = R"(
template <typename T> __device__ T table[4];
template <typename T> __constant__ T offsets[4];
namespace lut { template <int N> __device__ float weights[N]; }

// y[i] = x[i] * table<float>[i % 4] + offsets<float>[i % 4]
extern "C" __global__ void apply_table(const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] * table<float>[i % 4] + offsets<float>[i % 4];
}

// y[i] = x[i] * table<double>[i % 4]
extern "C" __global__ void scale_by_table(const double* x, double* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] * table<double>[i % 4];
}

// Copies lut::weights<3> out, then doubles it in place (the host reads that back).
extern "C" __global__ void take_and_double_weights(float* copy) {
  const int i = threadIdx.x;
  if (i < 3) {
    copy[i] = lut::weights<3>[i];
    lut::weights<3>[i] *= 2.0f;
  }
}
)";

/// Spelled as users do, with and without spaces; the suites look them up by other spellings.
inline const std::vector<std::string> k_table_name_expressions = {"&table<float>", "&table<double>",
                                                                  "& offsets< float >", "&lut::weights<3>"};

}  // namespace jitcu::test
