#pragma once
// Reading a cache entry's engine fields (meta.json) for display; tolerant of missing fields.
#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/key.hpp>
#include <jitcu/cache/store.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace jitcu::tool {

/// What ptxas reported for one kernel (meta.json "kernels[].resources").
struct KernelResources {
  long long registers = 0;
  long long spill_store_bytes = 0;
  long long spill_load_bytes = 0;
  long long stack_frame_bytes = 0;
  long long shared_bytes = 0;  // static shared memory
};

/// One kernel as an entry records it.
struct KernelView {
  std::string symbol;
  std::string name;                 // readable: "scale<float>", "jitcu_kernels::affine"
  std::vector<std::string> params;  // "ptr", "u32", "f32", "b8[12]"
  std::optional<KernelResources> resources;
};

/// A string field of meta.json; "" when missing or not a string.
std::string meta_text(const nlohmann::json& meta, std::string_view field);
/// The kernels an entry records, in its order.
std::vector<KernelView> kernels_of(const nlohmann::json& meta);
/// Their readable names, sorted.
std::vector<std::string> kernel_names(const nlohmann::json& meta);
/// The key record an entry was made from ("key_record" in meta.json); nullopt if absent.
std::optional<cache::KeyRecord> key_record_of(const nlohmann::json& meta);
/// One field of a record; nullopt when the record has none of that name.
std::optional<std::string> field_value(const cache::KeyRecord& record, std::string_view name);

/// The kernel's parameter list: "(ptr, ptr, u32)".
std::string param_list(const KernelView& kernel);
/// A table of the kernels and their registers, spills, static shared memory and stack frame;
/// with parameter lists when `with_params`.
std::string kernel_table(const std::vector<KernelView>& kernels, std::size_t indent, bool with_params);
/// Kernels as JSON: [{symbol, name, params, resources}].
nlohmann::json kernels_json(const std::vector<KernelView>& kernels);

/// True for 4 to 64 hex digits: what `cache show` and friends accept as a key prefix.
bool is_key_prefix(std::string_view text);
/// The one listed entry whose key starts with `prefix` (any case). Throws ToolError when none
/// or several do, listing candidates or saying how to list keys.
cache::FoundEntry find_by_prefix(cache::Store& store, std::string_view prefix);

}  // namespace jitcu::tool
