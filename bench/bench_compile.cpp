// Compile through jitcu against raw NVRTC with the same options:
//  - cold compile of the seed kernel (kernels/vector_ops.cu): context up, empty cache, a new
//    Engine on a fresh cache folder each time; timed: Source::file + Engine::compile. The floor
//    is the same file compiled by NVRTC's own calls in the same process, alternating with
//    jitcu's compiles (dlsym from the NVRTC jitcu loaded): on the H100 host NVRTC's time for one
//    compile differed by up to 1.5x between processes of one program (where the process ran),
//    so only a floor in the same processes compares like with like. Six such processes; a
//    report row also times raw_nvrtc in processes of its own, alternated with them.
//  - repeat compile() of the same source in one process (the in-process cache), per call.
// Runs without a GPU too (then without a context, for sm_90 or $JITCU_ARCH).
//
//   bench_compile                                     the whole measurement
//   bench_compile --cold-child ARCH REPS [--context]  REPS cold compiles a side in this process
#include "jitcu_side.hpp"
#include "nvrtc_floor.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {
using bench::Clock;
using bench::Json;

// NVRTC's functions from the library jitcu loaded (dlopen of a loaded library returns it).
bench::NvrtcApi loaded_nvrtc() {
  void* handle = dlopen("libnvrtc.so.13", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  bench::require(handle != nullptr, "NVRTC is not loaded in this process after a jitcu compile");
  auto symbol = [&](const char* name) { return bench::symbol_in(handle, "libnvrtc", name); };
  bench::NvrtcApi api{};
  api.create_program = reinterpret_cast<decltype(api.create_program)>(symbol("nvrtcCreateProgram"));
  api.compile_program = reinterpret_cast<decltype(api.compile_program)>(symbol("nvrtcCompileProgram"));
  api.destroy_program = reinterpret_cast<decltype(api.destroy_program)>(symbol("nvrtcDestroyProgram"));
  api.log_size = reinterpret_cast<decltype(api.log_size)>(symbol("nvrtcGetProgramLogSize"));
  api.log = reinterpret_cast<decltype(api.log)>(symbol("nvrtcGetProgramLog"));
  api.ptx_size = reinterpret_cast<decltype(api.ptx_size)>(symbol("nvrtcGetPTXSize"));
  api.ptx = reinterpret_cast<decltype(api.ptx)>(symbol("nvrtcGetPTX"));
  api.cubin_size = reinterpret_cast<decltype(api.cubin_size)>(symbol("nvrtcGetCUBINSize"));
  api.cubin = reinterpret_cast<decltype(api.cubin)>(symbol("nvrtcGetCUBIN"));
  api.error_string = reinterpret_cast<decltype(api.error_string)>(symbol("nvrtcGetErrorString"));
  return api;
}

struct ColdSamples {
  std::vector<double> jitcu_ms, jitcu_nvrtc_ms, raw_ms;
};

// Cold compiles of `kernel` for `arch`, jitcu's (each on a fresh Engine and folder) alternating
// with raw NVRTC's, after two warm-ups a side (opening NVRTC, reading the toolkit).
ColdSamples cold_compiles(const std::string& kernel, const std::string& arch, const std::filesystem::path& scratch,
                          int reps) {
  ColdSamples samples;
  std::optional<bench::NvrtcApi> raw_api;
  const auto raw_options = bench::jitcu_options(kernel, arch);
  for (int i = -2; i < reps; ++i) {
    for (int side = 0; side < 2; ++side) {
      if ((i + side) % 2 == 0) {  // alternate which side goes first
        jitcu::Engine engine = bench::engine_at(scratch / ("cold-" + std::to_string(i + 2)));
        jitcu::CompileOptions options;
        options.arch = arch;
        const auto start = Clock::now();
        const jitcu::Module module = engine.compile(jitcu::Source::file(kernel), options);
        const double ms = bench::ms_since(start);
        bench::require(module.origin() == jitcu::Origin::compiled,
                       std::string("a compile into an empty cache was not a miss but ") + bench::origin_name(module.origin()));
        bench::require(module.has_kernel("dot_product"), "the seed module has no dot_product");
        if (!raw_api) raw_api = loaded_nvrtc();
        if (i < 0) continue;
        samples.jitcu_ms.push_back(ms);
        samples.jitcu_nvrtc_ms.push_back(module.compile_ms());
      } else {
        if (!raw_api) continue;  // jitcu loads NVRTC first
        const auto start = Clock::now();
        bench::compile_file(*raw_api, kernel, raw_options);
        const double ms = bench::ms_since(start);
        if (i >= 0) samples.raw_ms.push_back(ms);
      }
    }
  }
  return samples;
}

// `bench_compile --cold-child ARCH REPS [--context]`: cold compiles in a new process.
int cold_child(const std::string& arch, int reps, bool context) {
  bench::Report report("bench_compile --cold-child");
  if (context) jitcu::synchronize();  // context up: cuInit and the primary context are not timed
  bench::TempDir scratch("compile-cold");
  const ColdSamples samples = cold_compiles(bench::seed_kernel().string(), arch, scratch.path(), reps);
  report.result("cold_compile_ms", bench::stats(samples.jitcu_ms, "ms"));
  report.result("nvrtc_ms", bench::stats(samples.jitcu_nvrtc_ms, "ms"));
  report.result("raw_ms", bench::stats(samples.raw_ms, "ms"));
  return report.print();
}

int run(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "--cold-child")
    return cold_child(argv[2], std::atoi(argv[3]), argc > 4 && std::string(argv[4]) == "--context");
  bench::Report report("bench_compile");
  const int processes = std::max(1, bench::env_int("JITCU_BENCH_COLD_PROCESSES", 6));
  // An even count per process: each side goes first in half the pairs (the second of two
  // back-to-back compiles can find the caches warmer).
  const int reps_each = std::max(2, bench::env_int("JITCU_BENCH_REPS", 24) / processes / 2 * 2);
  const bool gpu = jitcu::cuda_available();
  if (!gpu) report.note("no CUDA device (" + jitcu::cuda_unavailable_reason() + "): measured without a context");
  const std::string kernel = bench::seed_kernel().string();
  bench::TempDir scratch("compile");
  const std::string arch = bench::engine_at(scratch.path() / "arch").default_arch();

  // Each round runs a jitcu process (jitcu's compiles and the floor's, alternating) and a
  // raw_nvrtc process, in a rotated order so that drift hits both alike.
  const std::vector<std::string> jitcu_command = {(bench::executable_dir() / "bench_compile").string(), "--cold-child",
                                                  arch, std::to_string(reps_each), gpu ? "--context" : ""};
  std::vector<std::string> raw_command = {bench::sibling("raw_nvrtc").string(), "compile", kernel, arch,
                                          std::to_string(reps_each), "2"};
  if (gpu) raw_command.push_back("--context");
  std::vector<double> raw_ms, raw_own_ms, jitcu_ms, jitcu_nvrtc_ms;
  for (int round = 0; round < processes; ++round) {
    for (int slot = 0; slot < 2; ++slot) {
      if ((round + slot) % 2 == 0) {
        const Json side = bench::run_json_child(jitcu_command, {}, 120);
        bench::append_samples_of(jitcu_ms, side["results"]["cold_compile_ms"]);
        bench::append_samples_of(jitcu_nvrtc_ms, side["results"]["nvrtc_ms"]);
        bench::append_samples_of(raw_ms, side["results"]["raw_ms"]);
      } else {
        const Json raw = bench::run_json_child(raw_command, {}, 120);
        bench::append_samples_of(raw_own_ms, raw["results"]["compile_ms"]);
        report.info("raw_options", raw["info"]["options"]);
        report.info("nvrtc", raw["info"]["nvrtc"]);
      }
    }
  }

  report.result("jitcu_cold_compile_ms", bench::stats(jitcu_ms, "ms"));
  report.result("raw_cold_compile_ms", bench::stats(raw_ms, "ms"));
  // Where the time goes: NVRTC's share inside jitcu's compile(), and raw NVRTC in processes of
  // its own (how much the process it runs in moves it).
  report.result("jitcu_cold_nvrtc_ms", bench::stats(jitcu_nvrtc_ms, "ms"));
  report.result("raw_own_process_cold_compile_ms", bench::stats(raw_own_ms, "ms"));
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
