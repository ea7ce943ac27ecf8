#include <jitcu/cache/path_text.hpp>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <vector>

namespace jitcu::path_text {
namespace {

// libstdc++ leaves a path of separators only ("//") as it is; so do these.
bool only_separators(std::string_view path) { return path.find_first_not_of('/') == std::string_view::npos; }

// True when the normal form is `path` itself: no empty, "." or ".." name (a trailing separator
// stays in the normal form). Most paths are; they skip the general algorithm.
bool already_normal(std::string_view path) {
  std::size_t at = path.front() == '/' ? 1 : 0;
  while (at < path.size()) {
    const std::size_t end = std::min(path.find('/', at), path.size());
    const std::string_view name = path.substr(at, end - at);
    if (name.empty() || name == "." || name == "..") return false;
    at = end + 1;
  }
  return true;
}

}  // namespace

std::string join(std::string_view dir, std::string_view name) {
  std::string path;
  path.reserve(dir.size() + 1 + name.size());
  path += dir;
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

std::string absolute(std::string path) {
  if (!path.empty() && path.front() == '/') return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return join(cwd, path);
}

std::string parent(std::string_view path) {
  if (!path.empty() && only_separators(path)) return std::string(path);
  const std::size_t last = path.rfind('/');
  if (last == std::string_view::npos) return {};
  std::string_view before = path.substr(0, last);
  while (!before.empty() && before.back() == '/') before.remove_suffix(1);
  if (before.empty()) return "/";  // the parent of "/a" is the root
  return std::string(before);
}

// The standard's normal form ([fs.path.generic]) for POSIX paths, which have no root name.
std::string lexically_normal(std::string_view path) {
  if (path.empty() || only_separators(path) || already_normal(path)) return std::string(path);
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> names;
  bool trailing_separator = false;  // the result names a directory: "a/" of "a/." or "a/b/.."
  std::size_t at = 0;
  while (at < path.size()) {
    const std::size_t end = std::min(path.find('/', at), path.size());
    const std::string_view name = path.substr(at, end - at);
    at = end + 1;
    if (name.empty()) continue;  // a repeated separator
    if (name == ".") {
      trailing_separator = true;
    } else if (name == "..") {
      if (!names.empty() && names.back() != "..") {
        names.pop_back();
        trailing_separator = true;
      } else if (!rooted) {
        names.push_back(name);
        trailing_separator = false;
      }  // else ".." at the root stays at the root
    } else {
      names.push_back(name);
      trailing_separator = end < path.size();  // the path goes on, with separators only
    }
  }
  std::string normal = rooted ? "/" : "";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) normal += '/';
    normal += names[i];
  }
  if (names.empty()) return rooted ? normal : ".";
  if (trailing_separator && names.back() != "..") normal += '/';  // step 7: "../." is ".."
  return normal;
}

}  // namespace jitcu::path_text
