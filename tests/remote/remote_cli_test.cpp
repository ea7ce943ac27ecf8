// `jitcu cache push` and `jitcu cache remote` against a redis-server the test starts.
#include "engine_support.hpp"
#include "redis_server.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace {

using jitcu::test::RedisServer;
using jitcu::test::TempDir;

jitcu::test::ProcessResult jitcu_tool(std::vector<std::string> args, const std::map<std::string, std::string>& env) {
  args.insert(args.begin(), JITCU_TOOL);
  return jitcu::test::run_process(args, env);
}

jitcu::test::ProcessResult node(const std::filesystem::path& cache, const std::string& remote, const std::string& variant) {
  return jitcu::test::run_process(
      {JITCU_REMOTE_CHILD, jitcu::test::kernel_path("vector_ops.cu").string(), variant},
      {{"JITCU_CACHE_DIR", cache.string()}, {"JITCU_REMOTE_CACHE", remote}});
}

nlohmann::json json_of(const jitcu::test::ProcessResult& result) {
  const auto start = result.output.find('{');
  REQUIRE(start != std::string::npos);
  return nlohmann::json::parse(result.output.substr(start));
}

}  // namespace

TEST_SUITE("redis") {

TEST_CASE("jitcu cache push warms Redis from a local cache; cache remote shows it and the fleet's counters") {
  TempDir dir("jitcu-remote-cli");
  RedisServer server(dir / "redis");
  const auto local = dir / "ci";
  const std::string nowhere = "unix://" + (dir / "nobody.sock").string();
  REQUIRE(node(local, nowhere, "1").exit_code == 0);  // a CI job without Redis
  REQUIRE(node(local, nowhere, "2").exit_code == 0);
  const std::map<std::string, std::string> env{{"JITCU_CACHE_DIR", local.string()}, {"JITCU_REMOTE_CACHE", server.url()}};

  const auto pushed = jitcu_tool({"cache", "push"}, env);
  INFO(pushed.output);
  CHECK(pushed.exit_code == 0);
  CHECK(pushed.output.find("pushed 2 entries") != std::string::npos);
  const auto again = jitcu_tool({"cache", "push", "--json"}, env);
  CHECK(json_of(again)["pushed"] == 0);
  CHECK(json_of(again)["already_there"] == 2);

  const auto fresh = node(dir / "fleet-node", server.url(), "1");  // a fleet node: a remote hit
  INFO(fresh.output);
  CHECK(jitcu::test::output_field(fresh.output, "nvrtc_loaded") == "no");
  CHECK(fresh.output.find("origin 1 disk_cache") != std::string::npos);

  const auto shown = jitcu_tool({"cache", "remote", "--ls", "--json"}, env);
  INFO(shown.output);
  CHECK(shown.exit_code == 0);
  const auto document = json_of(shown);
  CHECK(document["answers"] == true);
  CHECK(document["entries"] == 2);
  CHECK(document["entry_list"].size() == 2);
  CHECK(document["stats"]["hits"] == 1);
  CHECK(document["stats"]["puts"] == 2);
  // `cache ls --remote` is the same listing, from the command users list a cache with.
  const auto listed = json_of(jitcu_tool({"cache", "ls", "--remote", "--json"}, env));
  CHECK(listed["entry_list"] == document["entry_list"]);
  const auto listed_text = jitcu_tool({"cache", "ls", "--remote"}, env);
  for (const auto& entry : document["entry_list"])
    CHECK(listed_text.output.find(entry["key"].get<std::string>()) != std::string::npos);
  CHECK(jitcu_tool({"cache", "ls", "--remote", "--pch"}, env).exit_code == 2);
  const auto text = jitcu_tool({"cache", "remote"}, env);
  CHECK(text.output.find("PING") != std::string::npos);
  CHECK(text.output.find("remote size   2 entries") != std::string::npos);
  CHECK(text.output.find("fleet         1 hits") != std::string::npos);
  const auto info = jitcu_tool({"info"}, env);  // the probe compile is one more put
  CHECK(info.output.find("remote        " + server.url().substr(0, 0) + "redis unix:") != std::string::npos);
  const auto stats = jitcu_tool({"cache", "stats", "--json"}, env);
  CHECK(json_of(stats)["remote"]["answers"] == true);

  const auto down = jitcu_tool({"cache", "remote", "--remote", nowhere}, env);
  CHECK(down.exit_code == 1);
  CHECK(down.output.find("does not answer") != std::string::npos);
  const auto unset = jitcu_tool({"cache", "remote"}, {{"JITCU_REMOTE_CACHE", ""}});
  CHECK(unset.exit_code == 1);
  CHECK(unset.output.find("no remote cache") != std::string::npos);
  const auto malformed = jitcu_tool({"cache", "push", "--remote", "redis//x"}, env);
  CHECK(malformed.exit_code == 1);
  CHECK(malformed.output.find("'redis//x'") != std::string::npos);
}

}  // TEST_SUITE
