#pragma once
// A compiled module to and from a cache entry: the record's fields and the blobs.
#include "module_state.hpp"
#include "nvrtc.hpp"

#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/key.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <memory>

namespace jitcu::detail {

/// The module a fresh NVRTC (or nvJitLink) output describes.
std::shared_ptr<ModuleState> module_from_output(const cache::Key& key, std::string source_name, const std::string& arch,
                                                NvrtcOutput output);
/// The cache entry for a freshly compiled module: its record (with the key's fields, for
/// `cache explain`) and its blobs (PTX, cubin, NVRTC's log, the source).
cache::Entry entry_from_module(const ModuleState& module, const std::string& source_text,
                               const cache::KeyRecord& key_record);
/// The module a cache hit holds; nullptr when the entry lacks its image (a miss).
std::shared_ptr<ModuleState> module_from_entry(cache::Entry entry, std::shared_ptr<cache::TieredStore> store);
/// The blob a compile for `arch` loads: "sm_90.cubin", or "program.ptx" for compute_XY.
std::string image_name_for(const std::string& arch);

}  // namespace jitcu::detail
