// jitcu cache remote | push: the Redis tier (docs/remote-cache.md) as this machine sees it.
#include "commands.hpp"
#include "format.hpp"
#include "remote_status.hpp"

#include <jitcu/cache/redis_tier.hpp>

#include <cstdlib>
#include <memory>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

using nlohmann::json;

struct RemoteArgs {
  std::string url;  // --remote; empty: JITCU_REMOTE_CACHE
  bool json = false;
  bool list = false;
};

void add_remote_option(CLI::App& app, RemoteArgs& args) {
  app.add_option("--remote", args.url, "the Redis: redis://host:port[/db], unix:///path/redis.sock (default: "
                                       "$JITCU_REMOTE_CACHE)");
  app.add_flag("--json", args.json, "print one JSON document instead of text");
}

/// The tier the flags or the environment name; ToolError when none is set or it is malformed.
std::unique_ptr<cache::RedisTier> open_remote(const RemoteArgs& args) {
  std::string url = args.url;
  if (url.empty())
    if (const char* env = std::getenv("JITCU_REMOTE_CACHE")) url = env;
  if (url.empty()) throw ToolError("no remote cache: set JITCU_REMOTE_CACHE or pass --remote URL");
  try {
    return std::make_unique<cache::RedisTier>(cache::RedisConfig::from_env(url));
  } catch (const std::invalid_argument& error) {
    throw ToolError(error.what());
  }
}

/// What `jitcu cache remote`, `jitcu info` and `jitcu cache stats` show of a tier.
json status_of(cache::RedisTier& remote, std::vector<std::pair<cache::Key, std::uint64_t>>* entries = nullptr) {
  json status{{"remote", remote.describe()}, {"namespace", remote.config().name_space},
              {"signed", !remote.config().secret.empty()}};
  std::string problem;
  const auto latency = remote.ping(&problem);
  status["answers"] = latency.has_value();
  if (!latency) {
    status["problem"] = problem;
    return status;
  }
  status["ping_us"] = latency->count();
  std::uint64_t count = 0, bytes = 0;
  if (remote.list([&](const cache::Key& key, std::uint64_t size) {
        ++count;
        bytes += size;
        if (entries) entries->emplace_back(key, size);
      })) {
    status["entries"] = count;
    status["total_size_bytes"] = bytes;
  }
  if (const auto stats = remote.stats()) status["stats"] = *stats;
  return status;
}

Exit run_remote(const RemoteArgs& args) {
  const auto remote = open_remote(args);
  std::vector<std::pair<cache::Key, std::uint64_t>> entries;
  json status = status_of(*remote, &entries);
  const Exit exit = status["answers"].get<bool>() ? Exit::ok : Exit::failed;
  if (args.json) {
    if (args.list) {
      json list = json::array();
      for (const auto& [key, size] : entries) list.push_back({{"key", key.hex()}, {"size_bytes", size}});
      status["entry_list"] = list;
    }
    print_json(status);
    return exit;
  }
  print_remote_status(status, 14);
  if (args.list)
    for (const auto& [key, size] : entries) fmt::print("{}  {}\n", key.hex(), human_size(size));
  return exit;
}

Exit run_push(const RemoteArgs& args, const GlobalOptions& global) {
  const auto remote = open_remote(args);
  std::string problem;
  if (!remote->ping(&problem)) throw ToolError(fmt::format("{} does not answer: {}", remote->describe(), problem));
  std::set<cache::Key> already;
  remote->list([&](const cache::Key& key, std::uint64_t) { already.insert(key); });
  const auto disk = open_cache(global);
  std::size_t pushed = 0, present = 0, unreadable = 0;
  std::uint64_t bytes = 0;
  if (disk) {
    for (const cache::ListedEntry& listed : disk->list()) {
      const cache::Key& key = listed.record.key;
      if (already.contains(key)) {
        ++present;
        continue;
      }
      const auto entry = disk->get(key, cache::BlobSelection::all());  // verified: damage is not spread
      if (!entry) {
        ++unreadable;
        continue;
      }
      remote->put(key, *entry);
      ++pushed;
      bytes += listed.total_size_bytes;
    }
  }
  if (args.json) {
    print_json({{"remote", remote->describe()}, {"pushed", pushed}, {"already_there", present},
                {"damaged", unreadable}, {"pushed_bytes", bytes}});
  } else {
    fmt::print("pushed {} entries ({}) to {}; {} were there already", pushed, human_size(bytes), remote->describe(),
               present);
    if (unreadable) fmt::print("; {} damaged ones were skipped", unreadable);
    fmt::print("\n");
  }
  return unreadable ? Exit::failed : Exit::ok;
}

}  // namespace

json remote_status() {
  const char* url = std::getenv("JITCU_REMOTE_CACHE");
  if (url == nullptr || *url == '\0') return nullptr;
  try {
    cache::RedisTier remote(cache::RedisConfig::from_env(url));
    return status_of(remote);
  } catch (const std::invalid_argument& error) {
    return {{"remote", url}, {"answers", false}, {"problem", error.what()}};
  }
}

void print_remote_status(const json& status, int label_width) {
  if (status.is_null()) return;
  const auto line = [&](std::string_view label, const std::string& text) {
    fmt::print("{:<{}}{}\n", label, label_width, text);
  };
  if (!status["answers"].get<bool>()) {
    line("remote", fmt::format("{}: does not answer: {}", status["remote"].get<std::string>(),
                               status["problem"].get<std::string>()));
    return;
  }
  line("remote", fmt::format("{} (namespace '{}', {}), PING {:.3f} ms", status["remote"].get<std::string>(),
                             status["namespace"].get<std::string>(), status["signed"].get<bool>() ? "signed" : "not signed",
                             status["ping_us"].get<double>() / 1000.0));
  if (status.contains("entries"))
    line("remote size", fmt::format("{} entries, {}", status["entries"].get<std::uint64_t>(),
                                     human_size(status["total_size_bytes"].get<std::uint64_t>())));
  if (status.contains("stats")) {
    const json& stats = status["stats"];
    line("fleet", fmt::format("{} hits, {} misses, {} refused values, {} puts; {} read, {} written",
                                     stats["hits"].get<std::int64_t>(), stats["misses"].get<std::int64_t>(),
                                     stats["errors"].get<std::int64_t>(), stats["puts"].get<std::int64_t>(),
                                     human_size(stats["bytes_read"].get<std::uint64_t>()),
                                     human_size(stats["bytes_written"].get<std::uint64_t>())));
  }
}

Exit list_remote_entries(bool json) {
  RemoteArgs args;
  args.json = json;
  args.list = true;
  return run_remote(args);
}

Command add_remote_command(CLI::App& cache, const GlobalOptions&) {
  auto args = std::make_shared<RemoteArgs>();
  CLI::App* app = cache.add_subcommand(
      "remote", "the Redis tier: whether it answers (PING), the fleet's hit/miss counters, its entries");
  add_remote_option(*app, *args);
  app->add_flag("--ls", args->list, "also list every entry of this namespace (SCAN)");
  return {app, [args] { return run_remote(*args); }};
}

Command add_push_command(CLI::App& cache, const GlobalOptions& global) {
  auto args = std::make_shared<RemoteArgs>();
  CLI::App* app = cache.add_subcommand("push", "upload the local cache's entries that the Redis tier lacks (to warm "
                                               "a fleet from a CI job)");
  add_remote_option(*app, *args);
  return {app, [args, &global] { return run_push(*args, global); }};
}

}  // namespace jitcu::tool
