#include "meta_json.hpp"

#include "posix_io.hpp"

#include <nlohmann/json.hpp>

namespace jitcu::cache::detail {
namespace {

constexpr const char* k_param_kinds[] = {"integer", "floating", "pointer", "bytes"};

nlohmann::json kernel_json(const KernelRecord& kernel) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& p : kernel.params)
    params.push_back({{"size", p.size_bytes}, {"kind", p.kind < 4 ? k_param_kinds[p.kind] : "unknown"}, {"ptx_type", p.ptx_type}});
  nlohmann::json item = {{"symbol", kernel.symbol}, {"name", kernel.name}, {"params", params}};
  if (const auto& r = kernel.resources)
    item["resources"] = {{"registers", r->registers}, {"spill_store_bytes", r->spill_store_bytes},
                         {"spill_load_bytes", r->spill_load_bytes}, {"stack_frame_bytes", r->stack_frame_bytes},
                         {"shared_bytes", r->shared_bytes}};
  return item;
}

}  // namespace

std::string meta_json_text(const EntryRecord& record) {
  nlohmann::json meta;
  meta["key"] = record.key.hex();
  meta["created"] = iso8601_utc(from_unix_ns(record.created_unix_ns));
  meta["source_name"] = record.source_name;
  meta["arch"] = record.arch;
  meta["image"] = record.image;
  meta["compile_ms"] = record.compile_ms;
  meta["name_expressions"] = record.name_expressions;
  auto& kernels = meta["kernels"] = nlohmann::json::array();
  for (const auto& kernel : record.kernels) kernels.push_back(kernel_json(kernel));
  auto& blobs = meta["blobs"] = nlohmann::json::object();
  for (const auto& blob : record.blobs) blobs[blob.name] = {{"size", blob.size_bytes}, {"xxh3", blob.xxh3}};
  auto& fields = meta["key_record"] = nlohmann::json::array();
  for (const auto& [name, value] : record.key_fields) fields.push_back({name, value});
  // Invalid UTF-8 (a source name from a strange file system) becomes U+FFFD instead of throwing.
  return meta.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace jitcu::cache::detail
