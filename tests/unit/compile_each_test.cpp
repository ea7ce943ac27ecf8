// Engine::compile_each: one result per source, good and bad mixed at random, on real worker
// processes and real NVRTC (no GPU), with a progress callback on the calling thread.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <thread>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// A kernel that compiles, or one that NVRTC refuses on line 2 (an undeclared name).
Source numbered(unsigned seed, std::size_t i, bool broken) {
  const std::string name = "each_" + std::to_string(seed) + "_" + std::to_string(i);
  return Source::string("extern \"C\" __global__ void " + name + "(float* x) {\n" +
                            (broken ? "  x[0] = undeclared_" + std::to_string(i) + ";\n" : "  x[0] = 1.0f;\n") + "}\n",
                        name + ".cu");
}

}  // namespace

TEST_CASE("compile_each gives every source its module or its own error, and reports each as it ends") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const std::size_t n = 3 + rng() % 5;
  std::vector<bool> broken(n);
  for (std::size_t i = 0; i < n; ++i) broken[i] = rng() % 2 == 0;
  const std::size_t good = rng() % n, bad = (good + 1 + rng() % (n - 1)) % n;  // at least one of each
  broken[good] = false;
  broken[bad] = true;
  std::vector<Source> sources;
  for (std::size_t i = 0; i < n; ++i) sources.push_back(numbered(seed, i, broken[i]));

  TempDir dir;
  Engine engine(EngineOptions{.cache_dir = dir.path().string(), .worker_processes = 2});
  const auto caller = std::this_thread::get_id();
  std::vector<CompileProgress> reports;
  std::set<std::size_t> reported;
  const auto results = engine.compile_each(sources, {}, [&](const CompileProgress& progress) {
    CHECK(std::this_thread::get_id() == caller);
    REQUIRE(progress.result != nullptr);
    CHECK(progress.result->ok() == !broken[progress.index]);
    reported.insert(progress.index);
    reports.push_back(progress);
  });

  REQUIRE(results.size() == n);
  std::size_t failures = 0;
  for (std::size_t i = 0; i < n; ++i) {
    INFO("source " << i << (broken[i] ? " (broken)" : ""));
    CHECK(results[i].ok() == !broken[i]);
    if (!broken[i]) {
      CHECK(results[i].module().has_kernel(sources[i].name().substr(0, sources[i].name().size() - 3)));
      CHECK(results[i].message().empty());
      CHECK(!results[i].error());
      continue;
    }
    ++failures;
    CHECK(results[i].error());
    CHECK(results[i].message().find("undeclared_" + std::to_string(i)) != std::string::npos);
    CHECK(results[i].message().find(sources[i].name()) != std::string::npos);
    CHECK_THROWS_WITH_AS((void)results[i].module(), doctest::Contains(sources[i].name().c_str()), CompileError);
  }

  REQUIRE(reports.size() == n);
  CHECK(reported.size() == n);
  for (std::size_t k = 0; k < n; ++k) {
    CHECK(reports[k].done == k + 1);
    CHECK(reports[k].total == n);
  }
  CHECK(reports.back().failed == failures);
}

TEST_CASE("compile_each with no sources returns nothing and reports nothing") {
  TempDir dir;
  Engine engine(EngineOptions{.cache_dir = dir.path().string(), .worker_processes = 1});
  bool called = false;
  CHECK(engine.compile_each({}, {}, [&](const CompileProgress&) { called = true; }).empty());
  CHECK(!called);
}

TEST_CASE("an exception from the progress callback reaches compile_each's caller") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  TempDir dir;
  Engine engine(EngineOptions{.cache_dir = dir.path().string(), .worker_processes = 1});
  CHECK_THROWS_WITH_AS(engine.compile_each({numbered(seed, 0, false), numbered(seed, 1, false)}, {},
                                           [](const CompileProgress&) { throw Error("stop the batch"); }),
                       doctest::Contains("stop the batch"), Error);
}
