// jitcu cache remote | push: the Redis tier (docs/remote-cache.md) as this machine sees it.
#include "commands.hpp"
#include "format.hpp"

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

Exit run_remote(const RemoteArgs& args) {
  const auto remote = open_remote(args);
  std::string problem;
  const auto latency = remote->ping(&problem);
  const auto stats = latency ? remote->stats() : std::nullopt;
  std::vector<std::pair<cache::Key, std::uint64_t>> entries;
  std::uint64_t total_bytes = 0;
  const bool listed = latency && remote->list([&](const cache::Key& key, std::uint64_t size) {
    entries.emplace_back(key, size);
    total_bytes += size;
  });
  if (args.json) {
    json document{{"remote", remote->describe()},
                  {"namespace", remote->config().name_space},
                  {"signed", !remote->config().secret.empty()},
                  {"answers", latency.has_value()}};
    if (latency) document["ping_us"] = latency->count();
    else document["problem"] = problem;
    if (stats) document["stats"] = *stats;
    if (listed) {
      document["entry_count"] = entries.size();
      document["total_size_bytes"] = total_bytes;
    }
    if (listed && args.list) {
      json list = json::array();
      for (const auto& [key, size] : entries) list.push_back({{"key", key.hex()}, {"size_bytes", size}});
      document["entries"] = list;
    }
    print_json(document);
    return latency ? Exit::ok : Exit::failed;
  }
  fmt::print("remote      {} (namespace '{}', {})\n", remote->describe(), remote->config().name_space,
             remote->config().secret.empty() ? "not signed: JITCU_CACHE_SECRET is unset" : "HMAC-signed");
  if (!latency) {
    fmt::print("answers     no: {}\n", problem);
    return Exit::failed;
  }
  fmt::print("answers     yes, PING in {:.3f} ms\n", static_cast<double>(latency->count()) / 1000.0);
  if (listed) fmt::print("entries     {} ({})\n", entries.size(), human_size(total_bytes));
  if (stats)
    fmt::print("fleet       {} hits, {} misses, {} refused values, {} puts; {} read, {} written\n", stats->at("hits"),
               stats->at("misses"), stats->at("errors"), stats->at("puts"),
               human_size(static_cast<std::uint64_t>(stats->at("bytes_read"))),
               human_size(static_cast<std::uint64_t>(stats->at("bytes_written"))));
  if (args.list)
    for (const auto& [key, size] : entries) fmt::print("{}  {}\n", key.hex(), human_size(size));
  return Exit::ok;
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
