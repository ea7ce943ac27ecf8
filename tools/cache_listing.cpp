// jitcu cache ls | stats | path: what the cache holds.
#include "commands.hpp"
#include "entry_view.hpp"
#include "format.hpp"
#include "remote_status.hpp"

#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

using nlohmann::json;

constexpr std::size_t k_source_width = 32;   // long paths keep their tail: "…/kernels/x.cu"
constexpr std::size_t k_kernels_width = 48;  // then "+N more"

struct JsonFlag {
  bool json = false;
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

Exit run_ls(const JsonFlag& flag, const GlobalOptions& global) {
  const std::string dir = cache_dir(global).string();
  const auto disk = open_cache(global);
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
    "these are totals of the store on disk, shared by every process that uses it; hits and misses "
    "are not recorded there: `jitcu compile` says hit or miss for each file, and "
    "JITCU_LOG_LEVEL=debug logs each compile's";

Exit run_stats(const JsonFlag& flag, const GlobalOptions& global) {
  const std::string dir = cache_dir(global).string();
  const auto disk = open_cache(global);
  const cache::DiskStats stats = disk ? disk->stats() : cache::DiskStats{0, 0, cache_cap_bytes()};
  if (flag.json) {
    print_json({{"cache_dir", dir},
                {"entries", stats.entries},
                {"total_size_bytes", stats.total_size_bytes},
                {"max_size_bytes", stats.max_size_bytes},
                {"remote", remote_status()},
                {"note", k_stats_note}});
    return Exit::ok;
  }
  const double percent = stats.max_size_bytes
                             ? 100.0 * static_cast<double>(stats.total_size_bytes) /
                                   static_cast<double>(stats.max_size_bytes)
                             : 0.0;
  fmt::print("cache dir   {}\n", dir);
  fmt::print("entries     {}\n", stats.entries);
  fmt::print("total size  {} ({} bytes, {:.1f}% of the cap)\n", human_size(stats.total_size_bytes),
             stats.total_size_bytes, percent);
  fmt::print("cap         {} (JITCU_CACHE_MAX_SIZE; least recently used entries go first)\n",
             human_size(stats.max_size_bytes));
  print_remote_status(remote_status(), 12);
  fmt::print("note: {}\n", k_stats_note);
  return Exit::ok;
}

}  // namespace

Command add_ls_command(CLI::App& cache, const GlobalOptions& global) {
  auto flag = std::make_shared<JsonFlag>();
  CLI::App* app = cache.add_subcommand("ls", "list the cached entries, newest first");
  app->add_flag("--json", flag->json, "print one JSON document instead of text");
  return {app, [flag, &global] { return run_ls(*flag, global); }};
}

Command add_stats_command(CLI::App& cache, const GlobalOptions& global) {
  auto flag = std::make_shared<JsonFlag>();
  CLI::App* app = cache.add_subcommand("stats", "show the cache's folder, entry count, total size and cap");
  app->add_flag("--json", flag->json, "print one JSON document instead of text");
  return {app, [flag, &global] { return run_stats(*flag, global); }};
}

Command add_path_command(CLI::App& cache, const GlobalOptions& global) {
  CLI::App* app = cache.add_subcommand("path", "print the cache folder");
  return {app, [&global] {
            fmt::print("{}\n", cache_dir(global).string());
            return Exit::ok;
          }};
}

}  // namespace jitcu::tool
