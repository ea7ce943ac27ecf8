#include "pch_store.hpp"

#include "toolkit.hpp"

#include <jitcu/cache/key.hpp>
#include <jitcu/cache/sha256.hpp>
#include <jitcu/base/log.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t k_default_pch_limit_bytes = 1ull << 30;  // a CUB PCH is ~180 MB: five of them
constexpr auto k_abandoned_after = std::chrono::hours(1);        // no PCH takes an hour to make
constexpr std::string_view k_temp_marker = ".tmp-";             // "<file>.tmp-<pid>" while NVRTC writes it
constexpr std::string_view k_lock_suffix = ".lock";
// The cache's own permissions: a PCH is parsed code that this user's compiles trust.
constexpr fs::perms k_folder_permissions = fs::perms::owner_all;
constexpr fs::perms k_file_permissions = fs::perms::owner_read | fs::perms::owner_write;

// Reads a source's logical lines (backslash-newlines joined) with comments blanked, one at a
// time, so scanning stops at the header stop point without reading the rest.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  std::optional<std::string> next() {
    if (at_ >= text_.size()) return std::nullopt;
    std::string line;
    char quote = 0;
    while (at_ < text_.size()) {
      const char c = text_[at_++];
      const char after = at_ < text_.size() ? text_[at_] : '\0';
      if (c == '\\' && after == '\n') {
        ++at_;
        continue;
      }
      if (in_block_comment_) {
        if (c == '*' && after == '/') {
          in_block_comment_ = false;
          ++at_;
          line += ' ';
        }
        if (c == '\n') return line;
        continue;
      }
      if (c == '\n') return line;
      if (quote) {
        line += c;
        if (c == '\\' && after != '\n' && at_ < text_.size()) line += text_[at_++];
        else if (c == quote) quote = 0;
        continue;
      }
      if (c == '/' && after == '/') {
        skip_to_line_end();
        return line;
      }
      if (c == '/' && after == '*') {
        in_block_comment_ = true;
        ++at_;
        continue;
      }
      if (c == '"' || c == '\'') quote = c;
      line += c;
    }
    return line;
  }

 private:
  void skip_to_line_end() {
    while (at_ < text_.size()) {
      const char c = text_[at_++];
      if (c == '\\' && at_ < text_.size() && text_[at_] == '\n') ++at_;
      else if (c == '\n') return;
    }
  }
  std::string_view text_;
  std::size_t at_ = 0;
  bool in_block_comment_ = false;
};

// One space for every run of blanks, none at the ends.
std::string squeeze(const std::string& line) {
  std::string out;
  for (char c : line) {
    const bool blank = c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out += blank ? ' ' : c;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "# if x" -> "if".
std::string directive_name(const std::string& directive) {
  std::size_t at = 1;
  while (at < directive.size() && directive[at] == ' ') ++at;
  std::size_t end = at;
  while (end < directive.size() && (std::isalnum(static_cast<unsigned char>(directive[end])) || directive[end] == '_')) ++end;
  return directive.substr(at, end - at);
}

// What NVRTC said about the PCH file in its log (--pch-messages).
struct PchMessages {
  bool used = false;
  std::string trouble;  // NVRTC's words when it could not use the file
};

// Takes NVRTC's PCH lines (and the remark a PCH warning drags along) out of `log`, so users
// see their own diagnostics only, and reads them.
PchMessages take_pch_messages(std::string& log) {
  PchMessages found;
  std::istringstream lines(log);
  std::vector<std::string> kept;
  bool after_trouble = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("precompiled header") != std::string::npos) {
      if (line.find(": using precompiled header file \"") != std::string::npos) found.used = true;
      else if (line.find(": creating precompiled header file \"") == std::string::npos) {
        if (found.trouble.empty()) found.trouble = line;
        after_trouble = true;
      }
      continue;
    }
    if (after_trouble && (line.empty() || line.starts_with("Remark: The warnings can be suppressed"))) continue;
    after_trouble = false;
    kept.push_back(std::move(line));
  }
  while (!kept.empty() && kept.back().empty()) kept.pop_back();
  log = fmt::format("{}", fmt::join(kept, "\n"));
  return found;
}

NvrtcInput with_pch_options(const NvrtcInput& input, const std::string& file_option) {
  NvrtcInput changed = input;
  changed.precompiled_headers = false;
  changed.pch_file.clear();
  if (!file_option.empty()) {
    // Both are NVRTC's defaults; named so that a changed default cannot split makers from users.
    for (const char* option : {"--pch-messages=true", "--instantiate-templates-in-pch=true"}) changed.options.push_back(option);
    changed.options.push_back(file_option);
  }
  return changed;
}

NvrtcOutput without_pch(const NvrtcInput& input, std::string why) {
  auto output = nvrtc_compile(with_pch_options(input, ""));
  output.pch = PchUse::skipped;
  output.pch_detail = std::move(why);
  return output;
}

// An rc from a compile that used `file` that a compile without it would not have had.
bool failed_because_of_pch(const NvrtcOutput& output) {
  return output.pch == PchUse::rejected && !output.ok && !output.cancelled;
}

NvrtcOutput compile_using(const NvrtcInput& input, const fs::path& file) {
  auto output = nvrtc_compile(with_pch_options(input, "--use-pch=" + file.string()));
  const auto messages = take_pch_messages(output.log);
  std::error_code ignored;
  if (messages.used && messages.trouble.empty()) {
    fs::last_write_time(file, fs::file_time_type::clock::now(), ignored);  // the size cap evicts by last use
    output.pch = PchUse::used;
    output.pch_detail = file.string();
    return output;
  }
  if (messages.trouble.empty() && !output.ok) {  // stopped before the header stop point
    output.pch = PchUse::skipped;
    output.pch_detail = "the compile failed before reaching the end of its #include lines";
    return output;
  }
  fs::remove(file, ignored);  // the next compile of these headers makes it again
  output.pch = PchUse::rejected;
  output.pch_detail = fmt::format("{}: {}", file.string(),
                                  messages.trouble.empty() ? "NVRTC did not say it used it" : messages.trouble);
  return output;
}

NvrtcOutput compile_creating(const NvrtcInput& input, const fs::path& file) {
  const fs::path temp = fmt::format("{}{}{}", file.string(), k_temp_marker, getpid());
  auto output = nvrtc_compile(with_pch_options(input, "--create-pch=" + temp.string()));
  const auto messages = take_pch_messages(output.log);
  std::error_code ec;
  if (!output.ok && !output.cancelled && !messages.trouble.empty()) {  // e.g. pch/ removed meanwhile
    fs::remove(temp, ec);
    return without_pch(input, fmt::format("could not write {}: {}", temp.string(), messages.trouble));
  }
  if (output.ok && output.pch == PchUse::created && fs::file_size(temp, ec) > 0 && !ec) {
    fs::permissions(temp, k_file_permissions, ec);  // NVRTC made it with the umask's
    fs::rename(temp, file, ec);
    if (!ec) {
      output.pch_detail = file.string();
      prune_pch_folder(file.parent_path(), pch_limit_bytes());
      return output;
    }
  }
  fs::remove(temp, ec);
  if (output.pch_detail.empty())
    output.pch_detail = output.ok ? "NVRTC made no PCH file for these headers" : "the compile failed";
  output.pch = PchUse::skipped;
  return output;
}

// Only one worker, in any process, makes a given PCH file at a time; the others compile
// without it meanwhile. flock: a worker killed while making one leaves no lock behind.
class CreationLock {
 public:
  explicit CreationLock(std::string path) : path_(std::move(path)) {
    fd_ = open(path_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) {
      trouble_ = fmt::format("cannot open {}: {}", path_, std::strerror(errno));
      return;
    }
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~CreationLock() {
    if (fd_ < 0) return;
    unlink(path_.c_str());  // whoever opened it meanwhile checks for the PCH file after locking
    close(fd_);
  }
  CreationLock(const CreationLock&) = delete;
  CreationLock& operator=(const CreationLock&) = delete;
  bool held() const { return fd_ >= 0; }
  /// Why the lock file could not be opened (the folder was removed, ...); "" when it could.
  const std::string& trouble() const { return trouble_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::string trouble_;
};

// A temporary file whose writer is gone, or a lock file left for an hour.
bool is_abandoned(const std::string& name, fs::file_time_type written, fs::file_time_type now) {
  if (now - written > k_abandoned_after) return name.find(k_temp_marker) != std::string::npos || name.ends_with(k_lock_suffix);
  const auto marker = name.rfind(k_temp_marker);
  if (marker == std::string::npos) return false;
  const int pid = std::atoi(name.c_str() + marker + k_temp_marker.size());
  return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

std::uint64_t pch_limit_bytes() {
  const char* text = std::getenv("JITCU_PCH_MAX_SIZE");
  if (!text || !*text) return k_default_pch_limit_bytes;
  if (auto bytes = cache::parse_size(text)) return *bytes;
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true))
    log().warn("JITCU_PCH_MAX_SIZE='{}' is not a size (e.g. 512M, 2G, 1073741824); using 1G", text);
  return k_default_pch_limit_bytes;
}

void make_pch_folder(const fs::path& folder) {
  std::error_code ignored;
  fs::create_directories(folder, ignored);
  // Also a folder an older jitcu made 0755; one of another user's stays as it is.
  struct stat info {};
  if (::stat(folder.c_str(), &info) == 0 && info.st_uid == ::geteuid() && (info.st_mode & 077) != 0)
    fs::permissions(folder, k_folder_permissions, ignored);
}

fs::path worker_pch_folder(const fs::path& cache_dir) {
  // In memory-only mode, a folder of its own: the automatic PCH files of this process are not
  // the workers' to prune.
  const fs::path folder = cache_dir.empty() ? process_pch_folder() / "workers" : cache_dir / "pch";
  make_pch_folder(folder);
  return folder;
}

std::string header_prefix(std::string_view text) {
  std::string prefix;
  int open_conditionals = 0;
  bool includes = false;
  LineReader reader(text);
  while (auto line = reader.next()) {
    std::string directive = squeeze(*line);
    if (directive.empty()) continue;
    if (directive.front() != '#') break;  // the header stop point
    const std::string name = directive_name(directive);
    if (name == "if" || name == "ifdef" || name == "ifndef") ++open_conditionals;
    else if (name == "endif") --open_conditionals;
    else if (name == "include") includes = true;
    prefix += directive;
    prefix += '\n';
  }
  return open_conditionals == 0 && includes ? prefix : std::string();
}

std::string persistent_pch_stem(const fs::path& folder, std::string_view text, const std::vector<std::string>& nvrtc_options,
                                const std::vector<HeaderDependency>& headers, std::span<const HeaderText> memory_headers) {
  const std::string prefix = header_prefix(text);
  if (prefix.empty() || folder.empty()) return {};
  cache::KeyRecord record;
  record.add("pch_format", "1");
  record.add("nvrtc", toolkit().nvrtc_identity);
  record.add("toolkit", toolkit().root);
  record.add("options", fmt::format("{}", fmt::join(nvrtc_options, "\n")));
  record.add("header_prefix", prefix);
  // Every user header, not only those the prefix reaches: scanning is conservative, and an
  // edited one must never meet a PCH made from its old text (NVRTC does not check).
  for (const auto& header : headers) record.add("header " + header.path.string(), header.sha256);
  for (const auto& header : memory_headers) record.add("memory_header " + header.name, cache::sha256_hex(header.text));
  return (folder / record.key().hex()).string();
}

NvrtcOutput compile_with_persistent_pch(const NvrtcInput& input) {
  const std::string& layout = pch_address_layout();
  if (layout.empty())
    return without_pch(input, "address space randomization is on in this worker (personality(ADDR_NO_RANDOMIZE) "
                              "was refused), so another process could not load its PCH files");
  const fs::path file = fmt::format("{}-{}.pch", input.pch_file, layout);
  std::error_code ec;
  std::string rejected;
  if (fs::exists(file, ec)) {
    auto output = compile_using(input, file);
    if (!failed_because_of_pch(output)) return output;
    rejected = output.pch_detail;
  }
  make_pch_folder(file.parent_path());  // removing pch/ (or cache clear) is allowed at any time
  CreationLock lock(file.string() + std::string(k_lock_suffix));
  if (!lock.trouble().empty()) return without_pch(input, lock.trouble());
  if (!lock.held()) return without_pch(input, fmt::format("another worker is making {}", file.string()));
  if (rejected.empty() && fs::exists(file, ec)) {  // made while this one looked
    auto output = compile_using(input, file);
    if (!failed_because_of_pch(output)) return output;
    rejected = output.pch_detail;
  }
  auto output = compile_creating(input, file);
  if (rejected.empty()) return output;
  output.pch_detail = fmt::format("{}; {}", rejected,
                                  output.pch == PchUse::created ? "replaced it" : "could not replace it: " + output.pch_detail);
  output.pch = PchUse::rejected;
  return output;
}

void report_pch_use(const std::string& source_name, const NvrtcOutput& output) {
  static std::atomic<bool> told_rejection{false};
  switch (output.pch) {
    case PchUse::none: return;
    case PchUse::used: log().debug("{}: used the precompiled header {}", source_name, output.pch_detail); return;
    case PchUse::created: log().debug("{}: made the precompiled header {}", source_name, output.pch_detail); return;
    case PchUse::skipped: log().debug("{}: no precompiled header: {}", source_name, output.pch_detail); return;
    case PchUse::rejected:
      if (told_rejection.exchange(true)) {
        log().debug("{}: NVRTC rejected the precompiled header {}", source_name, output.pch_detail);
        return;
      }
      log().info("{}: NVRTC rejected the precompiled header {}; compiled without it (the next compile of these headers "
                 "makes a new one). Later rejections are logged at debug level",
                 source_name, output.pch_detail);
      return;
  }
}

void forget_pch(const std::string& stem) {
  if (stem.empty()) return;
  const fs::path path(stem);
  const std::string prefix = path.filename().string() + "-";
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(path.parent_path(), ec)) {
    const std::string name = item.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(".pch")) fs::remove(item.path(), ec);
  }
}

void prune_pch_folder(const fs::path& folder, std::uint64_t limit_bytes) {
  struct File {
    fs::path path;
    fs::file_time_type used;
    std::uint64_t bytes;
  };
  std::vector<File> files;
  std::uint64_t total = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& item : fs::directory_iterator(folder, ec)) {
    std::error_code item_ec;
    if (item.is_directory(item_ec)) {
      fs::remove(item.path(), item_ec);  // an emptied folder of older jitcu's automatic PCH files
      continue;
    }
    if (!item.is_regular_file(item_ec)) continue;
    const std::string name = item.path().filename().string();
    const auto written = item.last_write_time(item_ec);
    const std::uint64_t bytes = item.file_size(item_ec);
    if (item_ec) continue;
    if (is_abandoned(name, written, now)) {
      fs::remove(item.path(), item_ec);
      continue;
    }
    total += bytes;  // a file being written counts, but only finished ones are evicted
    if (name.ends_with(".pch")) files.push_back({item.path(), written, bytes});
  }
  if (total <= limit_bytes) return;
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) { return a.used < b.used; });
  for (const auto& file : files) {
    if (total <= limit_bytes) break;
    if (fs::remove(file.path, ec)) total -= file.bytes;
  }
  log().debug("pruned precompiled headers in {} to {} bytes (JITCU_PCH_MAX_SIZE: {} bytes)", folder.string(), total,
              limit_bytes);
}

}  // namespace jitcu::detail
