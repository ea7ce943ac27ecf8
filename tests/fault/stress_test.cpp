// Many real processes on one cache with real NVRTC compiles: each key compiled exactly once,
// every entry verifies, SIGKILL at any moment leaves nothing that looks valid but is not, and
// a forked child can use the engine and the cache.
#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include "test_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

using namespace jitcu;

namespace {

Source keyed_source(int key, const std::string& salt) {
  return Source::string("extern \"C\" __global__ void k(float* x) { x[0] = " + std::to_string(key) + ".0f; } // " + salt,
                        "stress_" + std::to_string(key) + ".cu");
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("8 processes compiling overlapping keys: each key runs NVRTC once and every entry verifies") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  test::TempDir dir("jitcu-stress");
  const std::string salt = std::to_string(seed);
  constexpr int k_processes = 8, k_compiles = 120, k_keys = 24;
  std::vector<pid_t> children;
  for (int p = 0; p < k_processes; ++p) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int compiled = 0;
      try {
        Engine engine(EngineOptions{.cache_dir = dir.path()});
        std::mt19937 rng(seed + static_cast<unsigned>(p));
        for (int i = 0; i < k_compiles; ++i) {
          const int key = static_cast<int>(rng() % k_keys);
          auto module = engine.compile(keyed_source(key, salt), {.arch = "sm_90"});
          if (module.kernel("k").params().size() != 1) _exit(3);
          if (module.ptx().find(".entry k") == std::string::npos) _exit(4);
          compiled += module.origin() == Origin::compiled ? 1 : 0;
        }
      } catch (const std::exception& error) {
        std::fprintf(stderr, "child %d: %s\n", p, error.what());
        _exit(2);
      }
      std::ofstream(dir.path() / ("compiled." + std::to_string(p))) << compiled;
      _exit(0);
    }
    children.push_back(pid);
  }
  for (auto pid : children) CHECK(wait_for(pid) == 0);
  int nvrtc_runs = 0;
  for (int p = 0; p < k_processes; ++p) nvrtc_runs += std::stoi(test::read_file(dir.path() / ("compiled." + std::to_string(p))));
  MESSAGE(k_processes << " processes x " << k_compiles << " compiles over " << k_keys << " keys: " << nvrtc_runs
                      << " NVRTC runs");
  Engine checker(EngineOptions{.cache_dir = dir.path()});
  const auto results = checker.store().disk()->verify();
  for (const auto& r : results) CHECK_MESSAGE(r.ok, r.problem);
  CHECK(nvrtc_runs == static_cast<int>(results.size()));  // exactly one NVRTC run per key
  CHECK(results.size() <= static_cast<std::size_t>(k_keys));
}

TEST_CASE("children SIGKILLed while compiling leave a cache that verifies and still works") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  test::TempDir dir("jitcu-stress");
  const std::string salt = std::to_string(seed);
  for (int round = 0; round < 12; ++round) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      Engine engine(EngineOptions{.cache_dir = dir.path()});
      for (int key = 0;; ++key) engine.compile(keyed_source(1000 * round + key, salt), {.arch = "sm_90"});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
    kill(pid, SIGKILL);
    CHECK(wait_for(pid) == 128 + SIGKILL);
  }
  Engine engine(EngineOptions{.cache_dir = dir.path()});
  for (const auto& r : engine.store().disk()->verify()) CHECK_MESSAGE(r.ok, r.problem);
  CHECK(engine.compile(keyed_source(0, salt), {.arch = "sm_90"}).kernel_names() == std::vector<std::string>{"k"});
}

TEST_CASE("a forked child uses the parent's engine and cache") {
  test::TempDir dir("jitcu-stress");
  Engine engine(EngineOptions{.cache_dir = dir.path()});
  const auto salt = std::to_string(test::test_seed());
  auto parent_module = engine.compile(keyed_source(1, salt), {.arch = "sm_90"});
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      const bool hit = engine.compile(keyed_source(1, salt), {.arch = "sm_90"}).origin() != Origin::compiled;
      const bool fresh = engine.compile(keyed_source(2, salt), {.arch = "sm_90"}).origin() == Origin::compiled;
      _exit(hit && fresh ? 0 : 1);
    } catch (...) {
      _exit(2);
    }
  }
  CHECK(wait_for(pid) == 0);
  Engine other(EngineOptions{.cache_dir = dir.path()});
  CHECK(other.compile(keyed_source(2, salt), {.arch = "sm_90"}).origin() == Origin::disk_cache);
}
