#include "headers.hpp"

#include "file_stamp.hpp"
#include "regular_file.hpp"
#include "standard_headers.hpp"

#include <jitcu/cache/sha256.hpp>
#include <jitcu/error.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

/// What this process knows of one header, valid while its stat data is unchanged.
struct KnownHeader {
  FileStamp stamp;
  std::int64_t seen_ns = 0;  // when it was read
  std::string sha256;
  std::vector<IncludeLine> includes;
};

/// Where an #include line is: the file holding it and the line.
struct IncludeSite {
  const std::string* file;
  const IncludeLine* include;
};

[[noreturn]] void refuse_header(const IncludeSite& site, const std::filesystem::path& header, const std::string& why) {
  const std::string& file = *site.file;
  const IncludeLine& include = *site.include;
  const std::string directive = include.quoted ? fmt::format("#include \"{}\"", include.name)
                                               : fmt::format("#include <{}>", include.name);
  const std::string message = fmt::format("{}:{}: '{}' finds '{}', which jitcu cannot use: {}; NVRTC would block "
                                          "or fail reading it: make it a regular file or fix the include path",
                                          file, include.line, directive, header.string(), why);
  throw CompileError(message, file, "", {Diagnostic{file, static_cast<int>(include.line), "error", message}});
}

class HeaderMemo {
 public:
  // The header's hash and includes, from memory when its stat data says it is unchanged.
  std::optional<KnownHeader> get(const std::filesystem::path& path, const IncludeSite& site) {
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
    std::string why;
    const std::optional<std::string> read = read_regular_file(path.string(), why);
    if (!read) refuse_header(site, path, why);
    const std::string& text = *read;
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

/// How a candidate path for an #include is: absent (or a folder: looked past, as before), a
/// regular file, or something NVRTC would block on.
enum class Candidate { absent, file, special };

Candidate classify(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || S_ISDIR(info.st_mode)) return Candidate::absent;
  return S_ISREG(info.st_mode) ? Candidate::file : Candidate::special;
}

std::filesystem::path absolute_normal(const std::filesystem::path& path) {
  std::error_code ignored;
  return std::filesystem::absolute(path, ignored).lexically_normal();
}

}  // namespace

const HeaderText* memory_header(std::span<const HeaderText> headers, std::string_view name) {
  const auto it = std::find_if(headers.begin(), headers.end(), [&](const HeaderText& header) { return header.name == name; });
  return it == headers.end() ? nullptr : &*it;
}

std::vector<IncludeLine> include_lines(std::string_view text) {
  std::vector<IncludeLine> found;
  std::size_t line_start = 0;
  std::size_t line_number = 0;
  while (line_start < text.size()) {
    ++line_number;
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
    found.push_back({std::string(line.substr(i + 1, end - i - 1)), open == '"', line_number});
  }
  return found;
}

IncludedHeaders scan_headers(const Source& source, const IncludeSearch& search,
                             std::vector<std::filesystem::path>* missing) {
  IncludedHeaders included;
  std::set<std::string> visited;
  std::set<std::string> found_on_disk, standard_wanted;  // by the name include lines use
  struct Pending {
    std::string including_file;  // the source's name or a header's path, for messages
    std::filesystem::path including_dir;
    std::vector<IncludeLine> includes;
  };
  auto includes = include_lines(source.text());
  if (includes.empty()) return included;  // no path work at all: a cache hit's usual case
  std::vector<Pending> work{{source.name(), source.directory(), std::move(includes)}};
  while (!work.empty()) {
    Pending current = std::move(work.back());
    work.pop_back();
    for (const auto& include : current.includes) {
      if (const HeaderText* in_memory = memory_header(search.memory_headers, include.name)) {
        // Never looked for on disk; its own quoted includes look in its name's folder first.
        if (visited.insert("memory:" + in_memory->name).second)
          work.push_back({in_memory->name, std::filesystem::path(in_memory->name).parent_path(),
                          include_lines(in_memory->text)});
        continue;
      }
      const IncludeSite site{&current.including_file, &include};
      std::filesystem::path found;
      auto probe = [&](const std::filesystem::path& candidate) {
        switch (classify(candidate)) {
          case Candidate::file: found = candidate; return;
          case Candidate::absent:
            if (missing) missing->push_back(absolute_normal(candidate));
            return;
          case Candidate::special: refuse_header(site, absolute_normal(candidate), "it is " + special_file_kind(candidate.string()));
        }
      };
      if (include.quoted) probe(current.including_dir / include.name);
      for (const auto& dir : search.user_dirs) {
        if (!found.empty()) break;
        probe(std::filesystem::path(dir) / include.name);
      }
      // Not a user header: a standard one, a toolkit header (keyed by version) or one NVRTC
      // will report missing.
      if (found.empty()) {
        if (standard_header(include.name)) standard_wanted.insert(include.name);
        continue;
      }
      found_on_disk.insert(include.name);
      found = absolute_normal(found);
      if (!visited.insert(found.string()).second) continue;
      auto header = memo().get(found, site);
      if (!header) continue;
      included.on_disk.push_back({found, header->sha256});
      work.push_back({found.string(), found.parent_path(), header->includes});
    }
  }
  for (const std::string& name : standard_wanted)
    if (!found_on_disk.contains(name)) included.standard.push_back(standard_header(name));
  return included;
}

std::vector<HeaderText> headers_for_nvrtc(std::span<const HeaderText> given, const IncludedHeaders& included) {
  std::vector<HeaderText> headers(given.begin(), given.end());
  for (const HeaderText* standard : included.standard) headers.push_back(*standard);
  return headers;
}

}  // namespace jitcu::detail
