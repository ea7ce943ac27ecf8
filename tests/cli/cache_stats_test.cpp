// jitcu cache stats (counters of every process, --zero, --json) and the precompiled headers in
// cache ls --pch, stats, info and prune.
#include "cli_test_util.hpp"

#include <chrono>
#include <fstream>
#include <future>

namespace jitcu::test {
namespace {

/// A file named as the compile workers name their PCH files, of `bytes` bytes, used `age` ago.
std::filesystem::path make_pch(const Cli& cli, char digit, std::size_t bytes, std::chrono::hours age) {
  const auto path = cli.cache_dir() / "pch" / (std::string(64, digit) + "-7f0000000000-268435456.pch");
  std::filesystem::create_directories(path.parent_path());
  { std::ofstream(path) << std::string(bytes, 'p'); }
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - age);
  return path;
}

nlohmann::json counters(const Cli& cli) { return cli.run_json({"cache", "stats", "--json"})["counters"]; }

}  // namespace

TEST_CASE("stats counts a miss, then a hit in a new process; --json names every counter; --zero resets them") {
  Cli cli;
  const std::string source = cli.write("k.cu", add_kernel("k"));
  CHECK(counters(cli)["misses"] == 0);  // no cache yet: zeros, nothing made
  for (int run = 0; run < 2; ++run) {
    const ProcessResult compiled = cli.run({"compile", source, "--arch", "sm_90"});
    INFO(compiled.output);
    REQUIRE(compiled.exit_code == 0);
  }
  const auto stats = cli.run_json({"cache", "stats", "--json"});
  const auto& c = stats["counters"];
  for (const char* name : {"memory_hits", "disk_hits", "remote_hits", "misses", "compiles", "compile_ns", "saved_ns",
                           "damaged", "evictions", "pch_evictions", "hits"})
    CHECK_MESSAGE(c.contains(name), name);
  CHECK(c["misses"] == 1);
  CHECK(c["compiles"] == 1);
  CHECK(c["disk_hits"] == 1);
  CHECK(c["hits"] == 1);
  CHECK(c["memory_hits"] == 0);
  CHECK(c["compile_ns"].get<std::uint64_t>() > 1'000'000);  // a real NVRTC run: over a millisecond
  // The hit saved what the entry's compile took, as its record says (rounded to nanoseconds).
  const auto shown = cli.run_json({"cache", "show", cli.entries()[0]["key"].get<std::string>(), "--json"});
  CHECK(c["saved_ns"].get<double>() == doctest::Approx(shown["compile_ms"].get<double>() * 1e6).epsilon(1e-6));
  CHECK(c["saved_ns"].get<std::uint64_t>() > 1'000'000);
  CHECK(stats["entries"] == 1);
  CHECK(stats.contains("counted_since"));
  CHECK(stats.contains("pch_files"));
  CHECK(stats["zeroed"] == false);

  const ProcessResult text = cli.run({"cache", "stats"});
  INFO(text.output);
  CHECK(contains(text.output, "hits        1 (50.0% of lookups): 0 in process memory, 1 on disk, 0 remote"));
  CHECK(contains(text.output, "misses      1"));
  CHECK(contains(text.output, "compiles    1, "));

  const ProcessResult zeroed = cli.run({"cache", "stats", "--zero"});
  INFO(zeroed.output);
  CHECK(contains(zeroed.output, "zeroed the counters"));
  CHECK(contains(zeroed.output, "entries     1"));  // the entries stay
  const auto after = cli.run_json({"cache", "stats", "--json"});
  for (const auto& [name, value] : after["counters"].items()) CHECK_MESSAGE(value == 0, name);
  CHECK(after["entries"] == 1);
}

TEST_CASE("processes compiling one kernel at once: one miss, one compile, the rest disk hits, exactly") {
  Cli cli;
  const std::string source = cli.write("k.cu", add_kernel("together"));
  constexpr int k_processes = 6;
  std::vector<std::future<ProcessResult>> runs;
  for (int i = 0; i < k_processes; ++i)
    runs.push_back(std::async(std::launch::async, [&] { return cli.run({"compile", source, "--arch", "sm_90"}); }));
  for (auto& run : runs) {
    const ProcessResult result = run.get();
    INFO(result.output);
    CHECK(result.exit_code == 0);
  }
  const auto c = counters(cli);
  CHECK(c["compiles"] == 1);  // the key lock: one compile across processes
  CHECK(c["misses"] == 1);    // the others find the entry under the lock: hits
  CHECK(c["disk_hits"] == k_processes - 1);
}

TEST_CASE("precompiled headers: listed by ls --pch, counted by stats and info, pruned by last use") {
  Cli cli;
  const ProcessResult compiled = cli.run({"compile", cli.write("k.cu", add_kernel("k")), "--arch", "sm_90"});
  REQUIRE(compiled.exit_code == 0);
  const auto older = make_pch(cli, 'a', 40'000, std::chrono::hours(5));
  const auto newer = make_pch(cli, 'b', 30'000, std::chrono::hours(1));

  const ProcessResult listed = cli.run({"cache", "ls", "--pch"});
  INFO(listed.output);
  CHECK(contains(listed.output, "2 precompiled headers, 68.4 KiB"));
  CHECK(listed.output.find(newer.filename().string()) < listed.output.find(older.filename().string()));  // newest first
  const auto listed_json = cli.run_json({"cache", "ls", "--pch", "--json"});
  REQUIRE(listed_json["pch"].size() == 2);
  CHECK(listed_json["pch"][0]["path"] == newer.string());
  CHECK(listed_json["pch_bytes"] == 70'000);

  const auto stats = cli.run_json({"cache", "stats", "--json"});
  CHECK(stats["pch_files"] == 2);
  CHECK(stats["pch_bytes"] == 70'000);
  const auto entry_bytes = cli.entries()[0]["size_bytes"].get<std::uint64_t>();
  CHECK(stats["total_size_bytes"] == entry_bytes + 70'000);  // the cap covers both
  const auto info = cli.run_json({"info", "--json"});
  CHECK(info["cache"]["pch_files"] == 2);

  // Room for the entry (used just now) and one PCH: the older PCH goes first.
  const auto pruned = cli.run_json({"cache", "prune", "--max-size", std::to_string(entry_bytes + 35'000), "--json"});
  CHECK(pruned["removed"] == 0);
  CHECK(pruned["pch_files_removed"] == 1);
  CHECK_FALSE(std::filesystem::exists(older));
  CHECK(std::filesystem::exists(newer));
  CHECK(counters(cli)["pch_evictions"] == 1);
}

}  // namespace jitcu::test
