#pragma once
// Private: meta.json, an entry's record written out for people and `jitcu cache show --json`.
// Nothing reads it back to load a kernel.
#include <jitcu/cache/entry.hpp>

#include <string>

namespace jitcu::cache::detail {

/// The record as indented JSON.
std::string meta_json_text(const EntryRecord& record);

}  // namespace jitcu::cache::detail
