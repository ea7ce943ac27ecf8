// jitcu cache explain FILE: would this compile hit, and if not, what differs from the nearest entry.
#include "commands.hpp"
#include "compile_flags.hpp"
#include "entry_view.hpp"
#include "format.hpp"
#include "key_diff.hpp"

#include <jitcu/engine.hpp>
#include <jitcu/source.hpp>

#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

using nlohmann::json;

struct ExplainArgs {
  std::string file;
  CompileFlags flags;
  std::string arch;
  bool json = false;
};

/// A cached entry with the record it was made from.
struct Candidate {
  const cache::ListedEntry* entry = nullptr;
  cache::KeyRecord record;
  std::size_t shared = 0;  // fields equal to the wanted record's
};

struct Explanation {
  cache::KeyRecord wanted;
  cache::Key key;
  const cache::ListedEntry* hit = nullptr;
  std::optional<Candidate> nearest;
  bool same_source = false;
  std::vector<Difference> differences;
};

/// The entry sharing the most fields with `wanted`, among those `eligible` accepts; the newest
/// wins a tie (the list is newest first).
template <class Eligible>
std::optional<Candidate> nearest_entry(const std::vector<cache::ListedEntry>& entries, const cache::KeyRecord& wanted,
                                       Eligible eligible) {
  std::optional<Candidate> best;
  for (const cache::ListedEntry& entry : entries) {
    cache::KeyRecord record = key_record_of(entry.record);
    if (!eligible(record)) continue;
    const std::size_t shared = shared_fields(record, wanted);
    if (!best || shared > best->shared) best = Candidate{&entry, std::move(record), shared};
  }
  return best;
}

Explanation explain(const std::vector<cache::ListedEntry>& entries, cache::KeyRecord wanted) {
  Explanation result{std::move(wanted), {}, nullptr, std::nullopt, false, {}};
  result.key = result.wanted.key();
  for (const cache::ListedEntry& entry : entries) {
    if (entry.record.key == result.key) result.hit = &entry;
  }
  if (result.hit) return result;
  const std::optional<std::string> name = field_value(result.wanted, "source_name");
  result.nearest = nearest_entry(entries, result.wanted, [&](const cache::KeyRecord& record) {
    return field_value(record, "source_name") == name;
  });
  result.same_source = result.nearest.has_value();
  if (!result.nearest) result.nearest = nearest_entry(entries, result.wanted, [](const cache::KeyRecord&) { return true; });
  if (result.nearest) result.differences = differences(result.nearest->record, result.wanted);
  return result;
}

std::string entry_line(const cache::ListedEntry& entry) {
  return fmt::format("{} ({} {}, created {})", entry.record.key.short_hex(), entry.record.source_name,
                     entry.record.arch, ago(created_time(entry.record), Clock::now()));
}

json entry_json(const cache::ListedEntry& entry) {
  return {{"key", entry.record.key.hex()}, {"key_prefix", entry.record.key.short_hex()},
          {"source_name", entry.record.source_name}, {"arch", entry.record.arch},
          {"created", iso8601_utc(created_time(entry.record))}};
}

json optional_json(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

void print_json_explanation(const Explanation& e, const ExplainArgs& args) {
  json doc = {{"file", args.file},
              {"arch", field_value(e.wanted, "arch").value_or("")},
              {"key", e.key.hex()},
              {"hit", e.hit != nullptr},
              {"entry", e.hit ? entry_json(*e.hit) : json(nullptr)},
              {"nearest", e.nearest ? entry_json(*e.nearest->entry) : json(nullptr)},
              {"same_source", e.same_source},
              {"shared_fields", e.nearest ? e.nearest->shared : 0},
              {"total_fields", e.wanted.fields().size()}};
  json list = json::array();
  for (const Difference& d : e.differences) {
    list.push_back({{"field", d.field}, {"topic", d.topic}, {"name", d.name}, {"was", optional_json(d.was)},
                    {"now", optional_json(d.now)}, {"message", d.message}});
  }
  doc["differences"] = list;
  print_json(doc);
}

void print_text_explanation(const Explanation& e, const ExplainArgs& args, const std::string& dir) {
  if (e.hit) {
    fmt::print("hit: entry {}\n", entry_line(*e.hit));
    fmt::print("a compile of {} with these options loads it from the cache, without NVRTC\n", args.file);
    return;
  }
  fmt::print("miss: no entry has key {} ({} for {})\n", e.key.short_hex(), args.file,
             field_value(e.wanted, "arch").value_or("?"));
  if (!e.nearest) {
    fmt::print("the cache at {} holds no entry to compare with\n", dir);
    return;
  }
  if (!e.same_source) {
    fmt::print("no cached entry was compiled from {}; the nearest by key fields is\n",
               field_value(e.wanted, "source_name").value_or(args.file));
  } else {
    fmt::print("the nearest entry from the same source is\n");
  }
  fmt::print("  {}: {} of {} key fields equal\n", entry_line(*e.nearest->entry), e.nearest->shared,
             e.wanted.fields().size());
  if (e.differences.empty()) {
    fmt::print("its fields hold the same values in another order (made by another jitcu version)\n");
    return;
  }
  fmt::print("what differs:\n");
  for (const Difference& d : e.differences) fmt::print("  {}\n", d.message);
}

Exit run_explain(const ExplainArgs& args, const GlobalOptions& global) {
  const std::string dir = cache_dir(global).string();
  EngineOptions memory_only = engine_options(global);
  memory_only.disk_cache = false;  // only key_record is asked of it: leave the disk alone
  Engine engine(memory_only);
  const Source source = Source::file(args.file);
  cache::KeyRecord wanted = engine.key_record(source, to_compile_options(args.flags, args.arch));
  const auto disk = open_cache(global);
  const std::vector<cache::ListedEntry> entries = disk ? disk->list() : std::vector<cache::ListedEntry>{};
  const Explanation explanation = explain(entries, std::move(wanted));
  if (args.json) print_json_explanation(explanation, args);
  else print_text_explanation(explanation, args, dir);
  return Exit::ok;
}

}  // namespace

Command add_explain_command(CLI::App& cache, const GlobalOptions& global) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* app = cache.add_subcommand("explain", "say whether compiling FILE with these options would hit the "
                                                  "cache, and if not, what differs from the nearest entry");
  app->add_option("FILE", args->file, "CUDA C++ source file")->required()->type_name("FILE");
  add_compile_flags(*app, args->flags);
  app->add_option("--arch", args->arch, "target, e.g. sm_90 (default: as `jitcu compile` picks it)")
      ->type_name("ARCH");
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  return {app, [args, &global] { return run_explain(*args, global); }};
}

}  // namespace jitcu::tool
