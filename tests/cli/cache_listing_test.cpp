// jitcu cache ls and show: what is cached, newest first; one entry by key prefix.
#include "cli_test_util.hpp"
#include "fake_entry.hpp"

namespace jitcu::test {
namespace {

TEST_CASE("ls on an empty cache says so, in text and JSON") {
  Cli cli;
  const ProcessResult text = cli.run({"cache", "ls"});
  INFO(text.output);
  CHECK(text.exit_code == 0);
  CHECK(contains(text.output, "is empty"));
  CHECK(cli.entries().empty());
  CHECK_FALSE(std::filesystem::exists(cli.cache_dir()));  // looking creates nothing
}

TEST_CASE("ls lists entries newest first with key, source, arch, kernels, size and times") {
  Cli cli;
  REQUIRE(cli.run({"compile", cli.write("older.cu", add_kernel("first")), "--arch", "sm_90"}).exit_code == 0);
  REQUIRE(cli.run({"compile", cli.write("newer.cu", add_kernel("second")), "--arch", "sm_80"}).exit_code == 0);

  const auto entries = cli.entries();
  REQUIRE(entries.size() == 2);
  CHECK(contains(entries[0]["source_name"].get<std::string>(), "newer.cu"));
  CHECK(contains(entries[1]["source_name"].get<std::string>(), "older.cu"));
  CHECK(entries[0]["created_unix_ns"].get<std::int64_t>() >= entries[1]["created_unix_ns"].get<std::int64_t>());
  CHECK(entries[0]["arch"] == "sm_80");
  CHECK(entries[0]["kernels"] == nlohmann::json::array({"second"}));
  CHECK(entries[0]["key"].get<std::string>().size() == 64);
  CHECK(entries[0]["key_prefix"] == entries[0]["key"].get<std::string>().substr(0, 12));
  CHECK(entries[0]["size_bytes"].get<std::uint64_t>() > 0);
  CHECK(std::filesystem::is_directory(entries[0]["dir"].get<std::string>()));

  const ProcessResult text = cli.run({"cache", "ls"});
  INFO(text.output);
  REQUIRE(text.exit_code == 0);
  const std::size_t newer = text.output.find(entries[0]["key_prefix"].get<std::string>());
  const std::size_t older = text.output.find(entries[1]["key_prefix"].get<std::string>());
  REQUIRE(newer != std::string::npos);
  REQUIRE(older != std::string::npos);
  CHECK(newer < older);
  CHECK(contains(text.output, " s ago"));  // seconds: both entries are fresh
  CHECK(contains(text.output, "2 entries"));
}

TEST_CASE("show finds an entry by prefix and prints its summary, PTX, cubin path, log, source and meta") {
  Cli cli;
  const std::string source = add_kernel("shown");
  REQUIRE(cli.run({"compile", cli.write("show.cu", source), "--arch", "sm_90", "-DUNUSED=1"}).exit_code == 0);
  const std::string key = cli.entries()[0]["key"];
  const std::string prefix = key.substr(0, 6);

  const ProcessResult summary = cli.run({"cache", "show", prefix});
  INFO(summary.output);
  REQUIRE(summary.exit_code == 0);
  CHECK(contains(summary.output, key));
  CHECK(contains(summary.output, "show.cu"));
  CHECK(contains(summary.output, "-DUNUSED=1"));
  CHECK(contains(summary.output, "registers"));
  CHECK(contains(summary.output, "program.ptx"));
  CHECK(contains(summary.output, "sm_90.cubin"));

  const ProcessResult ptx = cli.run({"cache", "show", prefix, "--ptx"});
  INFO(ptx.output);
  CHECK(ptx.exit_code == 0);
  CHECK(contains(ptx.output, ".entry shown"));

  const ProcessResult cubin = cli.run({"cache", "show", prefix, "--cubin-path"});
  INFO(cubin.output);
  REQUIRE(cubin.exit_code == 0);
  const std::string cubin_path = cubin.output.substr(0, cubin.output.find('\n'));
  CHECK(cubin_path.ends_with("sm_90.cubin"));
  CHECK(std::filesystem::file_size(cubin_path) > 0);

  const ProcessResult log = cli.run({"cache", "show", prefix, "--log"});
  INFO(log.output);
  CHECK(log.exit_code == 0);
  CHECK(contains(log.output, "registers"));  // ptxas info

  const ProcessResult text = cli.run({"cache", "show", prefix, "--source"});
  INFO(text.output);
  CHECK(text.output == source);

  const auto meta = cli.run_json({"cache", "show", prefix, "--meta"});
  CHECK(meta["source_name"].get<std::string>().ends_with("show.cu"));
  CHECK(meta["kernels"][0]["resources"]["registers"].get<int>() > 0);
  CHECK(meta.contains("key_record"));

  const auto json = cli.run_json({"cache", "show", prefix, "--json"});
  CHECK(json["key"] == key);
  CHECK(json["arch"] == "sm_90");
  CHECK(json["kernels"][0]["name"] == "shown");
  CHECK(json["blobs"].size() >= 3);

  const ProcessResult both = cli.run({"cache", "show", prefix, "--ptx", "--log"});
  INFO(both.output);
  CHECK(both.exit_code == 2);
}

TEST_CASE("an ambiguous prefix lists the candidates; an unknown one says how to list keys") {
  Cli cli;
  put_fake_entry(cli.cache_dir(), key_starting_with("abcd01", 1), "one.cu");
  put_fake_entry(cli.cache_dir(), key_starting_with("abcd02", 2), "two.cu");

  const ProcessResult ambiguous = cli.run({"cache", "show", "abcd"});
  INFO(ambiguous.output);
  CHECK(ambiguous.exit_code == 1);
  CHECK(contains(ambiguous.output, "ambiguous"));
  CHECK(contains(ambiguous.output, "abcd01000000"));
  CHECK(contains(ambiguous.output, "abcd02000000"));
  CHECK(contains(ambiguous.output, "one.cu"));

  const ProcessResult unique = cli.run({"cache", "show", "ABCD02", "--ptx"});  // any case
  INFO(unique.output);
  CHECK(unique.exit_code == 0);
  CHECK(contains(unique.output, ".entry fake"));

  const ProcessResult unknown = cli.run({"cache", "show", "0123456789"});
  INFO(unknown.output);
  CHECK(unknown.exit_code == 1);
  CHECK(contains(unknown.output, "jitcu cache ls"));

  const ProcessResult short_prefix = cli.run({"cache", "show", "ab"});
  INFO(short_prefix.output);
  CHECK(short_prefix.exit_code == 1);
  CHECK(contains(short_prefix.output, "at least 4 hex digits"));

  const ProcessResult no_cubin = cli.run({"cache", "show", "abcd01", "--cubin-path"});
  INFO(no_cubin.output);
  CHECK(no_cubin.exit_code == 1);
  CHECK(contains(no_cubin.output, "no cubin"));
}

}  // namespace
}  // namespace jitcu::test
