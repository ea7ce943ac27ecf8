// Compile workers with real processes: batches, a worker that crashes, a deadline, a missing binary.
#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include "test_support.hpp"

#include <chrono>

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
  CHECK(engine.store().stats().entries == 6);

  Engine again(EngineOptions{.cache_dir = dir.path(), .worker_processes = 2});
  for (const auto& m : again.compile_many(sources)) CHECK(m.origin() != Origin::compiled);  // disk, or the batch's twin
}

TEST_CASE("a worker that crashes is reported, nothing is cached, and the next compile works") {
  test::TempDir dir("jitcu-workers");
  test::ScopedEnv crash("JITCU_WORKER_CRASH_ON", "crash.cu");
  Engine engine(EngineOptions{.cache_dir = dir.path(), .worker_processes = 1});
  auto future = engine.compile_async(Source::string("__global__ void c() {}", "crash.cu"));
  CHECK_THROWS_WITH_AS(future.get(), doctest::Contains("was killed by signal"), Error);
  CHECK(engine.store().stats().entries == 0);
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
    CHECK(engine.store().stats().entries == 0);
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
