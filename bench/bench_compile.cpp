// Compile through jitcu against raw NVRTC with the same options (raw_nvrtc, a separate process
// so this one never links NVRTC):
//  - cold compile of the seed kernel (kernels/vector_ops.cu): context up, empty cache, a new
//    Engine on a fresh cache folder each time; timed: Source::file + Engine::compile. Both
//    sides run in several new processes, alternated: NVRTC's speed differs by up to 1.5x between
//    two processes of the same program on the H100 host (where the process runs), so one
//    process a side measured mostly where each landed.
//  - repeat compile() of the same source in one process (the in-process cache), per call.
// Runs without a GPU too (then without a context, for sm_90 or $JITCU_ARCH).
//
//   bench_compile                                  the whole measurement
//   bench_compile --cold-child ARCH REPS [--context]   REPS cold compiles in this process
#include "jitcu_side.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
using bench::Clock;
using bench::Json;

// Cold compiles of `kernel` for `arch`, each on a fresh Engine and folder: the whole compile()
// and NVRTC's share of it (Module::compile_ms), in milliseconds.
std::pair<std::vector<double>, std::vector<double>> cold_compiles(const std::string& kernel, const std::string& arch,
                                                                   const std::filesystem::path& scratch, int reps) {
  std::vector<double> total_ms, nvrtc_ms;
  for (int i = -2; i < reps; ++i) {  // two warm-ups: opening NVRTC, reading the toolkit
    jitcu::Engine engine = bench::engine_at(scratch / ("cold-" + std::to_string(i + 2)));
    jitcu::CompileOptions options;
    options.arch = arch;
    const auto start = Clock::now();
    const jitcu::Module module = engine.compile(jitcu::Source::file(kernel), options);
    const double ms = bench::ms_since(start);
    bench::require(module.origin() == jitcu::Origin::compiled,
                   std::string("a compile into an empty cache was not a miss but ") + bench::origin_name(module.origin()));
    bench::require(module.has_kernel("dot_product"), "the seed module has no dot_product");
    if (i < 0) continue;
    total_ms.push_back(ms);
    nvrtc_ms.push_back(module.compile_ms());
  }
  return {total_ms, nvrtc_ms};
}

// `bench_compile --cold-child ARCH REPS [--context]`: cold compiles in a new process.
int cold_child(const std::string& arch, int reps, bool context) {
  bench::Report report("bench_compile --cold-child");
  if (context) jitcu::synchronize();  // context up: cuInit and the primary context are not timed
  bench::TempDir scratch("compile-cold");
  const auto [total_ms, nvrtc_ms] = cold_compiles(bench::seed_kernel().string(), arch, scratch.path(), reps);
  report.result("cold_compile_ms", bench::stats(total_ms, "ms"));
  report.result("nvrtc_ms", bench::stats(nvrtc_ms, "ms"));
  return report.print();
}

int run(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "--cold-child")
    return cold_child(argv[2], std::atoi(argv[3]), argc > 4 && std::string(argv[4]) == "--context");
  bench::Report report("bench_compile");
  const int processes = std::max(1, bench::env_int("JITCU_BENCH_COLD_PROCESSES", 8));
  const int reps_each = std::max(1, bench::env_int("JITCU_BENCH_REPS", 24) / processes);
  const bool gpu = jitcu::cuda_available();
  if (!gpu) report.note("no CUDA device (" + jitcu::cuda_unavailable_reason() + "): measured without a context");
  const std::string kernel = bench::seed_kernel().string();
  bench::TempDir scratch("compile");
  const std::string arch = bench::engine_at(scratch.path() / "arch").default_arch();

  // Each round runs one process of each kind, in a rotated order so that drift and the
  // first-or-last slot hit every kind alike.
  const std::string self = (bench::executable_dir() / "bench_compile").string();
  std::vector<std::string> raw_command = {bench::sibling("raw_nvrtc").string(), "compile", kernel, arch,
                                          std::to_string(reps_each), "2"};
  std::vector<std::string> jitcu_command = {self, "--cold-child", arch, std::to_string(reps_each)};
  if (gpu) {
    raw_command.push_back("--context");
    jitcu_command.push_back("--context");
  }
  const std::vector<std::string> plain_command = {self, "--cold-child", arch, std::to_string(reps_each)};
  std::vector<double> raw_ms, jitcu_ms, jitcu_nvrtc_ms, plain_ms, plain_nvrtc_ms;
  auto append = [](std::vector<double>& to, const Json& stats) {
    for (double ms : bench::samples_of(stats)) to.push_back(ms);
  };
  for (int round = 0; round < processes; ++round) {
    for (int slot = 0; slot < 3; ++slot) {
      switch ((round + slot) % 3) {
        case 0: {
          const Json raw = bench::run_json_child(raw_command, {}, 120);
          append(raw_ms, raw["results"]["compile_ms"]);
          report.info("raw_options", raw["info"]["options"]);
          report.info("nvrtc", raw["info"]["nvrtc"]);
          break;
        }
        case 1: {
          const Json jitcu_side = bench::run_json_child(jitcu_command, {}, 120);
          append(jitcu_ms, jitcu_side["results"]["cold_compile_ms"]);
          append(jitcu_nvrtc_ms, jitcu_side["results"]["nvrtc_ms"]);
          break;
        }
        default: {
          if (!gpu) break;  // without a GPU the jitcu processes have no context either
          const Json plain = bench::run_json_child(plain_command, {}, 120);
          append(plain_ms, plain["results"]["cold_compile_ms"]);
          append(plain_nvrtc_ms, plain["results"]["nvrtc_ms"]);
        }
      }
    }
  }

  report.result("jitcu_cold_compile_ms", bench::stats(jitcu_ms, "ms"));
  report.result("raw_cold_compile_ms", bench::stats(raw_ms, "ms"));
  // Where the time goes: NVRTC's share inside jitcu, and jitcu in processes without a context.
  report.result("jitcu_cold_nvrtc_ms", bench::stats(jitcu_nvrtc_ms, "ms"));
  if (gpu) {
    report.result("jitcu_cold_compile_no_context_ms", bench::stats(plain_ms, "ms"));
    report.result("jitcu_cold_nvrtc_no_context_ms", bench::stats(plain_nvrtc_ms, "ms"));
  }
  report.info("cold_processes_per_side", processes);
  report.info("cold_compiles_per_process", reps_each);
  report.info("arch", arch);
  report.info("context_up", gpu);

  if (gpu) jitcu::synchronize();
  // The in-process cache: compile() of a source this process compiled already.
  jitcu::Engine engine = bench::engine_at(scratch.path() / "repeat");
  const jitcu::Source source = jitcu::Source::file(kernel);
  engine.compile(source);
  constexpr int calls = 100000;
  std::vector<double> compile_us, compile_and_kernel_us;
  for (int r = 0; r < 7; ++r) {
    auto start = Clock::now();
    for (int i = 0; i < calls; ++i) {
      const jitcu::Module module = engine.compile(source);
      if (module.origin() != jitcu::Origin::process_cache) throw bench::Failure("a repeat compile was not an in-process hit");
    }
    compile_us.push_back(bench::ms_since(start) * 1000.0 / calls);
    start = Clock::now();
    for (int i = 0; i < calls; ++i) {
      const jitcu::Kernel k = engine.compile(source).kernel("dot_product");
      if (k.params().size() != 4) throw bench::Failure("dot_product should have 4 parameters");
    }
    compile_and_kernel_us.push_back(bench::ms_since(start) * 1000.0 / calls);
  }
  report.result("repeat_compile_us", bench::stats(compile_us, "us"));
  report.result("repeat_compile_and_kernel_us", bench::stats(compile_and_kernel_us, "us"));
  report.info("repeat_calls_per_rep", calls);
  return report.print();
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_compile", run, argc, argv); }
