// jitcu cache show KEY-PREFIX: one entry's summary, or one of its files.
#include "commands.hpp"
#include "entry_view.hpp"
#include "format.hpp"

#include <jitcu/cache/disk_tier.hpp>

#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

using nlohmann::json;

constexpr const char* k_meta_file = "meta.json";

enum class Part { summary, ptx, cubin_path, log, source, meta };

struct ShowArgs {
  std::string prefix;
  bool ptx = false;
  bool cubin_path = false;
  bool log = false;
  bool source = false;
  bool meta = false;
  bool json = false;

  Part part() const {
    if (ptx) return Part::ptx;
    if (cubin_path) return Part::cubin_path;
    if (log) return Part::log;
    if (source) return Part::source;
    if (meta) return Part::meta;
    return Part::summary;
  }
};

std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ToolError(fmt::format("cannot read '{}'", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> blob_names(const cache::EntryRecord& record) {
  std::vector<std::string> names;
  for (const auto& blob : record.blobs) names.push_back(blob.name);
  return names;
}

/// A blob's bytes, checked against the record by the disk tier.
std::string checked_blob(cache::DiskTier& disk, const cache::ListedEntry& entry, const std::string& name) {
  const auto& record = entry.record;
  if (!record.blob(name))
    throw ToolError(fmt::format("entry {} keeps no {} (it has: {})", record.key.short_hex(), name,
                                fmt::join(blob_names(record), ", ")));
  auto found = disk.get(record.key, cache::BlobSelection::only(name));
  if (!found || !found->blobs.contains(name))
    throw ToolError(fmt::format("{} of entry {} is damaged or missing; the cache removed the entry and the next "
                                "compile of {} replaces it", name, record.key.short_hex(), record.source_name));
  return std::move(found->blobs.at(name));
}

std::string cubin_name(const cache::EntryRecord& record) {
  if (record.image.ends_with(".cubin")) return record.image;
  for (const auto& blob : record.blobs)
    if (blob.name.ends_with(".cubin")) return blob.name;
  throw ToolError(fmt::format("entry {} has no cubin: it was compiled for {} (PTX only); `jitcu cache show {} --ptx` "
                              "prints the PTX", record.key.short_hex(), record.arch, record.key.short_hex()));
}

/// The options the entry was compiled with, as the key records them: -std, macros, include
/// folders and the rest.
std::vector<std::string> options_of(const cache::KeyRecord& key) {
  std::vector<std::string> options;
  if (auto standard = field_value(key, "std")) options.push_back("-std=" + *standard);
  for (const auto& macro : field_values(key, "macro")) options.push_back(macro);
  for (const auto& dir : field_values(key, "include_dir")) options.push_back("-I" + dir);
  for (const auto& option : field_values(key, "option")) options.push_back(option);
  return options;
}

/// Each user header: {path, sha256}, from the key's "header" fields ("path<TAB>sha256").
std::vector<std::pair<std::string, std::string>> headers_of(const cache::KeyRecord& key) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& value : field_values(key, "header")) {
    const auto tab = value.rfind('\t');
    headers.emplace_back(value.substr(0, tab), tab == std::string::npos ? "" : value.substr(tab + 1));
  }
  return headers;
}

json summary_json(const cache::ListedEntry& entry) {
  const auto& record = entry.record;
  const auto key = key_record_of(record);
  json blobs = json::array();
  for (const auto& blob : record.blobs)
    blobs.push_back({{"name", blob.name}, {"size_bytes", blob.size_bytes}, {"xxh3", blob.xxh3},
                     {"path", (entry.dir / blob.name).string()}});
  json headers = json::array();
  for (const auto& [path, hash] : headers_of(key)) headers.push_back({{"path", path}, {"sha256", hash}});
  return {{"key", record.key.hex()},
          {"source_name", record.source_name},
          {"arch", record.arch},
          {"options", options_of(key)},
          {"name_expressions", record.name_expressions},
          {"nvrtc", field_value(key, "nvrtc").value_or("")},
          {"toolkit", field_value(key, "toolkit").value_or("")},
          {"compile_ms", record.compile_ms},
          {"created", iso8601_utc(created_time(record))},
          {"last_used", iso8601_utc(entry.last_used)},
          {"size_bytes", entry.total_size_bytes},
          {"kernels", kernels_json(kernels_of(record))},
          {"headers", headers},
          {"blobs", blobs},
          {"dir", entry.dir.string()}};
}

void print_field(std::string_view name, std::string_view value) {
  fmt::print("{:<14} {}\n", name, value);
}

void print_summary(const cache::ListedEntry& entry) {
  const auto now = Clock::now();
  const auto& record = entry.record;
  const auto key = key_record_of(record);
  print_field("key", record.key.hex());
  print_field("source", record.source_name);
  print_field("arch", record.arch);
  print_field("options", fmt::format("{}", fmt::join(options_of(key), " ")));
  for (const auto& [expression, lowered] : record.name_expressions)
    print_field("name expr", fmt::format("{} → {}", expression, lowered));
  print_field("nvrtc", field_value(key, "nvrtc").value_or(""));
  print_field("toolkit", field_value(key, "toolkit").value_or(""));
  print_field("created", fmt::format("{} ({}), compiled in {:.1f} ms", iso8601_utc(created_time(record)),
                                     ago(created_time(record), now), record.compile_ms));
  print_field("last used", ago(entry.last_used, now));
  print_field("size", human_size(entry.total_size_bytes));
  print_field("dir", entry.dir.string());

  const auto kernels = kernels_of(record);
  fmt::print("\nkernels ({})\n{}", kernels.size(), kernel_table(kernels, 2, true));
  const auto headers = headers_of(key);
  fmt::print("\nheaders ({})\n", headers.size());
  for (const auto& [path, hash] : headers) fmt::print("  {}  sha256 {}\n", path, short_hash(hash, 12));
  Table blobs({"blob", "size", "xxh3"});
  blobs.right_align(1);
  for (const auto& blob : record.blobs) blobs.add_row({blob.name, human_size(blob.size_bytes), short_hash(blob.xxh3, 12)});
  fmt::print("\nblobs\n{}", blobs.render(2));
}

Exit show_blob(cache::DiskTier& disk, const cache::ListedEntry& entry, const std::string& name, bool as_json) {
  const std::string text = checked_blob(disk, entry, name);
  if (as_json) {
    print_json({{"key", entry.record.key.hex()}, {"blob", name}, {"path", (entry.dir / name).string()}, {"text", text}});
    return Exit::ok;
  }
  fmt::print("{}", text);
  if (!text.empty() && !text.ends_with('\n') && ::isatty(STDOUT_FILENO)) fmt::print("\n");  // keep the prompt apart
  return Exit::ok;
}

Exit run_show(const ShowArgs& args, const GlobalOptions& global) {
  const auto disk = open_cache(global);
  const cache::ListedEntry entry = find_by_prefix(disk.get(), args.prefix);
  switch (args.part()) {
    case Part::ptx: return show_blob(*disk, entry, "program.ptx", args.json);
    case Part::log: return show_blob(*disk, entry, "log.txt", args.json);
    case Part::source: return show_blob(*disk, entry, "source.cu", args.json);
    case Part::cubin_path: {
      const std::string path = (entry.dir / cubin_name(entry.record)).string();
      if (args.json) print_json({{"key", entry.record.key.hex()}, {"path", path}});
      else fmt::print("{}\n", path);
      return Exit::ok;
    }
    case Part::meta: {
      const std::string text = read_whole_file(entry.dir / k_meta_file);
      if (args.json) print_json(json::parse(text));
      else fmt::print("{}", text);
      return Exit::ok;
    }
    case Part::summary:
      if (args.json) print_json(summary_json(entry));
      else print_summary(entry);
      return Exit::ok;
  }
  return Exit::ok;
}

}  // namespace

Command add_show_command(CLI::App& cache, const GlobalOptions& global) {
  auto args = std::make_shared<ShowArgs>();
  CLI::App* app = cache.add_subcommand("show", "show one entry: its inputs, kernels, headers and files");
  app->add_option("KEY-PREFIX", args->prefix, "a unique prefix of the entry's key (4+ hex digits, from `jitcu cache ls`)")
      ->required()
      ->type_name("KEY-PREFIX");
  CLI::Option* ptx = app->add_flag("--ptx", args->ptx, "print the PTX (checksum verified)");
  CLI::Option* cubin = app->add_flag("--cubin-path", args->cubin_path, "print the cubin's path (for cuobjdump)");
  CLI::Option* log = app->add_flag("--log", args->log, "print NVRTC's log of the compile");
  CLI::Option* source = app->add_flag("--source", args->source, "print the source text that was compiled");
  CLI::Option* meta = app->add_flag("--meta", args->meta, "print meta.json (the entry's record written out for people) as it is on disk");
  const std::vector<CLI::Option*> parts{ptx, cubin, log, source, meta};
  for (CLI::Option* a : parts) {
    for (CLI::Option* b : parts) {
      if (a != b) a->excludes(b);
    }
  }
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  return {app, [args, &global] { return run_show(*args, global); }};
}

}  // namespace jitcu::tool
