#pragma once
// Paths as plain strings, for the cache-hit path: std::filesystem's first use in a process
// costs more than the rest of a hit's path work together (its code pages fault in, measured in
// docs/performance.md). Each function does what the std::filesystem operation named does.
#include <string>
#include <string_view>

namespace jitcu::path_text {

/// `dir` + "/" + `name` with no doubled separator: path(dir) / name (name relative).
std::string join(std::string_view dir, std::string_view name);
/// std::filesystem::absolute: against the current directory, not normalized; unchanged if the
/// current directory cannot be read.
std::string absolute(std::string path);
/// path(path).parent_path(): "/a/b.cu" -> "/a", "/a" -> "/", "b.cu" -> "".
std::string parent(std::string_view path);
/// path(path).lexically_normal(): "." and "x/.." folded, separators single; "a/./" -> "a/".
std::string lexically_normal(std::string_view path);

}  // namespace jitcu::path_text
