// jitcu cache show KEY-PREFIX: one entry's summary, or one of its files.
#include "commands.hpp"
#include "entry_view.hpp"
#include "format.hpp"

#include <jitcu/cache/path_text.hpp>
#include <jitcu/cache/store.hpp>

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

/// A blob's bytes, checked against its checksum by the store.
std::vector<std::string> blob_names(const cache::FoundEntry& entry) {
  std::vector<std::string> names;
  for (const auto& [name, info] : entry.blobs) names.push_back(name);
  return names;
}

std::string checked_blob(cache::Store& store, const cache::FoundEntry& entry, const std::string& name) {
  if (!entry.blobs.contains(name)) {
    throw ToolError(fmt::format("entry {} keeps no {} (it has: {})", entry.key.short_hex(), name,
                                fmt::join(blob_names(entry), ", ")));
  }
  std::optional<std::string> bytes = store.read_blob(entry, name);
  if (!bytes) {
    throw ToolError(fmt::format("{} of entry {} is damaged or missing; the cache removed the entry and the "
                                "next compile of {} replaces it",
                                name, entry.key.short_hex(), meta_text(entry.meta, "source_name")));
  }
  return std::move(*bytes);
}

std::string cubin_name(const cache::FoundEntry& entry) {
  if (std::string image = meta_text(entry.meta, "image"); image.ends_with(".cubin")) return image;
  for (const auto& [name, info] : entry.blobs) {
    if (name.ends_with(".cubin")) return name;
  }
  throw ToolError(fmt::format("entry {} has no cubin: it was compiled for {} (PTX only); `jitcu cache "
                              "show {} --ptx` prints the PTX",
                              entry.key.short_hex(), meta_text(entry.meta, "arch"), entry.key.short_hex()));
}

std::string options_text(const cache::FoundEntry& entry) {
  const auto record = key_record_of(entry.meta);
  if (!record) return "(not recorded)";
  return field_value(*record, "options").value_or("(not recorded)");
}

std::vector<std::string> nvrtc_options(const json& meta) {
  const auto it = meta.find("nvrtc_options");
  if (it == meta.end() || !it->is_array()) return {};
  std::vector<std::string> options;
  for (const json& option : *it) {
    if (option.is_string()) options.push_back(option.get<std::string>());
  }
  return options;
}

std::map<std::string, std::string> name_expressions(const json& meta) {
  std::map<std::string, std::string> expressions;
  const auto it = meta.find("name_expressions");
  if (it == meta.end() || !it->is_object()) return expressions;
  for (const auto& [expression, lowered] : it->items()) {
    if (lowered.is_string()) expressions[expression] = lowered.get<std::string>();
  }
  return expressions;
}

json headers_json(const json& meta) {
  const auto it = meta.find("headers");
  return it != meta.end() && it->is_array() ? *it : json::array();
}

double compile_ms(const json& meta) {
  const auto it = meta.find("compile_ms");
  return it != meta.end() && it->is_number() ? it->get<double>() : 0.0;
}

json summary_json(const cache::FoundEntry& entry) {
  json blobs = json::array();
  for (const auto& [name, info] : entry.blobs) {
    blobs.push_back({{"name", name}, {"size_bytes", info.size_bytes}, {"sha256", info.sha256},
                     {"path", path_text::join(entry.dir, name)}});
  }
  return {{"key", entry.key.hex()},
          {"source_name", meta_text(entry.meta, "source_name")},
          {"arch", meta_text(entry.meta, "arch")},
          {"options", options_text(entry)},
          {"nvrtc_options", nvrtc_options(entry.meta)},
          {"name_expressions", name_expressions(entry.meta)},
          {"nvrtc", meta_text(entry.meta, "nvrtc")},
          {"toolkit", meta_text(entry.meta, "toolkit")},
          {"compile_ms", compile_ms(entry.meta)},
          {"created", iso8601_utc(entry.created)},
          {"last_used", iso8601_utc(entry.last_used)},
          {"size_bytes", entry.total_size_bytes},
          {"kernels", kernels_json(kernels_of(entry.meta))},
          {"headers", headers_json(entry.meta)},
          {"blobs", blobs},
          {"dir", entry.dir}};
}

/// `text` with every line after the first indented by `columns` spaces.
std::string indent_lines(const std::string& text, std::size_t columns) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += std::string(columns, ' ');
  }
  return out;
}

void print_field(std::string_view name, std::string_view value) {
  fmt::print("{:<14} {}\n", name, value);
}

void print_summary(const cache::FoundEntry& entry) {
  const auto now = Clock::now();
  print_field("key", entry.key.hex());
  print_field("source", meta_text(entry.meta, "source_name"));
  print_field("arch", meta_text(entry.meta, "arch"));
  print_field("options", indent_lines(options_text(entry), 15));
  print_field("nvrtc options", fmt::format("{}", fmt::join(nvrtc_options(entry.meta), " ")));
  for (const auto& [expression, lowered] : name_expressions(entry.meta)) {
    print_field("name expr", fmt::format("{} → {}", expression, lowered));
  }
  print_field("nvrtc", meta_text(entry.meta, "nvrtc"));
  print_field("toolkit", meta_text(entry.meta, "toolkit"));
  print_field("created", fmt::format("{} ({}), compiled in {:.1f} ms", iso8601_utc(entry.created),
                                     ago(entry.created, now), compile_ms(entry.meta)));
  print_field("last used", ago(entry.last_used, now));
  print_field("size", human_size(entry.total_size_bytes));
  print_field("dir", entry.dir);

  const auto kernels = kernels_of(entry.meta);
  fmt::print("\nkernels ({})\n{}", kernels.size(), kernel_table(kernels, 2, true));
  const json headers = headers_json(entry.meta);
  fmt::print("\nheaders ({})\n", headers.size());
  for (const json& header : headers) {
    fmt::print("  {}  sha256 {}\n", meta_text(header, "path"), short_hash(meta_text(header, "sha256"), 12));
  }
  Table blobs({"blob", "size", "sha256"});
  blobs.right_align(1);
  for (const auto& [name, info] : entry.blobs) blobs.add_row({name, human_size(info.size_bytes), short_hash(info.sha256, 12)});
  fmt::print("\nblobs\n{}", blobs.render(2));
}

Exit show_blob(cache::Store& store, const cache::FoundEntry& entry, const std::string& name, bool as_json) {
  const std::string text = checked_blob(store, entry, name);
  if (as_json) {
    print_json({{"key", entry.key.hex()}, {"blob", name}, {"path", path_text::join(entry.dir, name)}, {"text", text}});
    return Exit::ok;
  }
  fmt::print("{}", text);
  if (!text.empty() && !text.ends_with('\n') && ::isatty(STDOUT_FILENO)) fmt::print("\n");  // keep the prompt apart
  return Exit::ok;
}

Exit run_show(const ShowArgs& args, const GlobalOptions& global) {
  const auto store = open_cache(global);
  const cache::FoundEntry entry = find_by_prefix(*store, args.prefix);
  switch (args.part()) {
    case Part::ptx: return show_blob(*store, entry, "program.ptx", args.json);
    case Part::log: return show_blob(*store, entry, "log.txt", args.json);
    case Part::source: return show_blob(*store, entry, "source.cu", args.json);
    case Part::cubin_path: {
      const std::string path = (std::filesystem::path(entry.dir) / cubin_name(entry)).string();
      if (args.json) print_json({{"key", entry.key.hex()}, {"path", path}});
      else fmt::print("{}\n", path);
      return Exit::ok;
    }
    case Part::meta: {
      const std::string text = read_whole_file(std::filesystem::path(entry.dir) / k_meta_file);
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
  CLI::Option* meta = app->add_flag("--meta", args->meta, "print meta.json as it is on disk");
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
