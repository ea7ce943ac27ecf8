#include "headers.hpp"

#include "file_stamp.hpp"

#include <jitcu/cache/sha256.hpp>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

namespace jitcu::detail {
namespace {

/// What this process knows of one header, valid while its stat data is unchanged.
struct KnownHeader {
  FileStamp stamp;
  std::int64_t seen_ns = 0;  // when it was read
  std::string sha256;
  std::vector<std::pair<std::string, bool>> includes;
};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class HeaderMemo {
 public:
  // The header's hash and includes, from memory when its stat data says it is unchanged.
  std::optional<KnownHeader> get(const std::filesystem::path& path) {
    const std::optional<FileStamp> stamp = FileStamp::of(path.string());
    if (!stamp || !stamp->regular) return std::nullopt;
    {
      std::lock_guard lock(mutex_);
      auto it = known_.find(path.string());
      if (it != known_.end() && it->second.stamp == *stamp && stamp->trusted_at(it->second.seen_ns))
        return it->second;
    }
    KnownHeader header;
    header.seen_ns = now_ns();
    const std::string text = read_text(path);
    header.stamp = *stamp;
    header.sha256 = cache::sha256_hex(text);
    header.includes = include_lines(text);
    std::lock_guard lock(mutex_);
    known_[path.string()] = header;
    return header;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, KnownHeader> known_;
};

HeaderMemo& memo() {
  static HeaderMemo instance;
  return instance;
}

bool exists_file(const std::filesystem::path& path) {
  std::error_code ignored;
  return std::filesystem::is_regular_file(path, ignored);
}

std::filesystem::path absolute_normal(const std::filesystem::path& path) {
  std::error_code ignored;
  return std::filesystem::absolute(path, ignored).lexically_normal();
}

}  // namespace

std::vector<std::pair<std::string, bool>> include_lines(std::string_view text) {
  std::vector<std::pair<std::string, bool>> found;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    std::size_t i = line.find_first_not_of(" \t");
    if (i == std::string_view::npos || line[i] != '#') continue;
    i = line.find_first_not_of(" \t", i + 1);
    if (i == std::string_view::npos || line.substr(i, 7) != "include") continue;
    i = line.find_first_not_of(" \t", i + 7);
    if (i == std::string_view::npos) continue;
    const char open = line[i];
    const char close = open == '"' ? '"' : open == '<' ? '>' : '\0';
    if (!close) continue;  // #include MACRO or #include_next: cannot be followed
    const std::size_t end = line.find(close, i + 1);
    if (end == std::string_view::npos) continue;
    found.emplace_back(std::string(line.substr(i + 1, end - i - 1)), open == '"');
  }
  return found;
}

std::vector<HeaderDependency> scan_headers(const Source& source, const IncludeSearch& search,
                                           std::vector<std::filesystem::path>* missing) {
  std::vector<HeaderDependency> dependencies;
  std::set<std::string> visited;
  struct Pending {
    std::filesystem::path including_dir;
    std::vector<std::pair<std::string, bool>> includes;
  };
  auto includes = include_lines(source.text());
  if (includes.empty()) return dependencies;  // no path work at all: a cache hit's usual case
  std::vector<Pending> work{{source.directory(), std::move(includes)}};
  while (!work.empty()) {
    Pending current = std::move(work.back());
    work.pop_back();
    for (const auto& [name, quoted] : current.includes) {
      std::filesystem::path found;
      auto probe = [&](const std::filesystem::path& candidate) {
        if (exists_file(candidate)) found = candidate;
        else if (missing) missing->push_back(absolute_normal(candidate));
      };
      if (quoted) probe(current.including_dir / name);
      for (const auto& dir : search.user_dirs) {
        if (!found.empty()) break;
        probe(std::filesystem::path(dir) / name);
      }
      // Not a user header: a toolkit header (keyed by version) or one NVRTC will report missing.
      if (found.empty()) continue;
      found = absolute_normal(found);
      if (!visited.insert(found.string()).second) continue;
      auto header = memo().get(found);
      if (!header) continue;
      dependencies.push_back({found, header->sha256});
      work.push_back({found.parent_path(), header->includes});
    }
  }
  return dependencies;
}

}  // namespace jitcu::detail
