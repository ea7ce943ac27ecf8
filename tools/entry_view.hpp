#pragma once
// Reading a cache entry's record for display.
#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/key.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace jitcu::tool {

using cache::KernelResources;

/// One kernel as an entry records it.
struct KernelView {
  std::string symbol;
  std::string name;                 // readable: "scale<float>", "jitcu_kernels::affine"
  std::vector<std::string> params;  // "ptr", "u32", "f32", "b8[12]"
  std::optional<KernelResources> resources;
};

/// The kernels an entry records, in its order.
std::vector<KernelView> kernels_of(const cache::EntryRecord& record);
/// Their readable names, sorted.
std::vector<std::string> kernel_names(const cache::EntryRecord& record);
/// The key record an entry was made from.
cache::KeyRecord key_record_of(const cache::EntryRecord& record);
/// One field of a record; nullopt when the record has none of that name (the first of several).
std::optional<std::string> field_value(const cache::KeyRecord& record, std::string_view name);
/// Every value of the fields called `name`, in order ("macro", "option", "header").
std::vector<std::string> field_values(const cache::KeyRecord& record, std::string_view name);
/// When the entry was written.
std::chrono::system_clock::time_point created_time(const cache::EntryRecord& record);

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
cache::ListedEntry find_by_prefix(cache::DiskTier* disk, std::string_view prefix);

}  // namespace jitcu::tool
