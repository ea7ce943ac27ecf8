// jitcu info, and what bad command lines get.
#include "cli_test_util.hpp"

namespace jitcu::test {
namespace {

TEST_CASE("info reports versions, the driver or its absence, the default arch and the cache") {
  Cli cli;
  const auto json = cli.run_json({"info", "--json"});
  CHECK_FALSE(json["jitcu_version"].get<std::string>().empty());
  CHECK(json["nvrtc"]["error"] == "");
  CHECK(contains(json["nvrtc"]["release"].get<std::string>(), "release"));
  CHECK(contains(json["nvrtc"]["identity"].get<std::string>(), "libnvrtc"));
  CHECK(json["cache"]["dir"] == cli.cache_dir().string());
  CHECK(json["cache"]["entries"] == 0);
  CHECK(json["default_arch"].get<std::string>().starts_with("sm_"));

  const ProcessResult text = cli.run({"info"});
  INFO(text.output);
  CHECK(text.exit_code == 0);
  CHECK(contains(text.output, "default arch"));
  CHECK(contains(text.output, cli.cache_dir().string()));
  if (json["driver"]["version"] == 0) {
    CHECK(contains(text.output, "no CUDA driver: "));  // this machine has no GPU: say so
  } else {
    CHECK(contains(text.output, "driver        CUDA "));
    for (const auto& device : json["devices"]) CHECK(contains(text.output, device["name"].get<std::string>()));
  }
  CHECK_FALSE(std::filesystem::exists(cli.cache_dir()));  // the NVRTC probe is not cached
}

TEST_CASE("an unknown or missing command is a usage error naming the commands") {
  Cli cli;
  const ProcessResult unknown = cli.run({"frobnicate"});
  INFO(unknown.output);
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.output, "unknown command 'frobnicate'"));
  CHECK(contains(unknown.output, "compile, cache, info"));

  const ProcessResult unknown_cache = cli.run({"cache", "list"});
  INFO(unknown_cache.output);
  CHECK(unknown_cache.exit_code == 2);
  CHECK(contains(unknown_cache.output, "unknown command 'list'"));
  CHECK(contains(unknown_cache.output, "ls, show"));

  const ProcessResult none = cli.run({});
  INFO(none.output);
  CHECK(none.exit_code == 2);
  CHECK(contains(none.output, "give a command"));

  const ProcessResult no_key = cli.run({"cache", "show"});
  INFO(no_key.output);
  CHECK(no_key.exit_code == 2);
  CHECK(contains(no_key.output, "KEY-PREFIX"));

  const ProcessResult no_file = cli.run({"compile"});
  INFO(no_file.output);
  CHECK(no_file.exit_code == 2);
  CHECK(contains(no_file.output, "FILE"));

  const ProcessResult bad_jobs = cli.run({"compile", "x.cu", "-j", "0"});
  INFO(bad_jobs.output);
  CHECK(bad_jobs.exit_code == 2);

  const ProcessResult help = cli.run({"cache", "--help"});
  INFO(help.output);
  CHECK(help.exit_code == 0);
  CHECK(contains(help.output, "explain"));

  // Each option's value is named once (a validator's own description once doubled it).
  const ProcessResult compile_help = cli.run({"compile", "--help"});
  INFO(compile_help.output);
  CHECK(compile_help.exit_code == 0);
  CHECK(contains(compile_help.output, "--header NAME=FILE ..."));
  CHECK_FALSE(contains(compile_help.output, "NAME=FILE:"));
}

}  // namespace
}  // namespace jitcu::test
