// Launch overhead: 200,000 back-to-back launches of c = a * b (4 parameters: three
// DeviceBuffer<float> and an int, n = 32, one block), then one synchronize; per launch.
//  - jitcu: Kernel::launch with checked arguments (the check runs on every launch);
//  - jitcu: Kernel::launch_packed (no check), to show what the check costs;
//  - floor: raw cuLaunchKernel of the same cubin (raw_driver launch).
// Both sides run in several new processes, alternated (JITCU_BENCH_LAUNCH_PROCESSES a side):
// on the H100 host one process's launches ran 10% slower than another's for the same code,
// so one process a side measured mostly where each landed.
//
//   bench_launch                                  the whole measurement
//   bench_launch --child CACHE_DIR LAUNCHES REPS  jitcu's launches in this process (a disk hit)
#include "data.hpp"
#include "jitcu_side.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
using bench::Clock;
using bench::Json;

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

  std::vector<double> checked_us, packed_us;
  for (int r = 0; r < reps; ++r) {
    auto start = Clock::now();
    for (int i = 0; i < launches; ++i) kernel.launch(1, n, da, db, dc, n);
    jitcu::synchronize();
    checked_us.push_back(bench::ms_since(start) * 1000.0 / launches);

    int count = n;
    void* params[] = {const_cast<jitcu::DevicePtr*>(da.ptr_address()), const_cast<jitcu::DevicePtr*>(db.ptr_address()),
                      const_cast<jitcu::DevicePtr*>(dc.ptr_address()), &count};
    jitcu::LaunchConfig config;
    config.grid = 1;
    config.block = n;
    start = Clock::now();
    for (int i = 0; i < launches; ++i) kernel.launch_packed(config, params);
    jitcu::synchronize();
    packed_us.push_back(bench::ms_since(start) * 1000.0 / launches);
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
  std::vector<double> raw_us, checked_us, packed_us;
  auto append = [](std::vector<double>& to, const Json& stats) {
    for (double us : bench::samples_of(stats)) to.push_back(us);
  };
  for (int round = 0; round < processes; ++round) {
    for (int slot = 0; slot < 2; ++slot) {
      if ((round + slot) % 2 == 0) {
        append(raw_us, bench::run_json_child(raw_command, {}, 120)["results"]["launch_us"]);
      } else {
        const Json side = bench::run_json_child(jitcu_command, {}, 120);  // a failed check fails it
        append(checked_us, side["results"]["checked_us"]);
        append(packed_us, side["results"]["packed_us"]);
        for (const auto& [name, passed] : side["checks"].items()) report.check(name, passed.get<bool>());
      }
    }
  }
  report.result("jitcu_launch_us", bench::stats(checked_us, "us"));
  report.result("jitcu_launch_packed_us", bench::stats(packed_us, "us"));
  report.result("raw_launch_us", bench::stats(raw_us, "us"));
  report.info("launches_per_rep", launches);
  report.info("processes_per_side", processes);
  report.info("reps_per_process", reps);
  return report.print();
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_launch", run, argc, argv); }
