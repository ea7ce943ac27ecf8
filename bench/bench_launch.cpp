// Launch overhead: 200,000 back-to-back launches of c = a * b (4 parameters: three
// DeviceBuffer<float> and an int, n = 32, one block), then one synchronize; per launch.
//  - jitcu: Kernel::launch with checked arguments (the check runs on every launch);
//  - jitcu: Kernel::launch_packed (no check), to show what the check costs;
//  - floor: raw cuLaunchKernel of the same cubin (raw_driver launch, a separate process),
//    measured before and after jitcu.
#include "data.hpp"
#include "jitcu_side.hpp"

#include <string>
#include <vector>

namespace {
using bench::Clock;
using bench::Json;

int run(int, char**) {
  bench::require_device();
  bench::Report report("bench_launch");
  const int launches = bench::env_int("JITCU_BENCH_LAUNCHES", 200000);
  const int reps = bench::env_int("JITCU_BENCH_LAUNCH_REPS", 5);
  bench::TempDir cache("launch");
  jitcu::Engine engine = bench::engine_at(cache.path());
  const jitcu::Module module = engine.compile(jitcu::Source::file(bench::seed_kernel()));
  const std::string cubin = bench::cubin_of(module).string();
  const std::vector<std::string> raw_command = {bench::sibling("raw_driver").string(), "launch", cubin, "dot_product",
                                                std::to_string(launches), std::to_string(reps)};
  std::vector<double> raw_us;
  auto run_raw = [&] {
    const Json raw = bench::run_json_child(raw_command, {}, 120);
    for (double us : bench::samples_of(raw["results"]["launch_us"])) raw_us.push_back(us);
  };
  run_raw();

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

  run_raw();
  report.result("jitcu_launch_us", bench::stats(checked_us, "us"));
  report.result("jitcu_launch_packed_us", bench::stats(packed_us, "us"));
  report.result("raw_launch_us", bench::stats(raw_us, "us"));
  report.info("launches_per_rep", launches);
  return report.print();
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_launch", run, argc, argv); }
