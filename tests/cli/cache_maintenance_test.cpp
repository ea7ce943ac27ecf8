// jitcu cache verify, prune, clear, stats and path: checking and shrinking a real cache.
#include "cli_test_util.hpp"

#include <fstream>

namespace jitcu::test {
namespace {

void flip_byte(const std::filesystem::path& file, std::streamoff offset) {
  std::filesystem::permissions(file, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
  stream.seekg(offset);
  const char old = static_cast<char>(stream.get());
  stream.seekp(offset);
  stream.put(static_cast<char>(~old));
  REQUIRE(stream.good());
}

/// Compiles `count` small kernels, one entry each.
void fill(const Cli& cli, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string name = "fill" + std::to_string(i);
    const ProcessResult result = cli.run({"compile", cli.write(name + ".cu", add_kernel(name)), "--arch", "sm_90"});
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
  }
}

TEST_CASE("verify passes a clean cache and names an entry whose cubin lost a byte") {
  Cli cli;
  fill(cli, 2);
  const ProcessResult clean = cli.run({"cache", "verify"});
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK(contains(clean.output, "2 entries"));

  const auto entries = cli.entries();
  const std::string prefix = entries[1]["key_prefix"];
  const ProcessResult cubin = cli.run({"cache", "show", prefix, "--cubin-path"});
  REQUIRE(cubin.exit_code == 0);
  flip_byte(cubin.output.substr(0, cubin.output.find('\n')), 100);

  const ProcessResult damaged = cli.run({"cache", "verify"});
  INFO(damaged.output);
  CHECK(damaged.exit_code == 1);
  CHECK(contains(damaged.output, prefix));
  CHECK(contains(damaged.output, "sm_90.cubin: checksum mismatch"));
  CHECK(contains(damaged.output, "--remove"));
  CHECK_FALSE(contains(damaged.output, entries[0]["key_prefix"].get<std::string>()));

  const auto json = cli.run_json({"cache", "verify", "--json"}, 1);
  CHECK(json["ok"] == false);
  CHECK(json["checked"] == 2);
  REQUIRE(json["damaged"].size() == 1);
  CHECK(json["damaged"][0]["key"] == entries[1]["key"]);
  CHECK(cli.entries().size() == 2);  // reported, not removed

  const ProcessResult removed = cli.run({"cache", "verify", "--remove"});
  INFO(removed.output);
  CHECK(removed.exit_code == 1);
  CHECK(contains(removed.output, "removed"));
  CHECK(cli.entries().size() == 1);
  CHECK(cli.run({"cache", "verify"}).exit_code == 0);
}

TEST_CASE("prune --max-size removes least recently used entries until the total fits") {
  Cli cli;
  fill(cli, 3);
  const auto before = cli.run_json({"cache", "stats", "--json"});
  REQUIRE(before["entries"] == 3);
  const auto total = before["total_size_bytes"].get<std::uint64_t>();
  const std::uint64_t limit = total / 2;

  const ProcessResult pruned = cli.run({"cache", "prune", "--max-size", std::to_string(limit)});
  INFO(pruned.output);
  CHECK(pruned.exit_code == 0);
  CHECK(contains(pruned.output, "removed 2 entries"));

  const auto after = cli.run_json({"cache", "stats", "--json"});
  CHECK(after["entries"] == 1);
  CHECK(after["total_size_bytes"].get<std::uint64_t>() <= limit);
  CHECK(cli.entries()[0]["source_name"].get<std::string>().ends_with("fill2.cu"));  // used last

  const auto json = cli.run_json({"cache", "prune", "--max-size", "0", "--json"});
  CHECK(json["removed"] == 1);
  CHECK(json["total_size_bytes"] == 0);
}

TEST_CASE("prune --older-than removes entries not used for that long") {
  Cli cli;
  fill(cli, 2);
  const auto entries = cli.entries();
  // An entry's last use is its folder's modification time.
  const std::filesystem::path old_dir = entries[1]["dir"].get<std::string>();
  std::filesystem::last_write_time(old_dir, std::filesystem::file_time_type::clock::now() - std::chrono::hours(50));

  const ProcessResult pruned = cli.run({"cache", "prune", "--older-than", "2d"});
  INFO(pruned.output);
  CHECK(pruned.exit_code == 0);
  CHECK(contains(pruned.output, "removed 1 entry"));
  const auto left = cli.entries();
  REQUIRE(left.size() == 1);
  CHECK(left[0]["key"] == entries[0]["key"]);
}

TEST_CASE("prune without a limit, or with a malformed one, is a usage error that says what to give") {
  Cli cli;
  const ProcessResult nothing = cli.run({"cache", "prune"});
  INFO(nothing.output);
  CHECK(nothing.exit_code == 2);
  CHECK(contains(nothing.output, "--max-size"));
  CHECK(contains(nothing.output, "--older-than"));

  const ProcessResult bad_size = cli.run({"cache", "prune", "--max-size", "12 parsecs"});
  INFO(bad_size.output);
  CHECK(bad_size.exit_code == 2);
  CHECK(contains(bad_size.output, "not a size"));

  const ProcessResult bad_age = cli.run({"cache", "prune", "--older-than", "soon"});
  INFO(bad_age.output);
  CHECK(bad_age.exit_code == 2);
  CHECK(contains(bad_age.output, "not a duration"));
}

TEST_CASE("clear empties the cache; stats and path describe it") {
  Cli cli;
  fill(cli, 2);
  const auto stats = cli.run_json({"cache", "stats", "--json"});
  CHECK(stats["cache_dir"] == cli.cache_dir().string());
  CHECK(stats["entries"] == 2);
  CHECK(stats["max_size_bytes"] == 1ull << 30);
  CHECK(contains(stats["note"].get<std::string>(), "every process"));

  const ProcessResult text = cli.run({"cache", "stats"});
  INFO(text.output);
  CHECK(contains(text.output, "entries     2"));
  CHECK(contains(text.output, "1.0 GiB"));

  // The workers' precompiled headers live beside the entries; clear takes them too.
  const auto pch_file = cli.cache_dir() / "pch" / (std::string(64, 'a') + "-7f0000000000-268435456.pch");
  std::filesystem::create_directories(pch_file.parent_path());
  { std::ofstream(pch_file) << "a precompiled header"; }
  const ProcessResult cleared = cli.run({"cache", "clear"});
  INFO(cleared.output);
  CHECK(cleared.exit_code == 0);
  CHECK(contains(cleared.output, "removed 2 entries and 1 precompiled header"));
  CHECK_FALSE(std::filesystem::exists(pch_file));
  const ProcessResult listed = cli.run({"cache", "ls"});
  INFO(listed.output);
  CHECK(contains(listed.output, "is empty"));

  const ProcessResult path = cli.run({"cache", "path"});
  CHECK(path.output == cli.cache_dir().string() + "\n");
  const ProcessResult overridden = cli.run({"--cache-dir", cli.path("elsewhere").string(), "cache", "path"});
  CHECK(overridden.output == cli.path("elsewhere").string() + "\n");
  const ProcessResult after = cli.run({"cache", "path", "--cache-dir", cli.path("after").string()});
  CHECK(after.output == cli.path("after").string() + "\n");
}

TEST_CASE("--cache-dir points every command at another cache") {
  Cli cli;
  const std::string other = cli.path("other-cache").string();
  const std::string file = cli.write("add.cu", add_kernel("elsewhere"));
  const ProcessResult compiled = cli.run({"--cache-dir", other, "compile", file, "--arch", "sm_90"});
  INFO(compiled.output);
  REQUIRE(compiled.exit_code == 0);
  CHECK(cli.entries().empty());  // JITCU_CACHE_DIR's cache is untouched
  const auto json = cli.run_json({"cache", "ls", "--json", "--cache-dir", other});
  CHECK(json["entries"].size() == 1);
  CHECK(json["cache_dir"] == other);
}

}  // namespace
}  // namespace jitcu::test
