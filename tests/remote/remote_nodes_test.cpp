// "Nodes" are child processes with separate disk caches and one Redis (started by the test on
// a unix socket): what one compiles the others load without NVRTC; a key is compiled once
// across all of them; a Redis that fails costs a warning, never a compile.
#include "engine_support.hpp"
#include "redis_server.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using jitcu::test::RedisServer;
using jitcu::test::TempDir;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct NodeRun {
  int exit_code = -1;
  std::string output;
  std::map<std::string, std::string> origins;  // variant -> origin
  bool nvrtc_loaded = true;
};

NodeRun parse(jitcu::test::ProcessResult result) {
  NodeRun run{result.exit_code, std::move(result.output), {}, true};
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string first, variant, origin;
    words >> first >> variant >> origin;
    if (first == "origin") run.origins[variant] = origin;
  }
  run.nvrtc_loaded = jitcu::test::output_field(run.output, "nvrtc_loaded") != "no";
  return run;
}

/// One node: the seed kernel compiled once per variant, with its own disk cache.
NodeRun run_node(const std::filesystem::path& cache_dir, const std::string& remote, const std::vector<std::string>& variants,
                 std::map<std::string, std::string> env = {}) {
  std::vector<std::string> argv{JITCU_REMOTE_CHILD, jitcu::test::kernel_path("vector_ops.cu").string()};
  argv.insert(argv.end(), variants.begin(), variants.end());
  env["JITCU_CACHE_DIR"] = cache_dir.string();
  env["JITCU_REMOTE_CACHE"] = remote;
  env.try_emplace("JITCU_LOG_LEVEL", "warn");
  return parse(jitcu::test::run_process(argv, env));
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_SUITE("redis") {

TEST_CASE("a second node gets the first's kernels from Redis without loading NVRTC") {
  TempDir dir("jitcu-remote");
  RedisServer server(dir / "redis");
  const auto first = run_node(dir / "node1", server.url(), {"1", "2"});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.origins == std::map<std::string, std::string>{{"1", "compiled"}, {"2", "compiled"}});

  const auto second = run_node(dir / "node2", server.url(), {"1", "2"}, {{"JITCU_LOG_LEVEL", "debug"}});
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(second.origins == std::map<std::string, std::string>{{"1", "disk_cache"}, {"2", "disk_cache"}});
  CHECK_FALSE(second.nvrtc_loaded);
  CHECK(count(second.output, "from redis unix:") == 2);  // the debug line names the tier

  // The remote hit filled node 2's disk: with Redis gone it still hits, locally.
  server.kill9();
  const auto third = run_node(dir / "node2", server.url(), {"1", "2"});
  INFO(third.output);
  CHECK(third.origins == std::map<std::string, std::string>{{"1", "disk_cache"}, {"2", "disk_cache"}});
  CHECK_FALSE(third.nvrtc_loaded);
  CHECK(count(third.output, "[warning]") == 0);  // local hits never ask Redis
}

TEST_CASE("8 nodes missing overlapping keys at once compile each key exactly once") {
  TempDir dir("jitcu-remote");
  RedisServer server(dir / "redis");
  const std::vector<std::string> keys{"a", "b", "c", "d", "e", "f"};
  constexpr int k_nodes = 8;
  std::vector<std::future<NodeRun>> nodes;
  const auto start = Clock::now();
  for (int node = 0; node < k_nodes; ++node) {
    std::vector<std::string> variants;  // each node starts at another key: all of them contend
    for (std::size_t i = 0; i < keys.size(); ++i) variants.push_back(keys[(i + static_cast<std::size_t>(node)) % keys.size()]);
    nodes.push_back(std::async(std::launch::async, [&, node, variants] {
      return run_node(dir / ("node" + std::to_string(node)), server.url(), variants);
    }));
  }
  std::map<std::string, int> compiles;
  for (auto& future : nodes) {
    const NodeRun run = future.get();
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(run.origins.size() == keys.size());
    for (const auto& [variant, origin] : run.origins) {
      CHECK((origin == "compiled" || origin == "disk_cache"));
      compiles[variant] += origin == "compiled";
    }
  }
  MESSAGE("8 nodes x " << keys.size() << " keys in " << seconds_since(start) << " s");
  for (const auto& key : keys) {
    INFO("key " << key);
    CHECK(compiles[key] == 1);
  }
}

TEST_CASE("Redis down at start: every node compiles locally with one warning, quickly") {
  TempDir dir("jitcu-remote");
  const std::string nowhere = "unix://" + (dir / "nobody.sock").string();
  const auto start = Clock::now();
  const auto run = run_node(dir / "node", nowhere, {"1", "2", "3"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.origins == std::map<std::string, std::string>{{"1", "compiled"}, {"2", "compiled"}, {"3", "compiled"}});
  CHECK(count(run.output, "[warning]") == 1);
  CHECK(count(run.output, "remote cache redis unix:") == 1);
  const auto again = run_node(dir / "node", nowhere, {"1"});  // the local disk kept them
  CHECK(again.origins == std::map<std::string, std::string>{{"1", "disk_cache"}});
  CHECK(seconds_since(start) < 60);
}

TEST_CASE("Redis killed while nodes compile: every node finishes with right kernels") {
  TempDir dir("jitcu-remote");
  RedisServer server(dir / "redis");
  std::vector<std::future<NodeRun>> nodes;
  for (int node = 0; node < 4; ++node)
    nodes.push_back(std::async(std::launch::async, [&, node] {
      return run_node(dir / ("node" + std::to_string(node)), server.url("?timeout_ms=300"), {"x", "y", "z"});
    }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server.kill9();
  for (auto& future : nodes) {
    const NodeRun run = future.get();
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(run.origins.size() == 3);
    CHECK(count(run.output, "[warning]") <= 1);
  }
}

TEST_CASE("Redis blocked, full, or asking for a password: the node compiles with one warning") {
  TempDir dir("jitcu-remote");
  RedisServer server(dir / "redis", {"--requirepass", "hunter2"});
  const std::string socket = server.socket().string();

  const auto no_password = run_node(dir / "a", "unix://" + socket, {"1", "2"});
  INFO(no_password.output);
  CHECK(no_password.exit_code == 0);
  CHECK(no_password.origins == std::map<std::string, std::string>{{"1", "compiled"}, {"2", "compiled"}});
  CHECK(count(no_password.output, "[warning]") == 1);
  CHECK(count(no_password.output, "NOAUTH") == 1);

  server.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}, "hunter2");
  server.command({"CONFIG", "SET", "maxmemory", "100kb"}, "hunter2");  // below what Redis itself uses
  const auto full = run_node(dir / "b", "unix://:hunter2@" + socket, {"1", "2"});
  INFO(full.output);
  CHECK(full.exit_code == 0);
  CHECK(full.origins == std::map<std::string, std::string>{{"1", "compiled"}, {"2", "compiled"}});
  CHECK(count(full.output, "[warning]") == 1);
  CHECK(count(full.output, "OOM") == 1);
  server.command({"CONFIG", "SET", "maxmemory", "0"}, "hunter2");

  auto sleeper = std::async(std::launch::async, [&] { server.command({"DEBUG", "SLEEP", "4"}, "hunter2"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto start = Clock::now();
  const auto blocked = run_node(dir / "c", "unix://:hunter2@" + socket + "?timeout_ms=300", {"1", "2"});
  const double blocked_s = seconds_since(start);
  sleeper.get();
  INFO(blocked.output);
  CHECK(blocked.exit_code == 0);
  CHECK(blocked.origins == std::map<std::string, std::string>{{"1", "compiled"}, {"2", "compiled"}});
  CHECK(count(blocked.output, "[warning]") == 1);
  CHECK(count(blocked.output, "no answer within 300 ms") == 1);
  MESSAGE("a node against a blocked Redis finished in " << blocked_s << " s (the sleep: 4 s)");
}

TEST_CASE("a value altered inside Redis is not loaded: the node compiles") {
  TempDir dir("jitcu-remote");
  RedisServer server(dir / "redis");
  const std::map<std::string, std::string> secret{{"JITCU_CACHE_SECRET", "fleet"}};
  REQUIRE(run_node(dir / "node1", server.url(), {"1"}, secret).origins.at("1") == "compiled");
  const auto names = server.command({"KEYS", "jitcu:entry:*"});
  REQUIRE(names->elements == 1);
  const std::string name(names->element[0]->str, names->element[0]->len);
  std::string value = server.get(name);
  value[value.size() / 3] ^= 1;
  server.command({"SET", name, value});
  const auto altered = run_node(dir / "node2", server.url(), {"1"}, secret);
  INFO(altered.output);
  CHECK(altered.origins.at("1") == "compiled");
  CHECK(count(altered.output, "refused") == 1);

  // Written without the secret: a node with the secret does not trust it.
  TempDir other("jitcu-remote");
  RedisServer plain_server(other / "redis");
  REQUIRE(run_node(other / "node1", plain_server.url(), {"1"}).origins.at("1") == "compiled");
  const auto signed_node = run_node(other / "node2", plain_server.url(), {"1"}, secret);
  INFO(signed_node.output);
  CHECK(signed_node.origins.at("1") == "compiled");
  CHECK(count(signed_node.output, "not signed") == 1);
}

}  // TEST_SUITE
