#include "entry_codec.hpp"

#include "module_summary.hpp"
#include "names.hpp"
#include "ptx.hpp"
#include "ptxas_info.hpp"
#include "toolkit.hpp"

#include <jitcu/cache/log.hpp>
#include <jitcu/cache/sha256.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::detail {
namespace {

const char* kind_text(ValueKind kind) {
  switch (kind) {
    case ValueKind::integer: return "integer";
    case ValueKind::floating: return "floating";
    case ValueKind::pointer: return "pointer";
    case ValueKind::bytes: return "bytes";
  }
  return "bytes";
}

std::optional<ValueKind> kind_from_text(const std::string& text) {
  for (auto kind : {ValueKind::integer, ValueKind::floating, ValueKind::pointer, ValueKind::bytes})
    if (text == kind_text(kind)) return kind;
  return std::nullopt;
}

std::string image_name(const std::string& arch) { return arch + ".cubin"; }

}  // namespace

cache::KeyRecord make_key_record(const Source& source, const PreparedOptions& options,
                                 const std::vector<std::string>& name_expressions,
                                 const std::vector<HeaderDependency>& headers) {
  cache::KeyRecord record;
  record.add("nvrtc", toolkit().nvrtc_identity);
  record.add("toolkit", toolkit().root);  // toolkit headers are keyed by the toolkit
  record.add("arch", options.arch);
  record.add("source_name", source.name());
  record.add("source_sha256", cache::sha256_hex(source.text()));
  record.add("options", options.canonical);
  std::string expressions;  // joined by hand: fmt's first use would be a cost on every cache hit
  for (std::size_t i = 0; i < name_expressions.size(); ++i) expressions += (i ? "\n" : "") + name_expressions[i];
  record.add("name_expressions", expressions);
  for (const auto& header : headers) record.add("header " + header.path.string(), header.sha256);
  return record;
}

std::shared_ptr<ModuleState> module_from_output(const cache::Key& key, const Source& source,
                                                const PreparedOptions& options, NvrtcOutput output) {
  auto module = std::make_shared<ModuleState>();
  module->key = key;
  module->source_name = source.name();
  module->arch = options.arch;
  module->name_expressions = std::move(output.lowered_names);
  for (auto& entry : parse_ptx_entries(output.ptx))
    module->kernels.push_back({entry.symbol, qualified_name(demangle(entry.symbol)), std::move(entry.params)});
  module->image_is_ptx = output.cubin.empty();
  module->image = module->image_is_ptx ? output.ptx + '\0' : std::move(output.cubin);
  module->ptx_text = std::move(output.ptx);
  module->log = std::move(output.log);
  module->compile_ms = output.milliseconds;
  module->handles = std::make_unique<std::atomic<KernelHandle>[]>(module->kernels.size());
  return module;
}

cache::NewEntry entry_from_module(const ModuleState& module, const Source& source,
                                  const PreparedOptions& options, const cache::KeyRecord& record,
                                  const std::vector<HeaderDependency>& headers) {
  cache::NewEntry entry;
  auto& meta = entry.meta;
  const auto resources = parse_ptxas_info(module.log);
  meta["engine_meta_version"] = k_engine_meta_version;
  meta["source_name"] = source.name();
  meta["arch"] = module.arch;
  meta["nvrtc"] = toolkit().nvrtc_identity;
  meta["toolkit"] = toolkit().root;
  meta["nvrtc_options"] = options.nvrtc();
  meta["compile_ms"] = module.compile_ms;
  meta["image"] = module.image_is_ptx ? "program.ptx" : image_name(module.arch);
  meta["name_expressions"] = module.name_expressions;
  auto& kernels = meta["kernels"] = nlohmann::json::array();
  for (const auto& k : module.kernels) {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : k.params)
      params.push_back({{"size", p.size_bytes}, {"kind", kind_text(p.kind)}, {"ptx_type", p.ptx_type}});
    nlohmann::json item = {{"symbol", k.symbol}, {"name", k.name}, {"params", params}};
    if (auto it = resources.find(k.symbol); it != resources.end()) {
      const auto& r = it->second;
      item["resources"] = {{"registers", r.registers}, {"spill_store_bytes", r.spill_store_bytes},
                           {"spill_load_bytes", r.spill_load_bytes}, {"stack_frame_bytes", r.stack_frame_bytes},
                           {"shared_bytes", r.shared_bytes}};
    }
    kernels.push_back(std::move(item));
  }
  auto& header_list = meta["headers"] = nlohmann::json::array();
  for (const auto& h : headers) header_list.push_back({{"path", h.path.string()}, {"sha256", h.sha256}});
  auto& fields = meta["key_record"] = nlohmann::json::array();
  for (const auto& [name, value] : record.fields()) fields.push_back({name, value});

  entry.summary = encode_summary({module.source_name, module.arch, meta["image"].get<std::string>(), module.compile_ms,
                                  module.name_expressions, module.kernels});
  entry.blobs["program.ptx"] = module.ptx_text;
  if (!module.image_is_ptx) entry.blobs[image_name(module.arch)] = module.image;
  entry.blobs["log.txt"] = module.log;
  entry.blobs["source.cu"] = source.text();
  return entry;
}

namespace {

/// The summary meta.json's fields describe (entries found through find(), or without an index).
std::optional<ModuleSummary> summary_from_meta(const cache::FoundEntry& entry,
                                               const std::shared_ptr<cache::Store>& store) try {
  const auto& meta = entry.meta;
  if (meta.value("engine_meta_version", 0) != k_engine_meta_version) {
    store->remove(entry.key);  // written by another jitcu: replace it, or put() would keep it
    return std::nullopt;
  }
  ModuleSummary summary;
  summary.source_name = meta.at("source_name").get<std::string>();
  summary.arch = meta.at("arch").get<std::string>();
  summary.image = meta.at("image").get<std::string>();
  summary.compile_ms = meta.at("compile_ms").get<double>();
  summary.name_expressions = meta.at("name_expressions").get<std::map<std::string, std::string>>();
  for (const auto& k : meta.at("kernels")) {
    KernelRecord record{k.at("symbol").get<std::string>(), k.at("name").get<std::string>(), {}};
    for (const auto& p : k.at("params")) {
      auto kind = kind_from_text(p.at("kind").get<std::string>());
      if (!kind) throw nlohmann::json::other_error::create(501, "unknown parameter kind", &p);
      record.params.push_back({p.at("size").get<std::uint32_t>(), *kind, p.at("ptx_type").get<std::string>()});
    }
    summary.kernels.push_back(std::move(record));
  }
  return summary;
} catch (const nlohmann::json::exception& error) {
  log().warn("cache entry {} has unreadable engine fields ({}); compiling again", entry.key.short_hex(),
             error.what());
  store->remove(entry.key);
  return std::nullopt;
}

/// A module of `summary` with the image `bytes` read from the store.
std::shared_ptr<ModuleState> loaded_module(const cache::Key& key, ModuleSummary summary, std::string bytes,
                                           std::string cache_dir, const std::shared_ptr<cache::Store>& store) {
  auto module = std::make_shared<ModuleState>();
  module->key = key;
  module->source_name = std::move(summary.source_name);
  module->arch = std::move(summary.arch);
  module->compile_ms = summary.compile_ms;
  module->name_expressions = std::move(summary.name_expressions);
  module->kernels = std::move(summary.kernels);
  module->image_is_ptx = summary.image == "program.ptx";
  module->image = std::move(bytes);
  if (module->image_is_ptx) {
    module->ptx_text = module->image;
    module->image.push_back('\0');
  }
  module->store = store;
  module->cache_dir = std::move(cache_dir);
  module->handles = std::make_unique<std::atomic<KernelHandle>[]>(module->kernels.size());
  return module;
}

std::shared_ptr<ModuleState> load_module(ModuleSummary summary, cache::FoundEntry&& entry,
                                         const std::shared_ptr<cache::Store>& store) {
  auto bytes = store->read_blob(entry, summary.image);
  if (!bytes) return nullptr;  // the store warned and dropped the entry: recompile
  auto module = loaded_module(entry.key, std::move(summary), std::move(*bytes), entry.dir, store);
  module->entry = std::move(entry);  // moved: a copy of its blob map and JSON is code a hit runs
  return module;
}

}  // namespace

std::shared_ptr<ModuleState> module_from_entry(cache::FoundEntry entry,
                                               const std::shared_ptr<cache::Store>& store) {
  if (std::optional<ModuleSummary> summary = decode_summary(entry.summary))
    return load_module(std::move(*summary), std::move(entry), store);
  if (entry.meta.is_null()) {  // a summary this jitcu cannot read, found without meta.json
    std::optional<cache::FoundEntry> full = store->find(entry.key);
    return full && !full->meta.is_null() ? module_from_entry(std::move(*full), store) : nullptr;
  }
  std::optional<ModuleSummary> summary = summary_from_meta(entry, store);
  return summary ? load_module(std::move(*summary), std::move(entry), store) : nullptr;
}

std::shared_ptr<ModuleState> module_from_blob(const cache::Key& key, cache::FoundBlob found,
                                              const std::string& image_name,
                                              const std::shared_ptr<cache::Store>& store) {
  std::optional<ModuleSummary> summary = decode_summary(found.summary);
  if (!summary || summary->image != image_name) return nullptr;
  auto module = loaded_module(key, std::move(*summary), std::move(found.bytes), std::move(found.dir), store);
  module->entry_deferred = true;
  return module;
}

std::string image_name_for(const std::string& arch) {
  return arch.rfind("sm_", 0) == 0 ? image_name(arch) : "program.ptx";
}

}  // namespace jitcu::detail
