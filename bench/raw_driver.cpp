// The driver-API floors: a C++ program that calls libcuda itself (linked, no jitcu, no NVRTC).
// The cubins come from jitcu's cache (the parent passes the path), so both sides run the same code.
//
//   raw_driver hit CUBIN SYMBOL                 new process: cuInit + primary context, then read the
//                                               cubin, cuLibraryLoadData, cuLibraryGetKernel, launch,
//                                               synchronize; the kernel is c = a * b (dot_product)
//   raw_driver launch CUBIN SYMBOL LAUNCHES REPS   back-to-back cuLaunchKernel of c = a * b, n = 32
//   raw_driver bandwidth CUBIN LOG2N REPS BATCH    cuMemcpyDtoD, and multiply / sum4 launched raw
//
// Prints one JSON object; exits 77 when there is no CUDA device.
#include "common.hpp"
#include "data.hpp"

#include <cuda.h>

#include <string>
#include <vector>

namespace {
namespace fs = std::filesystem;
using bench::Clock;
using bench::Json;
using bench::require;

void check(CUresult result, const char* call) {
  if (result == CUDA_SUCCESS) return;
  const char* name = nullptr;
  cuGetErrorName(result, &name);
  throw bench::Failure(std::string(call) + " failed: " + (name ? name : "unknown CUresult"));
}
#define CU(call) check((call), #call)

double context_up() {
  const auto start = Clock::now();
  if (const CUresult rc = cuInit(0); rc != CUDA_SUCCESS) {
    const char* name = nullptr;
    cuGetErrorName(rc, &name);
    throw bench::NoDevice(std::string("cuInit failed: ") + (name ? name : "unknown CUresult"));
  }
  int count = 0;
  CU(cuDeviceGetCount(&count));
  if (count == 0) throw bench::NoDevice("the driver sees no CUDA device");
  CUdevice device{};
  CU(cuDeviceGet(&device, 0));
  CUcontext context = nullptr;
  CU(cuDevicePrimaryCtxRetain(&context, device));
  CU(cuCtxSetCurrent(context));
  return bench::ms_since(start);
}

struct Loaded {
  CUlibrary library = nullptr;
  CUkernel kernel = nullptr;
};

/// The library and its kernel; `steps`, if given, times the two calls apart.
Loaded load(const std::string& image, const std::string& symbol, bench::Steps* steps = nullptr) {
  Loaded loaded;
  CU(cuLibraryLoadData(&loaded.library, image.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  if (steps) steps->mark("library_load");
  CU(cuLibraryGetKernel(&loaded.kernel, loaded.library, symbol.c_str()));
  if (steps) steps->mark("get_kernel");
  return loaded;
}

CUdeviceptr upload(const std::vector<float>& host) {
  CUdeviceptr ptr = 0;
  CU(cuMemAlloc(&ptr, host.size() * sizeof(float)));
  CU(cuMemcpyHtoD(ptr, host.data(), host.size() * sizeof(float)));
  return ptr;
}

std::vector<float> download(CUdeviceptr ptr, std::size_t n) {
  std::vector<float> host(n);
  CU(cuMemcpyDtoH(host.data(), ptr, n * sizeof(float)));
  return host;
}

void launch(CUkernel kernel, unsigned grid, unsigned block, void** params) {
  CU(cuLaunchKernel(reinterpret_cast<CUfunction>(kernel), grid, 1, 1, block, 1, 1, 0, nullptr, params, nullptr));
}

int hit_command(const fs::path& cubin, const std::string& symbol) {
  const auto main_started = bench::ms_since_spawn();
  bench::Report report("raw_driver hit");
  const double context_ms = context_up();
  constexpr int n = 4096;
  const auto a = bench::pattern(n, 1), b = bench::pattern(n, 2);
  CUdeviceptr da = upload(a), db = upload(b), dc = 0;
  CU(cuMemAlloc(&dc, n * sizeof(float)));
  CU(cuMemsetD8(dc, 0xFF, n * sizeof(float)));  // NaN: every element must be written

  const auto start = Clock::now();
  bench::Steps steps;
  const std::string image = bench::read_file(cubin);
  steps.mark("read");
  const Loaded loaded = load(image, symbol, &steps);
  const double load_ms = bench::ms_since(start);
  int count = n;
  void* params[] = {&da, &db, &dc, &count};
  launch(loaded.kernel, n / 256, 256, params);
  steps.mark("launch");
  CU(cuCtxSynchronize());
  steps.mark("synchronize");
  const double hit_ms = bench::ms_since(start);
  const auto spawn_to_kernel = bench::ms_since_spawn();

  const long long wrong = bench::first_wrong_product(a, b, download(dc, n));
  report.check("result_correct", wrong < 0);
  if (wrong >= 0) report.note("c[" + std::to_string(wrong) + "] != a*b");
  report.result("context_ms", context_ms);
  report.result("load_ms", load_ms);
  report.result("hit_ms", hit_ms);
  report.info("steps", steps.json());
  if (main_started) report.result("spawn_to_main_ms", *main_started);
  if (spawn_to_kernel) report.result("spawn_to_kernel_done_ms", *spawn_to_kernel);
  report.info("nvrtc_loaded", bench::library_mapped("libnvrtc"));
  return report.print();
}

int launch_command(const fs::path& cubin, const std::string& symbol, int launches, int reps) {
  bench::Report report("raw_driver launch");
  context_up();
  const Loaded loaded = load(bench::read_file(cubin), symbol);
  constexpr int n = 32;
  const auto a = bench::pattern(n, 3), b = bench::pattern(n, 4);
  CUdeviceptr da = upload(a), db = upload(b), dc = 0;
  CU(cuMemAlloc(&dc, n * sizeof(float)));
  CU(cuMemsetD8(dc, 0xFF, n * sizeof(float)));
  int count = n;
  void* params[] = {&da, &db, &dc, &count};
  for (int i = 0; i < 10000; ++i) launch(loaded.kernel, 1, n, params);
  CU(cuCtxSynchronize());
  std::vector<double> per_launch_us;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < launches; ++i) launch(loaded.kernel, 1, n, params);
    CU(cuCtxSynchronize());
    per_launch_us.push_back(bench::ms_since(start) * 1000.0 / launches);
  }
  report.check("result_correct", bench::first_wrong_product(a, b, download(dc, n)) < 0);
  report.result("launch_us", bench::stats(per_launch_us, "us"));
  report.info("launches_per_rep", launches);
  return report.print();
}

// Runs `op` `batch` times back to back, `reps` times; GB/s per rep for `bytes` moved per op.
template <class Op>
Json bandwidth(Op op, double bytes, int reps, int batch) {
  op();
  op();
  CU(cuCtxSynchronize());
  std::vector<double> gbps;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < batch; ++i) op();
    CU(cuCtxSynchronize());
    gbps.push_back(bytes * batch / (bench::ms_since(start) * 1e6));
  }
  return bench::stats(gbps, "GB/s");
}

int bandwidth_command(const fs::path& cubin, int log2n, int reps, int batch) {
  bench::Report report("raw_driver bandwidth");
  context_up();
  const std::size_t n = std::size_t{1} << log2n;
  const std::size_t bytes = n * sizeof(float);
  const auto a = bench::pattern(n, 5), b = bench::pattern(n, 6);
  CUdeviceptr da = upload(a), db = upload(b), dc = 0, dsum = 0;
  CU(cuMemAlloc(&dc, bytes));
  CU(cuMemAlloc(&dsum, sizeof(float)));
  const std::string image = bench::read_file(cubin);
  const Loaded multiply = load(image, "multiply");
  const Loaded sum4 = load(image, "sum4");

  CU(cuMemsetD8(dc, 0xFF, bytes));
  report.result("memcpy_dtod_gbps", bandwidth([&] { CU(cuMemcpyDtoD(dc, da, bytes)); }, 2.0 * static_cast<double>(bytes), reps, batch));
  report.check("memcpy_dtod_correct", download(dc, n) == a);

  unsigned long long count = n;
  void* multiply_params[] = {&da, &db, &dc, &count};
  CU(cuMemsetD8(dc, 0xFF, bytes));
  report.result("multiply_gbps",
                bandwidth([&] { launch(multiply.kernel, static_cast<unsigned>(n / 256), 256, multiply_params); },
                          3.0 * static_cast<double>(bytes), reps, batch));
  report.check("multiply_correct", bench::first_wrong_product(a, b, download(dc, n)) < 0);

  unsigned long long count4 = n / 4;
  void* sum_params[] = {&da, &dsum, &count4};
  report.result("sum4_gbps", bandwidth([&] { launch(sum4.kernel, 2048, 256, sum_params); },
                                       static_cast<double>(bytes), reps, batch));
  CU(cuMemsetD8(dsum, 0, sizeof(float)));
  launch(sum4.kernel, 2048, 256, sum_params);
  const double device_sum = download(dsum, 1)[0];
  report.check("sum4_correct", bench::sum_matches(device_sum, bench::host_sum(a)));
  report.info("n", n);
  report.info("ops_per_rep", batch);
  return report.print();
}

int run(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto number = [](const std::string& text) {
    const int value = std::atoi(text.c_str());
    require(value > 0, "'" + text + "' is not a positive count");
    return value;
  };
  if (args.size() == 3 && args[0] == "hit") return hit_command(args[1], args[2]);
  if (args.size() == 5 && args[0] == "launch") return launch_command(args[1], args[2], number(args[3]), number(args[4]));
  if (args.size() == 5 && args[0] == "bandwidth")
    return bandwidth_command(args[1], number(args[2]), number(args[3]), number(args[4]));
  throw bench::Failure("usage: raw_driver hit CUBIN SYMBOL | launch CUBIN SYMBOL LAUNCHES REPS | "
                       "bandwidth CUBIN LOG2N REPS BATCH");
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("raw_driver", run, argc, argv); }
