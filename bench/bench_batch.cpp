// 64 distinct sources (the seed kernel plus a kernel with its own constant) compiled cold:
//  - jitcu, 16 threads each calling compile() on one shared Engine (file i on thread i % 16):
//    a compile that meets another in NVRTC goes to the engine's worker pool, started in the call;
//  - jitcu, 16 processes each compiling 4 with its own Engine on one shared cache folder
//    (the arch is given explicitly, as a compile worker would: no driver start in the children);
//  - jitcu one by one in one thread (for reference);
//  - jitcu Engine::compile_many (worker processes, $JITCU_WORKERS or up to 16): on a fresh
//    engine (the call starts the workers), then 64 other sources on the same engine;
// against one-by-one raw NVRTC in one process (raw_nvrtc batch ... 1), and raw NVRTC on 16
// threads for reference. Runs without a GPU too.
//
//   bench_batch                                 the parent
//   bench_batch --child DIR ARCH I...           one jitcu child: compiles DIR/batch_I.cu for each I
#include "jitcu_side.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace fs = std::filesystem;
using bench::Clock;
using bench::Json;

constexpr int k_sources = 64;
constexpr int k_workers = 16;

fs::path source_path(const fs::path& dir, int index) {
  char name[32];
  std::snprintf(name, sizeof name, "batch_%02d.cu", index);
  return dir / name;
}

// Writes batch_00.cu ... batch_63.cu into `dir`; `first_variant` makes the sets differ.
void write_sources(const fs::path& dir, int first_variant) {
  fs::create_directories(dir);
  const std::string seed = bench::read_file(bench::seed_kernel());
  for (int i = 0; i < k_sources; ++i) {
    const std::string v = std::to_string(first_variant + i);
    bench::write_file(source_path(dir, i),
                      "// batch source " + v + ": the seed kernels and one of its own\n#define VARIANT " + v + "\n" +
                          seed +
                          "\nextern \"C\" __global__ void variant_" + v +
                          "(const float* x, float* y, int n) {\n"
                          "  const int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
                          "  if (i < n) y[i] = x[i] * (VARIANT + 1) + VARIANT;\n}\n");
  }
}

void compile_cold(jitcu::Engine& engine, const fs::path& file, const jitcu::CompileOptions& options) {
  const jitcu::Module module = engine.compile(jitcu::Source::file(file), options);
  bench::require(module.origin() == jitcu::Origin::compiled,
                 "'" + file.string() + "' was not compiled but came from " + bench::origin_name(module.origin()));
}

int child(const fs::path& dir, const std::string& arch, const std::vector<int>& indices) {
  bench::Report report("bench_batch --child");
  jitcu::Engine engine;  // JITCU_CACHE_DIR from the parent
  jitcu::CompileOptions options;
  options.arch = arch;
  const auto start = Clock::now();
  for (int i : indices) compile_cold(engine, source_path(dir, i), options);
  report.result("compile_ms", bench::ms_since(start));
  return report.print();
}

double threads_run(const fs::path& sources, const fs::path& cache) {
  jitcu::Engine engine = bench::engine_at(cache);
  engine.default_arch();  // the arch query is not part of the batch
  std::vector<std::exception_ptr> errors(k_workers);
  const auto start = Clock::now();
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < k_workers; ++t) {
      pool.emplace_back([&, t] {
        try {
          for (int i = t; i < k_sources; i += k_workers) compile_cold(engine, source_path(sources, i), {});
        } catch (...) {
          errors[static_cast<std::size_t>(t)] = std::current_exception();
        }
      });
    }
  }
  const double ms = bench::ms_since(start);
  for (auto& error : errors)
    if (error) std::rethrow_exception(error);
  return ms;
}

double processes_run(const fs::path& sources, const fs::path& cache, const std::string& arch) {
  const std::string self = (bench::executable_dir() / "bench_batch").string();
  const bench::EnvOverrides env = {{"JITCU_CACHE_DIR", cache.string()}, {"JITCU_LOG_LEVEL", "warn"}};
  const auto start = Clock::now();
  std::vector<bench::Child> children;
  for (int p = 0; p < k_workers; ++p) {
    std::vector<std::string> argv = {self, "--child", sources.string(), arch};
    for (int i = p; i < k_sources; i += k_workers) argv.push_back(std::to_string(i));
    children.emplace_back(argv, env);
  }
  for (auto& c : children) bench::finish_json_child(c, 300);
  return bench::ms_since(start);
}

std::vector<jitcu::Source> read_sources(const fs::path& dir) {
  std::vector<jitcu::Source> sources;
  for (int i = 0; i < k_sources; ++i) sources.push_back(jitcu::Source::file(source_path(dir, i)));
  return sources;
}

void require_all_compiled(const std::vector<jitcu::Module>& modules) {
  bench::require(modules.size() == k_sources, "compile_many returned " + std::to_string(modules.size()) + " modules");
  for (const auto& module : modules)
    bench::require(module.origin() == jitcu::Origin::compiled,
                   std::string("compile_many gave a module from ") + bench::origin_name(module.origin()) +
                       " where NVRTC should have run");
}

// Engine::compile_many on a fresh engine: the call starts the worker processes (cold pool),
// then a second call with other sources on the same engine (the pool is running).
std::pair<double, double> compile_many_run(const fs::path& set_a, const fs::path& set_b, const fs::path& cache) {
  const auto a = read_sources(set_a), b = read_sources(set_b);
  jitcu::Engine engine = bench::engine_at(cache);
  engine.default_arch();
  auto start = Clock::now();
  require_all_compiled(engine.compile_many(a));
  const double cold_pool = bench::ms_since(start);
  start = Clock::now();
  require_all_compiled(engine.compile_many(b));
  return {cold_pool, bench::ms_since(start)};
}

double serial_run(const fs::path& sources, const fs::path& cache) {
  jitcu::Engine engine = bench::engine_at(cache);
  engine.default_arch();
  const auto start = Clock::now();
  for (int i = 0; i < k_sources; ++i) compile_cold(engine, source_path(sources, i), {});
  return bench::ms_since(start);
}

int parent() {
  bench::Report report("bench_batch");
  const int reps = bench::env_int("JITCU_BENCH_BATCH_REPS", 5);
  bench::TempDir scratch("batch");
  const fs::path sources = scratch.path() / "sources-a";
  const fs::path other_sources = scratch.path() / "sources-b";  // for compile_many's second call
  write_sources(sources, 0);
  write_sources(other_sources, k_sources);
  const std::string arch = bench::engine_at(scratch.path() / "arch").default_arch();
  {  // warm-up: this process opens NVRTC once, outside every timing
    jitcu::Engine engine = bench::engine_at(scratch.path() / "warm");
    compile_cold(engine, source_path(sources, 0), {});
  }
  const std::string raw = bench::sibling("raw_nvrtc").string();
  const Json raw_serial = bench::run_json_child({raw, "batch", sources.string(), arch, "1"}, {}, 300);
  int round = 0;
  auto fresh_cache = [&] { return scratch.path() / ("cache-" + std::to_string(round++)); };
  const double jitcu_serial = serial_run(sources, fresh_cache());
  std::vector<double> threads_ms, processes_ms, raw_threads_ms, many_cold_ms, many_warm_ms;
  for (int r = 0; r < reps; ++r) {
    const auto [cold_pool, warm_pool] = compile_many_run(sources, other_sources, fresh_cache());
    many_cold_ms.push_back(cold_pool);
    many_warm_ms.push_back(warm_pool);
    threads_ms.push_back(threads_run(sources, fresh_cache()));
    processes_ms.push_back(processes_run(sources, fresh_cache(), arch));
    raw_threads_ms.push_back(
        bench::run_json_child({raw, "batch", sources.string(), arch, std::to_string(k_workers)}, {}, 300)["results"]
                             ["total_ms"].get<double>());
  }
  report.result("raw_serial_ms", raw_serial["results"]["total_ms"]);
  report.result("jitcu_serial_ms", jitcu_serial);
  report.result("jitcu_threads_ms", bench::stats(threads_ms, "ms"));
  report.result("jitcu_processes_ms", bench::stats(processes_ms, "ms"));
  report.result("raw_threads_ms", bench::stats(raw_threads_ms, "ms"));
  report.result("jitcu_compile_many_ms", bench::stats(many_cold_ms, "ms"));
  report.result("jitcu_compile_many_warm_pool_ms", bench::stats(many_warm_ms, "ms"));
  const double floor = raw_serial["results"]["total_ms"].get<double>();
  report.result("speedup_threads", floor / bench::median(threads_ms));
  report.result("speedup_processes", floor / bench::median(processes_ms));
  report.result("speedup_compile_many", floor / bench::median(many_cold_ms));
  report.info("sources", k_sources);
  report.info("workers", k_workers);
  report.info("hardware_threads", std::thread::hardware_concurrency());
  report.info("arch", arch);
  return report.print();
}

int run(int argc, char** argv) {
  if (argc >= 5 && std::strcmp(argv[1], "--child") == 0) {
    std::vector<int> indices;
    for (int i = 4; i < argc; ++i) {
      const int index = std::atoi(argv[i]);
      bench::require(index >= 0 && index < k_sources, std::string("bad source index ") + argv[i]);
      indices.push_back(index);
    }
    return child(argv[2], argv[3], indices);
  }
  if (argc == 1) return parent();
  throw bench::Failure("usage: bench_batch [--child DIR ARCH INDEX...]");
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_batch", run, argc, argv); }
