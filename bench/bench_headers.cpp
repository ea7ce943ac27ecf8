// A header-heavy compile (CUB BlockReduce, bench/kernels/cub_reduce_a.cu) in new processes:
//  - jitcu, first time (empty cache: NVRTC runs), then second time in another new process
//    (the disk cache hit), against raw NVRTC without PCH in a new process (raw_nvrtc one);
//  - a different CUB kernel (cub_reduce_b.cu) in a new process with the same cache (NVRTC runs
//    again) against raw NVRTC on that kernel.
// Each child's time is Engine + compile() (+ kernel()); the driver is brought up before the
// timer in jitcu's child (the engine asks the device for its arch). wall_ms: spawn to exit.
// The three jitcu steps are also run through compile_async (a jitcu-worker process, started in
// the call), whose precompiled headers are kept in the cache for the next process's worker.
//
//   bench_headers                                 the parent
//   bench_headers --child FILE KERNEL [--worker]  one jitcu child (cache from JITCU_CACHE_DIR)
#include "jitcu_side.hpp"

#include <cstring>
#include <string>
#include <vector>

namespace {
using bench::Clock;
using bench::Json;

int child(const std::string& file, const std::string& kernel_name, bool worker) {
  bench::Report report("bench_headers --child");
  auto start = Clock::now();
  const bool gpu = jitcu::cuda_available();  // loads the driver: the engine's arch comes from it
  report.result("driver_ms", bench::ms_since(start));
  start = Clock::now();
  jitcu::Engine engine;
  const jitcu::Module module = worker ? engine.compile_async(jitcu::Source::file(file)).get()
                                      : engine.compile(jitcu::Source::file(file));
  module.kernel(kernel_name);
  report.result("compile_ms", bench::ms_since(start));
  if (auto since = bench::ms_since_spawn()) report.result("spawn_to_compiled_ms", *since);
  report.info("origin", bench::origin_name(module.origin()));
  report.info("arch", module.arch());
  report.info("gpu", gpu);
  report.info("nvrtc_loaded", bench::library_mapped("libnvrtc"));
  return report.print();
}

int parent() {
  bench::Report report("bench_headers");
  const int reps = bench::env_int("JITCU_BENCH_CUB_REPS", 3);
  const std::string kernel_a = bench::bench_kernel("cub_reduce_a.cu").string();
  const std::string kernel_b = bench::bench_kernel("cub_reduce_b.cu").string();
  bench::TempDir scratch("headers");
  const std::string arch = bench::engine_at(scratch.path() / "arch").default_arch();
  const std::string self = (bench::executable_dir() / "bench_headers").string();
  const std::string raw = bench::sibling("raw_nvrtc").string();
  constexpr double timeout_s = 120;

  std::vector<double> first, second, other, raw_a, raw_b, first_wall, second_wall, other_wall, raw_a_wall, raw_b_wall,
      worker_first, worker_second, worker_other;
  bool origins_right = true, hit_without_nvrtc = true;
  for (int r = 0; r < reps; ++r) {
    const auto cache = scratch.path() / ("cache-" + std::to_string(r));
    const bench::EnvOverrides env = {{"JITCU_CACHE_DIR", cache.string()}, {"JITCU_LOG_LEVEL", "warn"}};
    const Json j1 = bench::run_json_child({self, "--child", kernel_a, "block_sum"}, env, timeout_s);
    const Json ra = bench::run_json_child({raw, "one", kernel_a, arch}, {}, timeout_s);
    const Json j2 = bench::run_json_child({self, "--child", kernel_a, "block_sum"}, env, timeout_s);
    const Json j3 = bench::run_json_child({self, "--child", kernel_b, "block_sum_double"}, env, timeout_s);
    const Json rb = bench::run_json_child({raw, "one", kernel_b, arch}, {}, timeout_s);
    origins_right = origins_right && j1["info"]["origin"] == "compiled" && j2["info"]["origin"] == "disk_cache" &&
                    j3["info"]["origin"] == "compiled";
    hit_without_nvrtc = hit_without_nvrtc && !j2["info"]["nvrtc_loaded"].get<bool>();
    first.push_back(j1["results"]["compile_ms"].get<double>());
    second.push_back(j2["results"]["compile_ms"].get<double>());
    other.push_back(j3["results"]["compile_ms"].get<double>());
    raw_a.push_back(ra["results"]["compile_ms"].get<double>());
    raw_b.push_back(rb["results"]["compile_ms"].get<double>());
    first_wall.push_back(j1["wall_ms"].get<double>());
    second_wall.push_back(j2["wall_ms"].get<double>());
    other_wall.push_back(j3["wall_ms"].get<double>());
    raw_a_wall.push_back(ra["wall_ms"].get<double>());
    raw_b_wall.push_back(rb["wall_ms"].get<double>());

    // The same through a worker process (compile_async): its precompiled headers stay in the
    // cache (<cache>/pch), so the other kernel in a later process reuses the first one's.
    const auto worker_cache = scratch.path() / ("worker-cache-" + std::to_string(r));
    const bench::EnvOverrides worker_env = {{"JITCU_CACHE_DIR", worker_cache.string()}, {"JITCU_LOG_LEVEL", "warn"}};
    const Json w1 = bench::run_json_child({self, "--child", kernel_a, "block_sum", "--worker"}, worker_env, timeout_s);
    const Json w2 = bench::run_json_child({self, "--child", kernel_a, "block_sum", "--worker"}, worker_env, timeout_s);
    const Json w3 = bench::run_json_child({self, "--child", kernel_b, "block_sum_double", "--worker"}, worker_env, timeout_s);
    origins_right = origins_right && w1["info"]["origin"] == "compiled" && w2["info"]["origin"] == "disk_cache" &&
                    w3["info"]["origin"] == "compiled";
    worker_first.push_back(w1["results"]["compile_ms"].get<double>());
    worker_second.push_back(w2["results"]["compile_ms"].get<double>());
    worker_other.push_back(w3["results"]["compile_ms"].get<double>());
  }
  report.result("jitcu_first_ms", bench::stats(first, "ms"));
  report.result("jitcu_second_ms", bench::stats(second, "ms"));
  report.result("jitcu_other_kernel_ms", bench::stats(other, "ms"));
  report.result("raw_ms", bench::stats(raw_a, "ms"));
  report.result("raw_other_kernel_ms", bench::stats(raw_b, "ms"));
  report.result("jitcu_first_process_ms", bench::stats(first_wall, "ms"));
  report.result("jitcu_second_process_ms", bench::stats(second_wall, "ms"));
  report.result("jitcu_other_kernel_process_ms", bench::stats(other_wall, "ms"));
  report.result("raw_process_ms", bench::stats(raw_a_wall, "ms"));
  report.result("raw_other_kernel_process_ms", bench::stats(raw_b_wall, "ms"));
  report.result("worker_first_ms", bench::stats(worker_first, "ms"));
  report.result("worker_second_ms", bench::stats(worker_second, "ms"));
  report.result("worker_other_kernel_ms", bench::stats(worker_other, "ms"));
  report.check("origins_compiled_hit_compiled", origins_right);
  report.check("second_time_never_loads_nvrtc", hit_without_nvrtc);
  report.info("arch", arch);
  report.info("rounds", reps);
  return report.print();
}

int run(int argc, char** argv) {
  if ((argc == 4 || argc == 5) && std::strcmp(argv[1], "--child") == 0) {
    const bool worker = argc == 5 && std::strcmp(argv[4], "--worker") == 0;
    bench::require(argc == 4 || worker, "usage: bench_headers --child FILE KERNEL [--worker]");
    return child(argv[2], argv[3], worker);
  }
  if (argc == 1) return parent();
  throw bench::Failure("usage: bench_headers [--child FILE KERNEL [--worker]]");
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_headers", run, argc, argv); }
