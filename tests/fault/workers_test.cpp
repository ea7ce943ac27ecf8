// Compile workers with real processes: batches, a worker that crashes, a deadline, a missing binary.
#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include "test_support.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <unistd.h>

using namespace jitcu;

namespace {

Source numbered_kernel(int i, const std::string& salt) {
  return Source::string("extern \"C\" __global__ void k" + std::to_string(i) + "(float* x) { x[0] = " + std::to_string(i) +
                            ".0f; } // " + salt,
                        "k" + std::to_string(i) + ".cu");
}

}  // namespace

TEST_CASE("compile_many runs every source in worker processes and each key once") {
  test::TempDir dir("jitcu-workers");
  Engine engine(EngineOptions{.cache_dir = dir.path(), .worker_processes = 2});
  const std::string salt = std::to_string(test::test_seed());
  std::vector<Source> sources;
  for (int i = 0; i < 6; ++i) sources.push_back(numbered_kernel(i, salt));
  sources.push_back(numbered_kernel(0, salt));  // the same key twice in one batch
  const auto modules = engine.compile_many(sources);
  REQUIRE(modules.size() == sources.size());
  for (int i = 0; i < 6; ++i) CHECK(modules[static_cast<std::size_t>(i)].kernel_names() == std::vector<std::string>{"k" + std::to_string(i)});
  CHECK(modules[6].cache_key() == modules[0].cache_key());
  int compiled = 0;
  for (const auto& m : modules) compiled += m.origin() == Origin::compiled ? 1 : 0;
  CHECK(compiled == 6);  // the duplicate waited for the first instead of running NVRTC again
  CHECK(engine.store().disk()->stats().entries == 6);

  Engine again(EngineOptions{.cache_dir = dir.path(), .worker_processes = 2});
  for (const auto& m : again.compile_many(sources)) CHECK(m.origin() != Origin::compiled);  // disk, or the batch's twin
}

TEST_CASE("a worker that crashes is reported, nothing is cached, and the next compile works") {
  test::TempDir dir("jitcu-workers");
  test::ScopedEnv crash("JITCU_WORKER_CRASH_ON", "crash.cu");
  Engine engine(EngineOptions{.cache_dir = dir.path(), .worker_processes = 1});
  auto future = engine.compile_async(Source::string("__global__ void c() {}", "crash.cu"));
  CHECK_THROWS_WITH_AS(future.get(), doctest::Contains("was killed by signal"), Error);
  CHECK(engine.store().disk()->stats().entries == 0);
  auto after = engine.compile_async(Source::string("extern \"C\" __global__ void fine() {}", "fine.cu")).get();
  CHECK(after.kernel_names() == std::vector<std::string>{"fine"});
}

TEST_CASE("a compile past its deadline is cancelled in the worker and in this process") {
  test::TempDir dir("jitcu-workers");
  const auto slow = Source::string("#include <cub/cub.cuh>\n__global__ void z() {}", "slow.cu");
  for (int workers : {1, 0}) {
    CAPTURE(workers);
    Engine engine(EngineOptions{.cache_dir = dir.path(), .worker_processes = workers});
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH_AS(engine.compile_async(slow, {.time_limit = std::chrono::milliseconds(100)}).get(),
                         doctest::Contains("time limit of 100 ms"), CompileCancelled);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
    CHECK(engine.store().disk()->stats().entries == 0);
    auto cancel = std::make_shared<std::atomic<bool>>(true);
    CHECK_THROWS_AS(engine.compile_async(slow, {.cancel = cancel}).get(), CompileCancelled);
  }
}

TEST_CASE("a missing worker executable is a clear error, and workers can be turned off") {
  test::TempDir dir("jitcu-workers");
  {
    test::ScopedEnv missing("JITCU_WORKER", (dir.path() / "no-such-worker").string());
    Engine engine(EngineOptions{.cache_dir = dir.path()});
    CHECK_THROWS_WITH_AS(engine.compile_async(numbered_kernel(1, "missing")), doctest::Contains("JITCU_WORKER"), Error);
    Engine in_process(EngineOptions{.cache_dir = dir.path(), .worker_processes = 0});
    CHECK(in_process.compile_async(numbered_kernel(1, "missing")).get().origin() == Origin::compiled);
  }
  test::ScopedEnv off("JITCU_WORKERS", "0");
  test::ScopedEnv missing("JITCU_WORKER", (dir.path() / "no-such-worker").string());
  Engine engine(EngineOptions{.cache_dir = dir.path()});
  CHECK(engine.compile_async(numbered_kernel(2, "off")).get().kernel_names().size() == 1);
}

namespace {

/// This process's children whose command name starts with `name` (from /proc: real processes).
int children_named(const std::string& name) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;  // gone meanwhile
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    long parent = 0;
    rest >> state >> parent;
    if (parent == ::getpid() && line.compare(open + 1, name.size(), name) == 0) ++count;
  }
  return count;
}

/// Compiles `count` distinct kernels on `count` threads of one Engine, all at once after a
/// slow compile (CUB's BlockReduce, a second or more) has started on another thread; returns
/// the modules, the slow one last.
std::vector<Module> compile_concurrently(Engine& engine, int count, const std::string& salt) {
  std::vector<std::optional<Module>> made(static_cast<std::size_t>(count) + 1);
  std::vector<std::exception_ptr> errors(made.size());
  std::vector<std::jthread> threads;
  auto run = [&](std::size_t i, const Source& source) {
    try {
      made[i] = engine.compile(source);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  threads.emplace_back(run, static_cast<std::size_t>(count),
                       Source::string("#include <cub/block/block_reduce.cuh>\n"
                                      "extern \"C\" __global__ void slow(float* x) {\n"
                                      "  using Reduce = cub::BlockReduce<float, 128>;\n"
                                      "  __shared__ typename Reduce::TempStorage storage;\n"
                                      "  const float total = Reduce(storage).Sum(x[threadIdx.x]);\n"
                                      "  if (threadIdx.x == 0) x[0] = total;\n"
                                      "} // " + salt, "slow.cu"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // it is inside NVRTC by now
  for (int i = 0; i < count; ++i) threads.emplace_back(run, static_cast<std::size_t>(i), numbered_kernel(i, salt));
  threads.clear();  // joins
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  std::vector<Module> modules;
  for (auto& module : made) modules.push_back(std::move(*module));
  return modules;
}

}  // namespace

TEST_CASE("plain compiles that meet another in NVRTC go to worker processes, with the same results") {
  test::TempDir dir("jitcu-workers");
  const std::string salt = std::to_string(test::test_seed());
  REQUIRE(children_named("jitcu") == 0);
  // No PCH: a header PCH left by an earlier test would make the slow compile quick.
  Engine engine(EngineOptions{.cache_dir = dir.path(), .precompiled_headers = false, .worker_processes = 3});
  const auto modules = compile_concurrently(engine, 6, salt);
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(modules[static_cast<std::size_t>(i)].origin() == Origin::compiled);
    CHECK(modules[static_cast<std::size_t>(i)].kernel_names() == std::vector<std::string>{"k" + std::to_string(i)});
    CHECK_FALSE(modules[static_cast<std::size_t>(i)].cache_path().empty());
  }
  CHECK(modules[6].kernel_names() == std::vector<std::string>{"slow"});
  CHECK(engine.store().disk()->stats().entries == 7);
  const int workers = children_named("jitcu");
  CHECK(workers >= 1);  // the pool started worker processes for the compiles that met the slow one
  CHECK(workers <= 3);
  // A compile after the race works, and the modules load from disk in a new engine.
  CHECK(engine.compile(numbered_kernel(7, salt)).origin() == Origin::compiled);
  Engine again(EngineOptions{.cache_dir = dir.path(), .worker_processes = 0});
  for (int i = 0; i < 6; ++i) CHECK(again.compile(numbered_kernel(i, salt)).origin() == Origin::disk_cache);
}

TEST_CASE("a plain compile that meets only worker-run ones goes to a free worker, else stays here") {
  // The thread that began first used to keep compiling here while the others' compiles ran in
  // workers. Here: a slow compile in this process, a slower one that meets it (a worker), and,
  // once the first is done, a quick one that meets only the worker-run one: with a worker free
  // it starts a second worker; with the only worker busy it runs here rather than queue.
  const std::string salt = std::to_string(test::test_seed());
  for (const int workers : {3, 1}) {
    CAPTURE(workers);
    test::TempDir dir("jitcu-workers");
    REQUIRE(children_named("jitcu") == 0);
    Engine engine(EngineOptions{.cache_dir = dir.path(), .precompiled_headers = false, .worker_processes = workers});
    const std::string tag = salt + "w" + std::to_string(workers);
    std::exception_ptr first_error, slower_error;
    std::atomic<bool> slower_done{false};
    // Compiles `source` on its own thread; `error` keeps what it threw, `done` turns true after.
    const auto compile_on_thread = [&](Source source, std::exception_ptr& error, std::atomic<bool>* done) {
      return std::jthread([&engine, source = std::move(source), &error, done] {
        try {
          engine.compile(source);
        } catch (...) {
          error = std::current_exception();
        }
        if (done) *done = true;
      });
    };
    std::jthread first = compile_on_thread(Source::string("#include <cub/block/block_reduce.cuh>\n"
                                                          "extern \"C\" __global__ void reduce(float* x) {\n"
                                                          "  using R = cub::BlockReduce<float, 128>; __shared__ R::TempStorage t;\n"
                                                          "  const float s = R(t).Sum(x[threadIdx.x]); if (threadIdx.x == 0) x[0] = s;\n"
                                                          "} // " + tag,
                                                          "reduce.cu"),
                                           first_error, nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the first counts as in NVRTC by now
    // More CUB algorithms, each for four types: it far outlasts the first.
    std::jthread slower = compile_on_thread(
        Source::string(
            "#include <cub/block/block_radix_sort.cuh>\n#include <cub/block/block_merge_sort.cuh>\n"
            "#include <cub/block/block_scan.cuh>\n"
            "struct Less { template <class T> __device__ bool operator()(T a, T b) const { return a < b; } };\n"
            "template <class T> __device__ void sorts(T* x) {\n"
            "  using S = cub::BlockRadixSort<T, 128, 4>; using M = cub::BlockMergeSort<T, 128, 4>;\n"
            "  using C = cub::BlockScan<T, 128>;\n"
            "  __shared__ union { typename S::TempStorage s; typename M::TempStorage m; typename C::TempStorage c; } t;\n"
            "  T k[4] = {x[threadIdx.x], x[threadIdx.x + 128], x[threadIdx.x + 256], x[threadIdx.x + 384]};\n"
            "  S(t.s).Sort(k); __syncthreads(); M(t.m).Sort(k, Less()); __syncthreads();\n"
            "  T p; C(t.c).ExclusiveSum(k[0], p); x[threadIdx.x] = p;\n"
            "}\n"
            "extern \"C\" __global__ void sorts(float* f, double* d, int* i, unsigned long long* u) {\n"
            "  sorts(f); sorts(d); sorts(i); sorts(u);\n"
            "} // " + tag,
            "sorts.cu"),
        slower_error, &slower_done);
    first.join();
    if (first_error) std::rethrow_exception(first_error);
    if (slower_done && slower_error) std::rethrow_exception(slower_error);
    REQUIRE_MESSAGE(!slower_done, "the slower compile finished first: the case could not be set up");
    CHECK(children_named("jitcu") == 1);  // the slower one's worker
    CHECK(engine.compile(numbered_kernel(0, tag)).origin() == Origin::compiled);
    if (workers == 3) {
      CHECK(children_named("jitcu") == 2);  // the quick one ran in a second worker, not here
    } else {
      CHECK(children_named("jitcu") == 1);  // here: queued, it would have waited for the slower one
      CHECK_FALSE(slower_done);
    }
    slower.join();
    if (slower_error) std::rethrow_exception(slower_error);
    CHECK(engine.store().disk()->stats().entries == 3);
  }
}

TEST_CASE("concurrent plain compiles stay in this process with workers off or no worker executable") {
  test::TempDir dir("jitcu-workers");
  const std::string salt = std::to_string(test::test_seed());
  for (const bool missing : {false, true}) {
    CAPTURE(missing);
    std::optional<test::ScopedEnv> env;
    if (missing) env.emplace("JITCU_WORKER", (dir.path() / "no-such-worker").string());
    Engine engine(EngineOptions{.cache_dir = dir.path() / (missing ? "missing" : "off"), .precompiled_headers = false,
                                .worker_processes = missing ? 2 : 0});
    const auto modules = compile_concurrently(engine, 3, salt + (missing ? "m" : "o"));
    for (int i = 0; i < 3; ++i) CHECK(modules[static_cast<std::size_t>(i)].kernel_names() == std::vector<std::string>{"k" + std::to_string(i)});
    CHECK(children_named("jitcu") == 0);
  }
}
