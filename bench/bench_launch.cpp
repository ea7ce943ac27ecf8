// Launch overhead: 200,000 back-to-back launches of c = a * b (4 parameters: three
// DeviceBuffer<float> and an int, n = 32, one block), then one synchronize; per launch.
//  - jitcu: Kernel::launch with checked arguments (the check runs on every launch);
//  - jitcu: Kernel::launch_packed (no check), to show what the check costs;
//  - floor: raw cuLaunchKernel of the same cubin, loaded with cuLibraryLoadData, in the same
//    processes (through the driver jitcu loaded), its repetitions alternating with jitcu's: on
//    the H100 host one process's launches ran 10% slower than another's for the same code, so
//    only a floor in the same processes compares like with like. Four such processes; a report
//    row also times raw_driver in processes of its own, alternated with them.
//
//   bench_launch                                  the whole measurement
//   bench_launch --child CACHE_DIR LAUNCHES REPS  both sides' launches in this process (a disk hit)
#include "data.hpp"
#include "jitcu_side.hpp"

#include <cuda.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
using bench::Clock;
using bench::Json;

// The floor's launches: the same cubin loaded by the driver's own calls, from the driver jitcu
// loaded (dlopen of a loaded library returns it).
class RawLauncher {
 public:
  explicit RawLauncher(const std::string& cubin_path) {
    void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    bench::require(driver != nullptr, "the CUDA driver is not loaded in this process after a jitcu launch");
    auto symbol = [&](const char* name) { return bench::symbol_in(driver, "libcuda", name); };
    launch_ = reinterpret_cast<decltype(&cuLaunchKernel)>(symbol("cuLaunchKernel"));
    auto load = reinterpret_cast<decltype(&cuLibraryLoadData)>(symbol("cuLibraryLoadData"));
    auto get_kernel = reinterpret_cast<decltype(&cuLibraryGetKernel)>(symbol("cuLibraryGetKernel"));
    image_ = bench::read_file(cubin_path);
    bench::require(load(&library_, image_.data(), nullptr, nullptr, 0, nullptr, nullptr, 0) == CUDA_SUCCESS,
                   "cuLibraryLoadData failed on " + cubin_path);
    bench::require(get_kernel(&kernel_, library_, "dot_product") == CUDA_SUCCESS, "cuLibraryGetKernel failed");
  }
  void launch(unsigned threads, void** params) const {
    if (launch_(reinterpret_cast<CUfunction>(kernel_), 1, 1, 1, threads, 1, 1, 0, nullptr, params, nullptr) != CUDA_SUCCESS)
      throw bench::Failure("cuLaunchKernel failed");
  }

 private:
  decltype(&cuLaunchKernel) launch_ = nullptr;
  std::string image_;
  CUlibrary library_ = nullptr;
  CUkernel kernel_ = nullptr;
};

int child(const std::string& cache_dir, int launches, int reps) {
  bench::require_device();
  bench::Report report("bench_launch --child");
  jitcu::Engine engine = bench::engine_at(cache_dir);
  const jitcu::Module module = engine.compile(jitcu::Source::file(bench::seed_kernel()));
  const jitcu::Kernel kernel = module.kernel("dot_product");
  constexpr int n = 32;
  const auto a = bench::pattern(n, 3), b = bench::pattern(n, 4);
  auto da = jitcu::to_device(a), db = jitcu::to_device(b);
  jitcu::DeviceBuffer<float> dc(n);
  dc.fill_bytes(0xFF);
  for (int i = 0; i < 10000; ++i) kernel.launch(1, n, da, db, dc, n);
  jitcu::synchronize();

  int count = n;
  void* params[] = {const_cast<jitcu::DevicePtr*>(da.ptr_address()), const_cast<jitcu::DevicePtr*>(db.ptr_address()),
                    const_cast<jitcu::DevicePtr*>(dc.ptr_address()), &count};
  const RawLauncher raw(bench::cubin_of(module).string());
  for (int i = 0; i < 10000; ++i) raw.launch(n, params);
  jitcu::synchronize();

  // Each repetition times jitcu checked, jitcu packed and the floor, in a rotated order.
  std::vector<double> checked_us, packed_us, raw_us;
  auto timed = [&](std::vector<double>& samples, auto&& launch_once) {
    const auto start = Clock::now();
    for (int i = 0; i < launches; ++i) launch_once();
    jitcu::synchronize();
    samples.push_back(bench::ms_since(start) * 1000.0 / launches);
  };
  jitcu::LaunchConfig config;
  config.grid = 1;
  config.block = n;
  for (int r = 0; r < reps; ++r) {
    for (int slot = 0; slot < 3; ++slot) {
      switch ((r + slot) % 3) {
        case 0: timed(checked_us, [&] { kernel.launch(1, n, da, db, dc, n); }); break;
        case 1: timed(packed_us, [&] { kernel.launch_packed(config, params); }); break;
        default: timed(raw_us, [&] { raw.launch(n, params); });
      }
    }
  }
  std::vector<float> c(n);
  dc.copy_to(c);
  report.check("result_correct", bench::first_wrong_product(a, b, c) < 0);
  bool rejects_double = false;
  try {
    kernel.launch(1, n, da, db, dc, 32.0);  // a double where the kernel takes int: must throw
  } catch (const jitcu::ArgumentError&) {
    rejects_double = true;
  }
  report.check("check_rejects_wrong_type", rejects_double);
  report.result("checked_us", bench::stats(checked_us, "us"));
  report.result("packed_us", bench::stats(packed_us, "us"));
  report.result("raw_us", bench::stats(raw_us, "us"));
  return report.print();
}

int run(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--child") return child(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  bench::require_device();
  bench::Report report("bench_launch");
  const int launches = bench::env_int("JITCU_BENCH_LAUNCHES", 200000);
  const int processes = std::max(1, bench::env_int("JITCU_BENCH_LAUNCH_PROCESSES", 4));
  const int reps = std::max(1, bench::env_int("JITCU_BENCH_LAUNCH_REPS", 3));
  bench::TempDir cache("launch");
  const jitcu::Module module = bench::engine_at(cache.path()).compile(jitcu::Source::file(bench::seed_kernel()));
  const std::vector<std::string> raw_command = {bench::sibling("raw_driver").string(), "launch",
                                                bench::cubin_of(module).string(), "dot_product",
                                                std::to_string(launches), std::to_string(reps)};
  const std::vector<std::string> jitcu_command = {(bench::executable_dir() / "bench_launch").string(), "--child",
                                                  cache.path().string(), std::to_string(launches), std::to_string(reps)};
  std::vector<double> raw_us, raw_own_us, checked_us, packed_us;
  for (int round = 0; round < processes; ++round) {
    for (int slot = 0; slot < 2; ++slot) {
      if ((round + slot) % 2 == 0) {
        bench::append_samples_of(raw_own_us, bench::run_json_child(raw_command, {}, 120)["results"]["launch_us"]);
      } else {
        const Json side = bench::run_json_child(jitcu_command, {}, 120);  // a failed check fails it
        bench::append_samples_of(checked_us, side["results"]["checked_us"]);
        bench::append_samples_of(packed_us, side["results"]["packed_us"]);
        bench::append_samples_of(raw_us, side["results"]["raw_us"]);
        for (const auto& [name, passed] : side["checks"].items()) report.check(name, passed.get<bool>());
      }
    }
  }
  report.result("jitcu_launch_us", bench::stats(checked_us, "us"));
  report.result("jitcu_launch_packed_us", bench::stats(packed_us, "us"));
  report.result("raw_launch_us", bench::stats(raw_us, "us"));
  report.result("raw_own_process_launch_us", bench::stats(raw_own_us, "us"));
  report.info("launches_per_rep", launches);
  report.info("processes_per_side", processes);
  report.info("reps_per_process", reps);
  return report.print();
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_launch", run, argc, argv); }
