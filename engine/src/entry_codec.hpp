#pragma once
// A compiled module to and from a cache entry (meta.json fields and blobs).
#include "headers.hpp"
#include "module_state.hpp"
#include "nvrtc.hpp"
#include "prepared_options.hpp"

#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/key.hpp>
#include <jitcu/source.hpp>

#include <memory>
#include <optional>

namespace jitcu::detail {

/// Bumped when the engine's meta.json fields change; an entry of another version is a miss.
constexpr int k_engine_meta_version = 1;

/// The key record of a compile: every input that can change its result.
cache::KeyRecord make_key_record(const Source& source, const PreparedOptions& options,
                                 const std::vector<std::string>& name_expressions,
                                 const std::vector<HeaderDependency>& headers);

/// The module a fresh NVRTC output describes.
std::shared_ptr<ModuleState> module_from_output(const cache::Key& key, const Source& source,
                                                const PreparedOptions& options, NvrtcOutput output);
/// The cache entry for a freshly compiled module.
cache::NewEntry entry_from_module(const ModuleState& module, const Source& source,
                                  const PreparedOptions& options, const cache::KeyRecord& record,
                                  const std::vector<HeaderDependency>& headers);
/// The module a cache entry holds, from its summary (find_quick) or its meta.json (find);
/// nullptr when the entry is unusable (a miss).
std::shared_ptr<ModuleState> module_from_entry(cache::FoundEntry entry,
                                               const std::shared_ptr<cache::Store>& store);
/// The module of a cache hit read with Store::find_blob; nullptr when its summary is not one
/// this jitcu reads or names an image other than `image_name` (then go through find_quick).
std::shared_ptr<ModuleState> module_from_blob(const cache::Key& key, cache::FoundBlob found,
                                              const std::string& image_name,
                                              const std::shared_ptr<cache::Store>& store);
/// The blob a compile for `arch` loads: "sm_90.cubin", or "program.ptx" for compute_XY.
std::string image_name_for(const std::string& arch);

}  // namespace jitcu::detail
