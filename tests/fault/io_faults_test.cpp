// I/O that fails: an LD_PRELOAD shim (io_fault_shim.c) fails the Nth call to open, openat, read,
// write, rename, fsync, flock or mkdir with EIO, ENOSPC, EACCES or EMFILE, for every N that a
// clean run of the command makes, during `jitcu compile` (miss and hit), `jitcu cache prune`
// and `jitcu cache verify`. Each run must end cleanly, and a later run without the shim must
// get the right kernel from a cache that verifies.
#include "engine_support.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstring>

using namespace jitcu;
using namespace jitcu::test;
namespace fs = std::filesystem;

#if defined(JITCU_TOOL) && defined(JITCU_FAULT_SHIM)

namespace {

const std::array<std::string, 4> k_errno_names{"EIO", "ENOSPC", "EACCES", "EMFILE"};
constexpr std::array<int, 4> k_errnos{EIO, ENOSPC, EACCES, EMFILE};

struct Scenario {
  std::string name;
  bool starts_cached;  // a copy of the reference cache, else an empty folder
  std::vector<std::string> args;
};

/// `jitcu args...` on `cache`, with the shim failing call `fail_at` (0: none, only counted).
ProcessResult run_jitcu(const fs::path& cache, const std::vector<std::string>& args, long fail_at = -1,
                        int errno_index = 0, const fs::path& count_file = {}) {
  std::vector<std::string> argv{JITCU_TOOL, "--cache-dir", cache.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> env{{"JITCU_LOG_LEVEL", "warn"}, {"JITCU_DISABLE_CACHE", ""}};
  if (fail_at >= 0) {
    env["LD_PRELOAD"] = JITCU_FAULT_SHIM;
    env["ASAN_OPTIONS"] = "verify_asan_link_order=0:detect_leaks=0";
    env["JITCU_FAULT_AT"] = std::to_string(fail_at);
    env["JITCU_FAULT_ERRNO"] = k_errno_names[static_cast<std::size_t>(errno_index)];
    if (!count_file.empty()) env["JITCU_FAULT_COUNT"] = count_file.string();
  }
  return run_process(argv, env);
}

/// What `compile --json` says of the kernels, without timings.
nlohmann::json kernels_of(const std::string& json_text) {
  auto kernels = nlohmann::json::parse(json_text).at("results").at(0).at("kernels");
  for (auto& kernel : kernels) kernel.erase("resources");
  return kernels;
}

/// The reference: one clean compile of the source into `cache`.
struct Reference {
  nlohmann::json kernels;
  std::string key;
  std::string ptx;
};

Reference make_reference(const fs::path& cache, const std::string& source) {
  const auto compiled = run_jitcu(cache, {"compile", "--json", source});
  INFO(compiled.output);
  REQUIRE(compiled.exit_code == 0);
  const auto results = nlohmann::json::parse(compiled.output).at("results").at(0);
  Reference reference{kernels_of(compiled.output), fs::path(results.at("cache_path").get<std::string>()).filename().string(), {}};
  const auto ptx = run_jitcu(cache, {"cache", "show", reference.key, "--ptx"});
  REQUIRE(ptx.exit_code == 0);
  reference.ptx = ptx.output;
  return reference;
}

/// How many of the shim's calls a clean run of the scenario makes.
long count_calls(const Scenario& scenario, const fs::path& reference_cache, const TempDir& work) {
  const fs::path cache = work / "count";
  fs::remove_all(cache);
  if (scenario.starts_cached) fs::copy(reference_cache, cache, fs::copy_options::recursive);
  const auto counted = run_jitcu(cache, scenario.args, 0, 0, work / "count.txt");
  INFO(counted.output);
  REQUIRE(counted.exit_code == 0);
  long calls = 0;
  std::istringstream(read_file(work / "count.txt")) >> calls;
  return calls;
}

/// Whether `cache` holds an entry folder named `key`.
bool has_entry(const fs::path& cache, const std::string& key) {
  std::error_code ec;
  for (const auto& item : fs::recursive_directory_iterator(cache / "entries", ec))
    if (item.path().filename() == key) return true;
  return false;
}

}  // namespace

TEST_CASE("every I/O call of compile (miss, hit), prune and verify failing in turn: no crash, then the right kernel") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  TempDir work("jitcu-io-faults");
  const std::string source = kernel_path("vector_ops.cu").string();
  const fs::path reference_cache = work / "reference";
  const Reference reference = make_reference(reference_cache, source);
  const std::vector<Scenario> scenarios{
      {"compile (miss)", false, {"compile", source}},
      {"compile (hit)", true, {"compile", source}},
      {"cache prune", true, {"cache", "prune", "--max-size", "1"}},
      {"cache verify", true, {"cache", "verify"}},
  };
  int runs = 0, failed_runs = 0;
  for (const auto& scenario : scenarios) {
    const long calls = count_calls(scenario, reference_cache, work);
    INFO(scenario.name << ": " << calls << " calls");
    CHECK(calls > 5);  // the shim sees the calls (a static build would not)
    for (long n = 1; n <= calls; ++n) {
      const int errno_index = static_cast<int>((static_cast<unsigned>(n) + seed) % k_errnos.size());
      INFO("failing call " << n << " of " << calls << " with " << k_errno_names[static_cast<std::size_t>(errno_index)]);
      const fs::path cache = work / "cache";
      fs::remove_all(cache);
      if (scenario.starts_cached) fs::copy(reference_cache, cache, fs::copy_options::recursive);
      const auto faulted = run_jitcu(cache, scenario.args, n, errno_index);
      INFO("with the fault:\n" << faulted.output);
      ++runs;
      failed_runs += faulted.exit_code != 0;
      CHECK(faulted.exit_code < 2);  // 0, or 1 with a message; never a signal, abort or crash
      if (faulted.exit_code != 0) CHECK(faulted.output.find("jitcu") != std::string::npos);
      // Without the shim: the right kernel, an entry that verifies, the right PTX.
      const auto again = run_jitcu(cache, {"compile", "--json", source});
      INFO("next compile:\n" << again.output);
      REQUIRE(again.exit_code == 0);
      CHECK(kernels_of(again.output) == reference.kernels);
      const auto verified = run_jitcu(cache, {"cache", "verify"});
      INFO("verify:\n" << verified.output);
      CHECK(verified.exit_code == 0);
      CHECK(run_jitcu(cache, {"cache", "show", reference.key, "--ptx"}).output == reference.ptx);
    }
  }
  MESSAGE(runs << " faulted runs, " << failed_runs << " ended with an error exit");
}

// A failed read is no sign of damage: the store keeps the intact entry and names the errno.
TEST_CASE("an I/O error on a hit or in verify names its cause and keeps the intact entry") {
  TempDir work("jitcu-io-faults");
  const std::string source = kernel_path("vector_ops.cu").string();
  const fs::path reference_cache = work / "reference";
  const Reference reference = make_reference(reference_cache, source);
  for (const Scenario& scenario : {Scenario{"compile (hit)", true, {"compile", source}}, Scenario{"cache verify", true, {"cache", "verify"}}}) {
    const long calls = count_calls(scenario, reference_cache, work);
    for (long n = 1; n <= calls; ++n) {
      const int errno_index = static_cast<int>(n % static_cast<long>(k_errnos.size()));
      const std::string cause = std::strerror(k_errnos[static_cast<std::size_t>(errno_index)]);
      INFO(scenario.name << ": failing call " << n << " of " << calls << " with " << k_errno_names[static_cast<std::size_t>(errno_index)]);
      const fs::path cache = work / "cache";
      fs::remove_all(cache);
      fs::copy(reference_cache, cache, fs::copy_options::recursive);
      const auto faulted = run_jitcu(cache, scenario.args, n, errno_index);
      INFO("with the fault:\n" << faulted.output);
      CHECK(has_entry(cache, reference.key));
      if (faulted.output.find("damaged") != std::string::npos) CHECK(faulted.output.find(cause) != std::string::npos);
      CHECK(faulted.output.find("1 of 1 entry damaged") == std::string::npos);
    }
  }
}

// issue 21: on a full disk `cache prune` once printed "removed 0" after removing 4 entries.
TEST_CASE("prune --max-size on a full disk reports the entries it really removed, and the evictions counter agrees") {
  TempDir work("jitcu-io-faults");
  const fs::path cache = work / "cache";
  for (int i = 0; i < 6; ++i) {
    const fs::path source = work / ("k" + std::to_string(i) + ".cu");
    write_file(source, "extern \"C\" __global__ void k" + std::to_string(i) + "(float* x) { x[0] = " + std::to_string(i) +
                           ".0f; }\n");
    REQUIRE(run_jitcu(cache, {"compile", source.string(), "--arch", "sm_90"}).exit_code == 0);
  }
  const auto entry_folders = [&] {
    std::size_t count = 0;
    std::error_code ec;
    for (const auto& shard : fs::directory_iterator(cache / "entries", ec))
      for (const auto& entry : fs::directory_iterator(shard.path(), ec)) count += entry.is_directory();
    return count;
  };
  const std::size_t before = entry_folders();
  REQUIRE(before == 6);
  const auto entry_bytes = nlohmann::json::parse(run_jitcu(cache, {"cache", "stats", "--json"}).output)["total_size_bytes"].get<std::uint64_t>();
  // Every write() and mkdir() fails with ENOSPC: no new file, folder or ledger can be written.
  const std::map<std::string, std::string> full_disk{{"LD_PRELOAD", JITCU_FAULT_SHIM},
                                                     {"ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0"},
                                                     {"JITCU_FAULT_EVERY", "write,mkdir"},
                                                     {"JITCU_FAULT_ERRNO", "ENOSPC"},
                                                     {"JITCU_LOG_LEVEL", "warn"}};
  const auto prune = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{JITCU_TOOL, "--cache-dir", cache.string(), "cache", "prune"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, full_disk);
  };
  const ProcessResult as_json = prune({"--max-size", std::to_string(entry_bytes / 2), "--json"});
  INFO("prune --json on a full disk:\n" << as_json.output);
  REQUIRE(as_json.exit_code == 0);
  const std::size_t after_json = entry_folders();
  CHECK(after_json < before);
  CHECK(nlohmann::json::parse(as_json.output.substr(as_json.output.find('{')))["removed"] == before - after_json);

  const ProcessResult as_text = prune({"--max-size", "1"});
  INFO("prune on a full disk:\n" << as_text.output);
  REQUIRE(as_text.exit_code == 0);
  const std::size_t after_text = entry_folders();
  CHECK(after_text == 0);
  const std::size_t removed = after_json - after_text;
  CHECK(as_text.output.find(fmt::format("removed {} entr{} ", removed, removed == 1 ? "y" : "ies")) != std::string::npos);

  // The stats file existed (the compiles made it), so the prunes' evictions were written in place.
  const auto stats = nlohmann::json::parse(run_jitcu(cache, {"cache", "stats", "--json"}).output);
  CHECK(stats["counters"]["evictions"] == before);
  CHECK(stats["entries"] == 0);
}

#endif
