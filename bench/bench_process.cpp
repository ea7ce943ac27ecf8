// New processes with a warm cache, jitcu against the driver-API floor (raw_driver hit):
//  - disk-cache hit to a finished first launch, context already up: jitcu's Engine + compile()
//    + kernel() + launch + synchronize, against reading the cubin + cuLibraryLoadData +
//    cuLibraryGetKernel + launch + synchronize. The child also checks that libnvrtc was never
//    mapped into it (/proc/self/maps).
//  - the whole process, spawn to exit and spawn to the first kernel finished: cuInit and the
//    primary context, the hit, the launch, and (spawn to exit) the driver's teardown.
// The children run interleaved (jitcu, raw, jitcu, raw, ...) so drift hits both alike.
//
//   bench_process            the parent: fills a cache, runs the children, prints the results
//   bench_process --child    one jitcu child (JITCU_CACHE_DIR says where the cache is)
#include "data.hpp"
#include "jitcu_side.hpp"

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {
using bench::Clock;
using bench::Json;

// Each step's samples over the children (milliseconds and page faults), to report medians.
struct StepSamples {
  std::map<std::string, std::vector<double>> ms, faults;

  void add(const Json& steps) {
    for (const auto& [step, value] : steps["step_ms"].items()) ms[step].push_back(value.get<double>());
    for (const auto& [step, value] : steps["step_faults"].items()) faults[step].push_back(value.get<double>());
  }
  Json medians() const {
    Json out = Json::object();
    for (const auto& [step, samples] : ms)
      out[step] = {{"median_ms", bench::median(samples)}, {"median_faults", bench::median(faults.at(step))}};
    return out;
  }
};

int child() {
  const auto main_started = bench::ms_since_spawn();
  bench::Report report("bench_process --child");
  auto start = Clock::now();
  jitcu::synchronize();  // cuInit and the primary context, as raw_driver does first
  const double context_ms = bench::ms_since(start);
  constexpr int n = 4096;
  const auto a = bench::pattern(n, 1), b = bench::pattern(n, 2);
  auto da = jitcu::to_device(a), db = jitcu::to_device(b);
  jitcu::DeviceBuffer<float> dc(n);
  dc.fill_bytes(0xFF);  // NaN: every element must be written

  const auto seed = bench::seed_kernel();
  start = Clock::now();
  bench::Steps steps;  // where the time goes; its own cost (a getrusage per step) is in hit_ms
  jitcu::Engine engine;  // the cache from JITCU_CACHE_DIR, as a user's program would
  steps.mark("engine");
  const jitcu::Source source = jitcu::Source::file(seed);
  steps.mark("source");
  const jitcu::Module module = engine.compile(source);
  steps.mark("compile");
  const jitcu::Kernel kernel = module.kernel("dot_product");
  steps.mark("kernel");
  const double compile_ms = bench::ms_since(start);
  kernel.launch(jitcu::grid_for(n, 256), 256, da, db, dc, n);
  steps.mark("launch");
  jitcu::synchronize();
  steps.mark("synchronize");
  const double hit_ms = bench::ms_since(start);
  const auto spawn_to_kernel = bench::ms_since_spawn();

  std::vector<float> c(n);
  dc.copy_to(c);
  const bool nvrtc_loaded = bench::library_mapped("libnvrtc");
  report.check("result_correct", bench::first_wrong_product(a, b, c) < 0);
  report.check("disk_cache_hit", module.origin() == jitcu::Origin::disk_cache);
  report.info("origin", bench::origin_name(module.origin()));
  report.info("nvrtc_loaded", nvrtc_loaded);
  report.result("context_ms", context_ms);
  report.result("compile_ms", compile_ms);
  report.result("hit_ms", hit_ms);
  report.info("steps", steps.json());
  if (main_started) report.result("spawn_to_main_ms", *main_started);
  if (spawn_to_kernel) report.result("spawn_to_kernel_done_ms", *spawn_to_kernel);
  return report.print();
}

int parent() {
  bench::require_device();
  bench::Report report("bench_process");
  const int reps = bench::env_int("JITCU_BENCH_PROCESS_REPS", 24);
  bench::TempDir cache("process");
  std::string cubin;
  {
    jitcu::Engine engine = bench::engine_at(cache.path());
    const jitcu::Module module = engine.compile(jitcu::Source::file(bench::seed_kernel()));
    cubin = bench::cubin_of(module).string();
    report.info("arch", module.arch());
  }
  const bench::EnvOverrides env = {{"JITCU_CACHE_DIR", cache.path().string()}, {"JITCU_LOG_LEVEL", "warn"}};
  const std::vector<std::string> jitcu_child = {(bench::executable_dir() / "bench_process").string(), "--child"};
  const std::vector<std::string> raw_child = {bench::sibling("raw_driver").string(), "hit", cubin, "dot_product"};

  // Warm-up: page cache for both executables and their libraries, the driver's own caches.
  bench::run_json_child(jitcu_child, env, 60);
  bench::run_json_child(raw_child, env, 60);

  std::vector<double> jitcu_hit, raw_hit, raw_load, jitcu_wall, raw_wall, jitcu_kernel, raw_kernel, jitcu_ctx, raw_ctx,
      jitcu_compile;
  StepSamples jitcu_steps, raw_steps;
  bool nvrtc_never_loaded = true, all_hits = true, all_correct = true;
  for (int i = 0; i < reps; ++i) {
    const Json j = bench::run_json_child(jitcu_child, env, 60);
    const Json r = bench::run_json_child(raw_child, env, 60);
    jitcu_hit.push_back(j["results"]["hit_ms"].get<double>());
    jitcu_compile.push_back(j["results"]["compile_ms"].get<double>());
    jitcu_ctx.push_back(j["results"]["context_ms"].get<double>());
    jitcu_wall.push_back(j["wall_ms"].get<double>());
    jitcu_kernel.push_back(j["results"]["spawn_to_kernel_done_ms"].get<double>());
    raw_hit.push_back(r["results"]["hit_ms"].get<double>());
    jitcu_steps.add(j["info"]["steps"]);
    raw_steps.add(r["info"]["steps"]);
    raw_load.push_back(r["results"]["load_ms"].get<double>());
    raw_ctx.push_back(r["results"]["context_ms"].get<double>());
    raw_wall.push_back(r["wall_ms"].get<double>());
    raw_kernel.push_back(r["results"]["spawn_to_kernel_done_ms"].get<double>());
    nvrtc_never_loaded = nvrtc_never_loaded && !j["info"]["nvrtc_loaded"].get<bool>();
    all_hits = all_hits && j["checks"]["disk_cache_hit"].get<bool>();
    all_correct = all_correct && j["checks"]["result_correct"].get<bool>() && r["checks"]["result_correct"].get<bool>();
  }
  report.result("jitcu_hit_ms", bench::stats(jitcu_hit, "ms"));
  report.result("raw_hit_ms", bench::stats(raw_hit, "ms"));
  report.result("jitcu_compile_only_ms", bench::stats(jitcu_compile, "ms"));
  report.result("raw_load_only_ms", bench::stats(raw_load, "ms"));
  report.result("jitcu_context_ms", bench::stats(jitcu_ctx, "ms"));
  report.result("raw_context_ms", bench::stats(raw_ctx, "ms"));
  report.result("jitcu_process_ms", bench::stats(jitcu_wall, "ms"));
  report.result("raw_process_ms", bench::stats(raw_wall, "ms"));
  report.result("jitcu_spawn_to_kernel_ms", bench::stats(jitcu_kernel, "ms"));
  report.result("raw_spawn_to_kernel_ms", bench::stats(raw_kernel, "ms"));
  report.result("jitcu_steps", jitcu_steps.medians());
  report.result("raw_steps", raw_steps.medians());
  report.check("nvrtc_never_loaded", nvrtc_never_loaded);
  report.check("all_disk_cache_hits", all_hits);
  report.check("results_correct", all_correct);
  report.info("processes_each", reps);
  return report.print();
}

int run(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--child") == 0) return child();
  if (argc == 1) return parent();
  throw bench::Failure("usage: bench_process [--child]");
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_process", run, argc, argv); }
