#pragma once
// The Redis tier as `jitcu info` and `jitcu cache stats` show it (cache_remote.cpp).
#include "command.hpp"

#include <nlohmann/json_fwd.hpp>

namespace jitcu::tool {

/// The Redis tier JITCU_REMOTE_CACHE names: {"remote", "answers", "ping_us" or "problem", and
/// when it answers "entries", "total_size_bytes" and the fleet's "stats"}; null when none is set.
nlohmann::json remote_status();

/// remote_status() as text lines, each label padded to `label_width`; nothing for null.
void print_remote_status(const nlohmann::json& status, int label_width);

/// `jitcu cache ls --remote`: the tier's status and every entry it holds for this namespace,
/// as `jitcu cache remote --ls` prints them. ToolError when no remote cache is set.
Exit list_remote_entries(bool json);

}  // namespace jitcu::tool
