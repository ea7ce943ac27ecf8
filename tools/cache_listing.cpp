// jitcu cache ls | stats | path: what the cache holds, and what it did.
#include "commands.hpp"
#include "entry_view.hpp"
#include "format.hpp"
#include "remote_status.hpp"

#include <algorithm>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

using nlohmann::json;

constexpr std::size_t k_source_width = 32;   // long paths keep their tail: "…/kernels/x.cu"
constexpr std::size_t k_kernels_width = 48;  // then "+N more"

struct LsArgs {
  bool json = false;
  bool pch = false;
  bool remote = false;
};

struct StatsArgs {
  bool json = false;
  bool zero = false;
};

std::int64_t unix_ns(Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

json entry_json(const cache::ListedEntry& entry, Clock::time_point now) {
  const auto created = created_time(entry.record);
  return {{"key", entry.record.key.hex()},
          {"key_prefix", entry.record.key.short_hex()},
          {"source_name", entry.record.source_name},
          {"arch", entry.record.arch},
          {"kernels", kernel_names(entry.record)},
          {"size_bytes", entry.total_size_bytes},
          {"created", iso8601_utc(created)},
          {"created_unix_ns", entry.record.created_unix_ns},
          {"age_seconds", unix_seconds(now) - unix_seconds(created)},
          {"last_used", iso8601_utc(entry.last_used)},
          {"last_used_unix_ns", unix_ns(entry.last_used)},
          {"dir", entry.dir.string()}};
}

std::uint64_t total_size(const std::vector<cache::ListedEntry>& entries) {
  std::uint64_t total = 0;
  for (const auto& entry : entries) total += entry.total_size_bytes;
  return total;
}

json pch_json(const cache::ListedPch& pch) {
  return {{"path", pch.path.string()},
          {"size_bytes", pch.size_bytes},
          {"last_used", iso8601_utc(pch.last_used)},
          {"last_used_unix_ns", unix_ns(pch.last_used)}};
}

/// `cache ls --pch`: the compile workers' precompiled headers, most recently used first.
Exit run_ls_pch(const LsArgs& args, const std::string& dir, cache::DiskTier* disk) {
  std::vector<cache::ListedPch> files = disk ? disk->list_pch() : std::vector<cache::ListedPch>{};
  std::reverse(files.begin(), files.end());
  std::uint64_t total = 0;
  for (const auto& file : files) total += file.size_bytes;
  if (args.json) {
    json list = json::array();
    for (const auto& file : files) list.push_back(pch_json(file));
    print_json({{"cache_dir", dir}, {"pch", list}, {"pch_bytes", total}});
    return Exit::ok;
  }
  if (files.empty()) {
    fmt::print("no precompiled headers in {}; compile workers make them for sources with #include lines\n", dir);
    return Exit::ok;
  }
  const auto now = Clock::now();
  Table table({"precompiled header", "size", "last used"});
  table.right_align(1);
  for (const auto& file : files)
    table.add_row({file.path.filename().string(), human_size(file.size_bytes), ago(file.last_used, now)});
  fmt::print("{}{} precompiled header{}, {} in {}/pch\n", table.render(), files.size(), files.size() == 1 ? "" : "s",
             human_size(total), dir);
  return Exit::ok;
}

Exit run_ls(const LsArgs& flag, const GlobalOptions& global) {
  const std::string dir = cache_dir(global).string();
  const auto disk = open_cache(global);
  if (flag.pch) return run_ls_pch(flag, dir, disk.get());
  if (flag.remote) return list_remote_entries(flag.json);
  const std::vector<cache::ListedEntry> entries = disk ? disk->list() : std::vector<cache::ListedEntry>{};  // newest first
  const auto now = Clock::now();
  if (flag.json) {
    json list = json::array();
    for (const auto& entry : entries) list.push_back(entry_json(entry, now));
    print_json({{"cache_dir", dir}, {"entries", list}, {"total_size_bytes", total_size(entries)}});
    return Exit::ok;
  }
  if (entries.empty()) {
    fmt::print("the cache at {} is empty; `jitcu compile FILE` fills it\n", dir);
    return Exit::ok;
  }
  Table table({"key", "source", "arch", "kernels", "size", "age", "last used"});
  table.right_align(4);
  table.right_align(5);
  for (const auto& entry : entries) {
    table.add_row({entry.record.key.short_hex(), shorten_left(entry.record.source_name, k_source_width),
                   entry.record.arch, join_names(kernel_names(entry.record), k_kernels_width),
                   human_size(entry.total_size_bytes), human_duration(now - created_time(entry.record)),
                   ago(entry.last_used, now)});
  }
  fmt::print("{}{} entr{}, {} in {}\n", table.render(), entries.size(), entries.size() == 1 ? "y" : "ies",
             human_size(total_size(entries)), dir);
  return Exit::ok;
}

constexpr const char* k_stats_note =
    "the counters are the sum of every process that used this folder: each adds its counts after "
    "a compile and when its Engine is destroyed, so a process that was killed lost its last "
    "counts; `jitcu cache stats --zero` starts them again, and keeps the entries";

double percent_of(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

std::string seconds_text(std::uint64_t ns) { return fmt::format("{:.3f} s", static_cast<double>(ns) / 1e9); }

json counters_json(const cache::CacheCounters& counters) {
  json out = json::object();
  for (const cache::CounterField& field : cache::k_counter_fields) out[field.name] = counters.*field.member;
  out["hits"] = counters.hits();
  return out;
}

void print_counters(const cache::RecordedStats& recorded) {
  const cache::CacheCounters& c = recorded.counters;
  fmt::print("counted     since {} ({} ago)\n", iso8601_utc(recorded.zeroed), human_duration(Clock::now() - recorded.zeroed));
  fmt::print("hits        {} ({:.1f}% of lookups): {} in process memory, {} on disk, {} remote\n", c.hits(),
             percent_of(c.hits(), c.hits() + c.misses), c.memory_hits, c.disk_hits, c.remote_hits);
  fmt::print("misses      {}\n", c.misses);
  fmt::print("compiles    {}, {} in NVRTC\n", c.compiles, seconds_text(c.compile_ns));
  fmt::print("saved       {} of compiling by hits\n", seconds_text(c.saved_ns));
  fmt::print("damaged     {} entries found damaged and removed\n", c.damaged);
  fmt::print("evictions   {} entries and {} precompiled headers (size cap, prune)\n", c.evictions, c.pch_evictions);
}

Exit run_stats(const StatsArgs& args, const GlobalOptions& global) {
  const std::string dir = cache_dir(global).string();
  const auto disk = open_cache(global);
  if (disk && args.zero) disk->zero_counters();
  const cache::DiskStats stats = disk ? disk->stats() : cache::DiskStats{0, 0, cache_cap_bytes()};
  const cache::RecordedStats recorded = disk ? disk->recorded_counters() : cache::RecordedStats{{}, Clock::now()};
  if (args.json) {
    print_json({{"cache_dir", dir},
                {"entries", stats.entries},
                {"pch_files", stats.pch_files},
                {"pch_bytes", stats.pch_bytes},
                {"total_size_bytes", stats.total_size_bytes},
                {"max_size_bytes", stats.max_size_bytes},
                {"counters", counters_json(recorded.counters)},
                {"counted_since", iso8601_utc(recorded.zeroed)},
                {"counted_since_unix", unix_seconds(recorded.zeroed)},
                {"zeroed", args.zero},
                {"remote", remote_status()},
                {"note", k_stats_note}});
    return Exit::ok;
  }
  if (args.zero) fmt::print("zeroed the counters of {}; the entries stay\n", dir);
  fmt::print("cache dir   {}\n", dir);
  fmt::print("entries     {}\n", stats.entries);
  fmt::print("pch         {} precompiled header{}, {} (`jitcu cache ls --pch`)\n", stats.pch_files,
             stats.pch_files == 1 ? "" : "s", human_size(stats.pch_bytes));
  fmt::print("total size  {} ({} bytes, {:.1f}% of the cap)\n", human_size(stats.total_size_bytes),
             stats.total_size_bytes, percent_of(stats.total_size_bytes, stats.max_size_bytes));
  fmt::print("cap         {} (JITCU_CACHE_MAX_SIZE; entries and precompiled headers, least recently used go first)\n",
             human_size(stats.max_size_bytes));
  print_counters(recorded);
  print_remote_status(remote_status(), 12);
  fmt::print("note: {}\n", k_stats_note);
  return Exit::ok;
}

}  // namespace

Command add_ls_command(CLI::App& cache, const GlobalOptions& global) {
  auto args = std::make_shared<LsArgs>();
  CLI::App* app = cache.add_subcommand("ls", "list the cached entries, newest first");
  auto* pch = app->add_flag("--pch", args->pch,
                            "list the compile workers' precompiled headers instead, most recently used first");
  app->add_flag("--remote", args->remote,
                "list what the Redis tier ($JITCU_REMOTE_CACHE) holds for this namespace instead, as "
                "`cache remote --ls` does")
      ->excludes(pch);
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  return {app, [args, &global] { return run_ls(*args, global); }};
}

Command add_stats_command(CLI::App& cache, const GlobalOptions& global) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* app = cache.add_subcommand("stats", "show the cache's hits, misses, compile time saved, evictions, entries, "
                                                "size and cap");
  app->add_flag("--zero", args->zero, "set the counters to zero first (the entries stay)");
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  return {app, [args, &global] { return run_stats(*args, global); }};
}

Command add_path_command(CLI::App& cache, const GlobalOptions& global) {
  CLI::App* app = cache.add_subcommand("path", "print the cache folder");
  return {app, [&global] {
            fmt::print("{}\n", cache_dir(global).string());
            return Exit::ok;
          }};
}

}  // namespace jitcu::tool
