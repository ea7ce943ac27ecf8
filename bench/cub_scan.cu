// CUB's DeviceScan::InclusiveSum compiled ahead of time with nvcc: the reference that issue 7's
// goal "generated scan >= 0.9x CUB DeviceScan compiled with nvcc" is measured against.
//
// n = 2^26 elements of float and int (the goal's types), and int64 and double for information.
// Temporary storage is sized once for the largest need and allocated once; each type gets
// warm-ups, then 10 samples of 20 back-to-back scans timed with cudaEvents on one stream. GB/s
// counts one read and one write of every element (8 B/element for 4-byte types, 16 B for
// 8-byte ones), as bench_generators counts its scan. The last scan's output is checked against
// a CPU reference: exactly for the integer types, within a relative tolerance for float/double.
//
// Prints one JSON object shaped like bench::Report's (program, results, checks, notes, info);
// exits 77 when there is no CUDA device, 1 when a check or a CUDA call fails.
//
// Not part of the CMake build (CI has no GPU and must stay fast): bench/run-all compiles it at
// benchmark time, e.g.  nvcc -O3 -std=c++17 -arch=native bench/cub_scan.cu -o cub_scan
#include "data.hpp"

#include <cub/device/device_scan.cuh>
#include <cub/version.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

constexpr int k_exit_no_device = 77;
constexpr int k_exit_failure = 1;
constexpr int k_log2n = 26;
constexpr int k_warmups = 3;
constexpr int k_batch = 20;    // back-to-back scans a sample
constexpr int k_samples = 10;  // samples a type

class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void check_cuda(cudaError_t error, const char* call) {
  if (error != cudaSuccess)
    throw Failure(std::string(call) + " failed: " + cudaGetErrorName(error) + " (" + cudaGetErrorString(error) + ")");
}
#define CUDA_CHECK(call) check_cuda((call), #call)

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

/// The same statistics object bench::stats() writes: unit, min, median, mean, max, count, samples.
std::string stats_json(std::vector<double> samples, const char* unit) {
  std::sort(samples.begin(), samples.end());
  const std::size_t mid = samples.size() / 2;
  const double median = samples.size() % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
  const double mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  std::ostringstream out;
  out << "{\"count\": " << samples.size() << ", \"max\": " << json_number(samples.back())
      << ", \"mean\": " << json_number(mean) << ", \"median\": " << json_number(median)
      << ", \"min\": " << json_number(samples.front()) << ", \"samples\": [";
  for (std::size_t i = 0; i < samples.size(); ++i) out << (i ? ", " : "") << json_number(samples[i]);
  out << "], \"unit\": " << json_string(unit) << "}";
  return out.str();
}

/// Inputs from bench/data.hpp's generator: floats in [0, 1) (the very floats bench_generators
/// scans) and, from the same 24-bit values, doubles in [0, 1), ints in [0, 16) (so 2^26 of them
/// cannot overflow) and int64s in [0, 2^24). Every conversion is exact.
template <class T>
std::vector<T> inputs(std::size_t n, std::uint32_t seed) {
  const std::vector<float> floats = bench::pattern(n, seed);
  std::vector<T> values(n);
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<T>)
      values[i] = static_cast<T>(floats[i]);
    else if constexpr (sizeof(T) == 4)
      values[i] = static_cast<T>(floats[i] * 16.0f);
    else
      values[i] = static_cast<T>(floats[i] * 16777216.0f);
  }
  return values;
}

struct Measured {
  std::vector<double> gbps;
  bool correct = false;
  double max_relative_error = 0;  // floating point types: the largest |device - exact| / max(1, |exact|)
  long long first_wrong = -1;     // the first index outside the tolerance, or -1
};

/// Compares a device scan with an exact CPU prefix sum (double for floating point, int64 else).
template <class T>
void check_scan(const std::vector<T>& in, const std::vector<T>& out, Measured& m) {
  if constexpr (std::is_floating_point_v<T>) {
    const double tolerance = std::is_same_v<T, float> ? 1e-3 : 1e-9;
    double exact = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      exact += static_cast<double>(in[i]);
      const double error = std::fabs(static_cast<double>(out[i]) - exact) / std::max(1.0, std::fabs(exact));
      if (!(error <= tolerance) && m.first_wrong < 0) m.first_wrong = static_cast<long long>(i);
      if (!(error <= m.max_relative_error)) m.max_relative_error = std::isfinite(error) ? error : INFINITY;
    }
  } else {
    std::int64_t exact = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      exact += static_cast<std::int64_t>(in[i]);
      if (static_cast<std::int64_t>(out[i]) != exact) {
        m.first_wrong = static_cast<long long>(i);
        break;
      }
    }
  }
  m.correct = m.first_wrong < 0;
}

template <class T>
std::size_t temp_bytes_for(std::size_t n) {
  std::size_t bytes = 0;
  CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, bytes, static_cast<const T*>(nullptr), static_cast<T*>(nullptr),
                                           static_cast<int>(n)));
  return bytes;
}

template <class T>
Measured measure(std::size_t n, std::uint32_t seed, void* d_in, void* d_out, void* temp, std::size_t temp_bytes,
                 cudaStream_t stream) {
  const std::vector<T> in = inputs<T>(n, seed);
  CUDA_CHECK(cudaMemcpy(d_in, in.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemset(d_out, 0xFF, n * sizeof(T)));  // the checked output must be this run's
  const T* input = static_cast<const T*>(d_in);
  T* output = static_cast<T*>(d_out);
  const int items = static_cast<int>(n);
  auto scan = [&] {
    std::size_t bytes = temp_bytes;
    CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp, bytes, input, output, items, stream));
  };
  for (int i = 0; i < k_warmups; ++i) scan();
  CUDA_CHECK(cudaStreamSynchronize(stream));

  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  Measured m;
  const double bytes_per_scan = 2.0 * static_cast<double>(n * sizeof(T));  // one read, one write
  for (int s = 0; s < k_samples; ++s) {
    CUDA_CHECK(cudaEventRecord(start, stream));
    for (int i = 0; i < k_batch; ++i) scan();
    CUDA_CHECK(cudaEventRecord(stop, stream));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (!(ms > 0)) throw Failure("cudaEventElapsedTime gave " + std::to_string(ms) + " ms for " + std::to_string(k_batch) + " scans");
    m.gbps.push_back(bytes_per_scan * k_batch / (static_cast<double>(ms) * 1e6));
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));

  std::vector<T> out(n);
  CUDA_CHECK(cudaMemcpy(out.data(), d_out, n * sizeof(T), cudaMemcpyDeviceToHost));
  check_scan(in, out, m);
  return m;
}

int run() {
  int devices = 0;
  const cudaError_t found = cudaGetDeviceCount(&devices);
  if (found != cudaSuccess || devices == 0) {
    std::cerr << "cub_scan: SKIPPED, needs a CUDA device: "
              << (found != cudaSuccess ? std::string(cudaGetErrorName(found)) + " (" + cudaGetErrorString(found) + ")"
                                       : std::string("no device found"))
              << "\n";
    return k_exit_no_device;
  }
  CUDA_CHECK(cudaSetDevice(0));
  cudaDeviceProp props{};
  CUDA_CHECK(cudaGetDeviceProperties(&props, 0));
  int runtime_version = 0, driver_version = 0;
  CUDA_CHECK(cudaRuntimeGetVersion(&runtime_version));
  CUDA_CHECK(cudaDriverGetVersion(&driver_version));

  const std::size_t n = std::size_t{1} << k_log2n;
  const std::size_t temp_bytes = std::max({temp_bytes_for<float>(n), temp_bytes_for<int>(n),
                                           temp_bytes_for<std::int64_t>(n), temp_bytes_for<double>(n)});
  void *d_in = nullptr, *d_out = nullptr, *temp = nullptr;
  CUDA_CHECK(cudaMalloc(&d_in, n * 8));
  CUDA_CHECK(cudaMalloc(&d_out, n * 8));
  CUDA_CHECK(cudaMalloc(&temp, std::max<std::size_t>(temp_bytes, 1)));
  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));

  struct Typed {
    const char* name;
    Measured m;
  };
  std::vector<Typed> all;
  all.push_back({"float", measure<float>(n, 7, d_in, d_out, temp, temp_bytes, stream)});  // bench_generators' input
  all.push_back({"int", measure<int>(n, 11, d_in, d_out, temp, temp_bytes, stream)});
  all.push_back({"int64", measure<std::int64_t>(n, 13, d_in, d_out, temp, temp_bytes, stream)});
  all.push_back({"double", measure<double>(n, 17, d_in, d_out, temp, temp_bytes, stream)});

  CUDA_CHECK(cudaStreamDestroy(stream));
  CUDA_CHECK(cudaFree(temp));
  CUDA_CHECK(cudaFree(d_out));
  CUDA_CHECK(cudaFree(d_in));

  std::ostringstream json;
  json << "{\n \"program\": \"cub_scan\",\n \"results\": {";
  for (std::size_t i = 0; i < all.size(); ++i)
    json << (i ? ",\n  " : "\n  ") << json_string(std::string(all[i].name) + "_gbps") << ": "
         << stats_json(all[i].m.gbps, "GB/s");
  json << "\n },\n \"checks\": {";
  for (std::size_t i = 0; i < all.size(); ++i)
    json << (i ? ", " : "") << json_string(std::string(all[i].name) + "_correct") << ": "
         << (all[i].m.correct ? "true" : "false");
  json << "},\n \"notes\": [" << json_string("cub::DeviceScan::InclusiveSum, nvcc-compiled; temp storage allocated once; "
                                             "cudaEvents around 20 back-to-back scans a sample, 10 samples; GB/s counts "
                                             "one read and one write an element")
       << ", " << json_string("float and int are the goal's types; int64 and double are for information") << "],\n";
  json << " \"info\": {\"n\": " << n << ", \"device\": " << json_string(props.name) << ", \"compute_capability\": "
       << json_string(std::to_string(props.major) + "." + std::to_string(props.minor))
       << ", \"cuda_runtime\": " << runtime_version << ", \"cuda_driver\": " << driver_version
       << ", \"cub_version\": " << CUB_VERSION << ", \"temp_storage_bytes\": " << temp_bytes
       << ", \"float_max_relative_error\": " << json_number(all[0].m.max_relative_error)
       << ", \"double_max_relative_error\": " << json_number(all[3].m.max_relative_error);
  for (const auto& t : all)
    if (t.m.first_wrong >= 0) json << ", " << json_string(std::string(t.name) + "_first_wrong_index") << ": " << t.m.first_wrong;
  json << "}\n}\n";
  std::cout << json.str() << std::flush;

  int status = 0;
  for (const auto& t : all) {
    if (!t.m.correct) {
      std::cerr << "cub_scan: check '" << t.name << "_correct' FAILED (first wrong index " << t.m.first_wrong << ")\n";
      status = k_exit_failure;
    }
  }
  return status;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const std::exception& error) {
    std::cerr << "cub_scan: error: " << error.what() << "\n";
    return k_exit_failure;
  }
}
