// jitcu cache verify | prune | clear: checking and shrinking the cache.
#include "commands.hpp"
#include "entry_view.hpp"
#include "format.hpp"

#include <jitcu/cache/tiered_store.hpp>

#include <algorithm>
#include <map>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

using nlohmann::json;

struct VerifyArgs {
  bool remove = false;
  bool json = false;
};

struct PruneArgs {
  std::string max_size;    // SIZE for parse_size
  std::string older_than;  // DURATION for parse_duration
  bool json = false;
};

struct ClearArgs {
  bool json = false;
};

struct Damaged {
  cache::VerifyResult result;
  std::string source_name;  // empty when meta.json itself is damaged
  std::string arch;
};

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

/// A cache command on a folder that does not exist yet: nothing to do.
Exit report_no_cache(const std::string& dir, bool as_json) {
  if (as_json) print_json({{"cache_dir", dir}, {"checked", 0}, {"removed", 0}, {"ok", true}, {"damaged", json::array()}});
  else fmt::print("there is no cache at {} yet; `jitcu compile FILE` makes it\n", dir);
  return Exit::ok;
}

std::vector<Damaged> damaged_entries(cache::DiskTier& disk, std::size_t& checked) {
  const std::vector<cache::VerifyResult> results = disk.verify();
  checked = results.size();
  std::map<cache::Key, const cache::ListedEntry*> by_key;
  const std::vector<cache::ListedEntry> listed = disk.list();  // blob damage leaves the record readable
  for (const auto& entry : listed) by_key[entry.record.key] = &entry;
  std::vector<Damaged> damaged;
  for (const cache::VerifyResult& result : results) {
    if (result.ok) continue;
    Damaged item{result, {}, {}};
    if (const auto it = by_key.find(result.key); it != by_key.end()) {
      item.source_name = it->second->record.source_name;
      item.arch = it->second->record.arch;
    }
    damaged.push_back(std::move(item));
  }
  return damaged;
}

std::string describe(const Damaged& item) {
  if (item.result.key == cache::Key()) return fmt::format("unreadable  {}: {}", item.result.dir.string(), item.result.problem);
  if (item.result.unreadable)
    return fmt::format("unreadable  {}: {} (kept: this is no sign of damage)", item.result.key.short_hex(), item.result.problem);
  const std::string what = item.source_name.empty() ? "" : fmt::format(" ({} {})", item.source_name, item.arch);
  return fmt::format("damaged  {}{}: {}", item.result.key.short_hex(), what, item.result.problem);
}

Exit run_verify(const VerifyArgs& args, const GlobalOptions& global) {
  const std::string dir = cache_dir(global).string();
  const auto disk = open_cache(global);
  if (!disk) return report_no_cache(dir, args.json);
  std::size_t checked = 0;
  const std::vector<Damaged> damaged = damaged_entries(*disk, checked);
  if (args.remove) {
    for (const Damaged& item : damaged)
      if (item.result.key != cache::Key() && !item.result.unreadable) disk->remove(item.result.key);
  }
  if (args.json) {
    json list = json::array();
    for (const Damaged& item : damaged) {
      list.push_back({{"key", item.result.key.hex()}, {"key_prefix", item.result.key.short_hex()},
                      {"source_name", item.source_name}, {"arch", item.arch}, {"problem", item.result.problem},
                      {"removed", args.remove}});
    }
    print_json({{"cache_dir", dir}, {"checked", checked}, {"ok", damaged.empty()}, {"damaged", list}});
    return damaged.empty() ? Exit::ok : Exit::failed;
  }
  if (damaged.empty()) {
    fmt::print("checked {} in {}: every checksum matches\n", plural(checked, "entry", "entries"), dir);
    return Exit::ok;
  }
  for (const Damaged& item : damaged) fmt::print("{}\n", describe(item));
  const auto unreadable = static_cast<std::size_t>(
      std::count_if(damaged.begin(), damaged.end(), [](const Damaged& item) { return item.result.unreadable; }));
  if (unreadable == damaged.size()) {
    fmt::print("{} of {} could not be read and {} kept; run `jitcu cache verify` again once the cause above is gone\n", unreadable,
               plural(checked, "entry", "entries"), unreadable == 1 ? "is" : "are");
    return Exit::failed;
  }
  const std::string count = fmt::format("{} of {} damaged", damaged.size() - unreadable, plural(checked, "entry", "entries"));
  if (args.remove) fmt::print("{}, now removed; the next compile of each makes it again\n", count);
  else fmt::print("{}; none is ever loaded: a compile that reads a damaged part compiles again and replaces the "
                  "entry, and `jitcu cache verify --remove` removes them now\n", count);
  return Exit::failed;
}

CLI::Validator size_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (cache::parse_size(text)) return {};
        return fmt::format("'{}' is not a size: use bytes or K, M, G, T (powers of 1024), e.g. 512M or 1.5G", text);
      },
      "");
}

CLI::Validator duration_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (parse_duration(text)) return {};
        return fmt::format("'{}' is not a duration: use a positive count with s, m, h, d or w, e.g. 30s, "
                           "10m, 2h, 7d",
                           text);
      },
      "");
}

Exit run_prune(const PruneArgs& args, const GlobalOptions& global) {
  if (args.max_size.empty() && args.older_than.empty()) {
    fmt::print(stderr, "jitcu cache prune: say what to remove with --max-size SIZE, --older-than DURATION "
                       "or both, e.g. `jitcu cache prune --max-size 512M --older-than 30d`\n");
    return Exit::usage;
  }
  const std::string dir = cache_dir(global).string();
  const auto store = open_cache(global);
  if (!store) return report_no_cache(dir, args.json);
  cache::Removed old, for_size;
  if (!args.older_than.empty()) old = store->prune_older_than(Clock::now() - *parse_duration(args.older_than));
  if (!args.max_size.empty()) for_size = store->prune_to_size(*cache::parse_size(args.max_size));
  const cache::DiskStats stats = store->stats();
  const std::size_t pch_removed = old.pch_files + for_size.pch_files;
  if (args.json) {
    print_json({{"cache_dir", dir}, {"removed", old.entries + for_size.entries}, {"removed_older", old.entries},
                {"removed_for_size", for_size.entries}, {"pch_files_removed", pch_removed}, {"entries", stats.entries},
                {"pch_files", stats.pch_files}, {"total_size_bytes", stats.total_size_bytes}});
    return Exit::ok;
  }
  std::vector<std::string> why;
  if (!args.older_than.empty()) why.push_back(fmt::format("{} last used over {} ago", old.entries, args.older_than));
  if (!args.max_size.empty()) why.push_back(fmt::format("{} to fit {}", for_size.entries, args.max_size));
  fmt::print("removed {} ({}){}; the cache now holds {}, {}\n",
             plural(old.entries + for_size.entries, "entry", "entries"), fmt::format("{}", fmt::join(why, ", ")),
             pch_removed ? fmt::format(" and {}", plural(pch_removed, "precompiled header", "precompiled headers")) : "",
             plural(stats.entries, "entry", "entries"), human_size(stats.total_size_bytes));
  return Exit::ok;
}

Exit run_clear(const ClearArgs& args, const GlobalOptions& global) {
  const std::string dir = cache_dir(global).string();
  const auto store = open_cache(global);
  if (!store) return report_no_cache(dir, args.json);
  // The workers' precompiled headers (<cache>/pch) go too: they are only worth their disk while
  // the entries they speed up are compiled again.
  const cache::Removed removed = store->clear();
  if (args.json) print_json({{"cache_dir", dir}, {"removed", removed.entries}, {"pch_files_removed", removed.pch_files}});
  else if (removed.pch_files == 0) fmt::print("removed {} from {}\n", plural(removed.entries, "entry", "entries"), dir);
  else fmt::print("removed {} and {} from {}\n", plural(removed.entries, "entry", "entries"),
                  plural(removed.pch_files, "precompiled header", "precompiled headers"), dir);
  return Exit::ok;
}

}  // namespace

Command add_verify_command(CLI::App& cache, const GlobalOptions& global) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* app = cache.add_subcommand("verify", "check every entry's checksums; exit 1 when any is damaged");
  app->add_flag("--remove", args->remove, "remove the damaged entries (otherwise a compile replaces those a cache hit cannot use)");
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  return {app, [args, &global] { return run_verify(*args, global); }};
}

Command add_prune_command(CLI::App& cache, const GlobalOptions& global) {
  auto args = std::make_shared<PruneArgs>();
  CLI::App* app = cache.add_subcommand("prune", "remove least recently used entries and precompiled headers");
  app->add_option("--max-size", args->max_size, "remove least recently used entries until the cache fits SIZE "
                                                "(e.g. 512M, 2G)")
      ->check(size_validator())
      ->type_name("SIZE");
  app->add_option("--older-than", args->older_than, "remove entries last used longer ago than DURATION "
                                                    "(e.g. 30s, 10m, 2h, 7d)")
      ->check(duration_validator())
      ->type_name("DURATION");
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  return {app, [args, &global] { return run_prune(*args, global); }};
}

Command add_clear_command(CLI::App& cache, const GlobalOptions& global) {
  auto args = std::make_shared<ClearArgs>();
  CLI::App* app = cache.add_subcommand("clear", "remove every entry and precompiled header (the counters stay)");
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  return {app, [args, &global] { return run_clear(*args, global); }};
}

}  // namespace jitcu::tool
