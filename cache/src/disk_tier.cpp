#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/base/log.hpp>
#include <jitcu/cache/record.hpp>
#include <jitcu/cache/signature.hpp>

#include "fast_checksum.hpp"
#include "file_lock.hpp"
#include "meta_json.hpp"
#include "posix_io.hpp"
#include "size_ledger.hpp"
#include "staging_dir.hpp"
#include "stats_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace jitcu::cache {
namespace fs = std::filesystem;
using namespace detail;

namespace {

constexpr const char* k_entries_dir = "entries";
constexpr const char* k_tmp_dir = "tmp";
constexpr const char* k_locks_dir = "locks";
constexpr const char* k_size_file = "size";
constexpr const char* k_size_lock_file = "size.lock";
constexpr const char* k_cachedir_tag_file = "CACHEDIR.TAG";
constexpr const char* k_stats_file = "stats";
constexpr const char* k_stats_lock_file = "stats.lock";
// The compile workers' precompiled headers (engine/src/pch_store.cpp): "<64 hex>-<layout>.pch",
// made as "<name>.tmp-<pid>" under the lock "<name>.lock". Under the cache's cap with the entries.
constexpr const char* k_pch_dir = "pch";
// https://bford.info/cachedir/: backup and sync tools skip a folder holding this file.
constexpr std::string_view k_cachedir_tag =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by jitcu (run-time CUDA kernel cache).\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n";
constexpr std::size_t k_shard_hex_digits = 2;        // 256 shard folders
constexpr std::size_t k_lock_stripe_hex_digits = 3;  // at most 4096 lock files
// A leftover in tmp/ whose owner still runs is removed only after this long.
constexpr auto k_stale_tmp_age = std::chrono::hours(1);
// A crash between publish and the ledger update leaves <root>/size low; a full scan this
// often bounds that drift.
constexpr auto k_rescan_interval = std::chrono::hours(24);
// Last use is recorded to this resolution: a hit on an entry used less than this long ago
// leaves its folder as it is (a metadata write on every hit cost more than the rest of the
// lookup on the H100 host, and more on network file systems).
constexpr auto k_use_resolution = std::chrono::seconds(60);
// put() evicts to this share of the cap, so the puts right after do not rescan at once.
constexpr std::uint64_t k_evict_target_percent = 90;
constexpr int k_publish_attempts = 4;  // each retry follows a damaged or vanished entry
constexpr std::uint64_t k_record_max_bytes = 64ull << 20;  // far above any real record
constexpr const char* k_record_file = "record";
constexpr const char* k_meta_file = "meta.json";  // for people: never read
constexpr const char* k_signature_file = "signature";  // in a shared folder: HMAC of the entry
// Written into a new or empty folder only: jitcu works in (and cleans, prunes, clears) a folder
// that holds it, and never takes over one that does not.
constexpr const char* k_marker_file = ".jitcu-cache";
constexpr std::string_view k_marker_text =
    "This folder is a jitcu kernel cache (format 1). jitcu removes only what it made here.\n";
// What a folder made by a jitcu from before the marker holds; such a folder is adopted.
constexpr std::string_view k_legacy_names[] = {"CACHEDIR.TAG", "size", "entries", "tmp", "locks", "pch"};

using Clock = std::chrono::system_clock;

/// An entry folder, or a precompiled-header file, as seen by a scan: what eviction and
/// listings need.
struct StoredEntry {
  Key key;                       // none for a PCH file
  fs::path dir;                  // a PCH file's own path
  std::uint64_t size_bytes = 0;  // all files of the entry
  Clock::time_point last_used;   // the folder's mtime, bumped by a hit (get); a PCH's, bumped by its users
  bool pch = false;
};

/// Bytes of entries and of precompiled headers, kept apart: <root>/size counts entries only.
struct Totals {
  std::uint64_t entry_bytes = 0;
  std::uint64_t pch_bytes = 0;
  std::uint64_t all() const { return entry_bytes + pch_bytes; }
  void take_away(const StoredEntry& item) {
    std::uint64_t& bytes = item.pch ? pch_bytes : entry_bytes;
    bytes -= std::min(bytes, item.size_bytes);
  }
};

/// An entry moved into tmp/, to be deleted once the ledger lock is released.
struct Retired {
  fs::path trash;
  std::uint64_t size_bytes = 0;
};

class DiskKeyLock final : public KeyLock {
 public:
  explicit DiskKeyLock(FileLock lock) : lock_(std::move(lock)) {}

 private:
  FileLock lock_;
};

class NoopKeyLock final : public KeyLock {};

std::uint64_t folder_size(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
      total += static_cast<std::uint64_t>(info.st_size);
    }
  }
  return total;
}

/// Every entry folder; folders that cannot be listed go to `unreadable` (when given).
std::vector<StoredEntry> scan_entries(const fs::path& entries_dir,
                                      std::vector<std::pair<fs::path, std::string>>* unreadable = nullptr) {
  std::vector<StoredEntry> found;
  std::error_code error;
  fs::directory_iterator shard(entries_dir, error), end;
  if (error && error != std::errc::no_such_file_or_directory && unreadable)
    unreadable->emplace_back(entries_dir, error.message());
  for (; !error && shard != end; shard.increment(error)) {
    const std::string shard_name = shard->path().filename().string();
    if (shard_name.size() != k_shard_hex_digits || !is_lower_hex(shard_name)) continue;
    std::error_code inner;
    fs::directory_iterator it(shard->path(), inner);
    if (inner && unreadable) unreadable->emplace_back(shard->path(), inner.message());
    for (; !inner && it != end; it.increment(inner)) {
      const std::string name = it->path().filename().string();
      const std::optional<Key> key = Key::from_hex(name);
      if (!key || key->hex() != name || name.compare(0, k_shard_hex_digits, shard_name) != 0) {
        continue;  // not ours: left alone
      }
      struct stat info {};
      if (::lstat(it->path().c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) continue;
      found.push_back(StoredEntry{*key, it->path(), folder_size(it->path()),
                                  to_time_point(info.st_mtim)});
    }
  }
  return found;
}

void sort_least_recently_used_first(std::vector<StoredEntry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const StoredEntry& a, const StoredEntry& b) {
    if (a.last_used != b.last_used) return a.last_used < b.last_used;
    return a.key < b.key;
  });
}

Totals totals_of(const std::vector<StoredEntry>& stored) {
  Totals totals;
  for (const StoredEntry& item : stored) (item.pch ? totals.pch_bytes : totals.entry_bytes) += item.size_bytes;
  return totals;
}

/// "<64 hex>-": how every file a worker makes in pch/ begins.
bool has_pch_key_prefix(std::string_view name) {
  constexpr std::size_t key_digits = 64;
  return name.size() > key_digits + 1 && is_lower_hex(name.substr(0, key_digits)) && name[key_digits] == '-';
}

/// A finished precompiled header; `work_files` also its lock and temporary files.
bool is_pch_file(std::string_view name, bool work_files) {
  if (!has_pch_key_prefix(name)) return false;
  if (name.ends_with(".pch")) return true;
  return work_files && (name.ends_with(".pch.lock") || name.find(".pch.tmp-") != std::string_view::npos);
}

/// The regular files of pch/ that jitcu made (see k_pch_dir): finished ones, or with
/// `work_files` also lock and temporary files.
std::vector<StoredEntry> scan_pch(const fs::path& pch_dir, bool work_files = false) {
  std::vector<StoredEntry> found;
  std::error_code error;
  for (fs::directory_iterator it(pch_dir, error), end; !error && it != end; it.increment(error)) {
    if (!is_pch_file(it->path().filename().string(), work_files)) continue;
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    found.push_back(StoredEntry{Key(), it->path(), static_cast<std::uint64_t>(info.st_size),
                                to_time_point(info.st_mtim), true});
  }
  return found;
}

void remove_trash(const std::vector<Retired>& retired) {
  for (const Retired& item : retired) {
    std::error_code error;
    fs::remove_all(item.trash, error);
    if (error) {
      jitcu::log().debug("cannot remove '{}': {} (a later run cleans it)", item.trash.string(),
                         error.message());
    }
  }
}

// "<pid>-..." -> pid; 0 when the name does not start that way.
pid_t owner_pid(const std::string& name) {
  long long pid = 0;
  const char* end = name.data() + name.size();
  const auto [rest, error] = std::from_chars(name.data(), end, pid);
  if (error != std::errc() || rest == end || *rest != '-' || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

bool process_is_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// A staging folder is flock()ed while its put() runs (see StagingDir).
bool held_by_someone(const fs::path& path) {
  UniqueFd fd = open_path(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (!fd) return false;
  return lock_exclusive(fd.get(), true) == EWOULDBLOCK;
}


/// What reading an entry's record found.
struct RecordRead {
  bool absent = false;        // no entry folder: a plain miss
  bool older_format = false;  // an entry of another jitcu's format: a plain miss, replaced on put
  bool unreadable = false;    // this process could not read it (no file descriptors...): not damage
  std::optional<EntryRecord> record;
  std::string problem;        // damage, when none of the above and no record
  std::string bytes;          // the record as read, for its signature
};

/// Whether a failed open or read says nothing about the entry's bytes: out of descriptors or
/// memory, no permission, an I/O error. Only bytes read and found wrong, a missing file or a
/// link are damage; an entry that could not be read is kept.
bool is_transient(int error) { return error != ENOENT && error != ELOOP && error != ENOTDIR; }

/// Reads a regular file of the entry (at most `limit` bytes) into `bytes`; what is wrong, or
/// empty. Never follows a link, never blocks on a FIFO. `transient` says the failure was this
/// process's, not the file's.
std::string read_entry_file(int dir_fd, const std::string& name, std::uint64_t limit, std::string& bytes,
                            bool* missing = nullptr, bool* transient = nullptr) {
  UniqueFd fd = open_at(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (!fd) {
    const int error = errno;
    if (missing) *missing = error == ENOENT;
    if (transient) *transient = is_transient(error);
    if (error == ENOENT) return fmt::format("{}: missing", name);
    if (error == ELOOP) return fmt::format("{}: a symbolic link, not a file", name);
    return fmt::format("{}: cannot read ({})", name, errno_text(error));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) return fmt::format("{}: not a regular file", name);
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > limit) return fmt::format("{}: {} bytes, more than the {} expected", name, size, limit);
  bytes.clear();
  bytes.reserve(static_cast<std::size_t>(size) + 1);  // + 1: the read that sees the end
  if (const int error = read_all(fd.get(), bytes, limit + 1, size); error != 0) {
    if (transient) *transient = true;
    return fmt::format("{}: cannot read ({})", name, errno_text(error));
  }
  return {};
}

RecordRead read_record_at(int dir_fd, const Key& key) {
  RecordRead read;
  bool missing = false;
  std::string problem = read_entry_file(dir_fd, k_record_file, k_record_max_bytes, read.bytes, &missing, &read.unreadable);
  if (!problem.empty()) {
    // No record but a meta.json: an entry written by a jitcu from before the record.
    read.older_format = missing && ::faccessat(dir_fd, k_meta_file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
    if (!read.older_format) read.problem = std::move(problem);
    return read;
  }
  DecodedRecord decoded = decode_record(read.bytes, &key);
  read.older_format = decoded.other_version;
  read.record = std::move(decoded.record);
  read.problem = std::move(decoded.problem);
  return read;
}

/// True when the folder open as `dir_fd` is no longer the one at `dir`: a removal moved it
/// into tmp/ (and is deleting its files) while we read. What we saw then is a race, not damage.
bool moved_away(int dir_fd, const fs::path& dir) {
  struct stat opened {};
  struct stat now {};
  if (::fstat(dir_fd, &opened) != 0 || ::lstat(dir.c_str(), &now) != 0) return true;
  return opened.st_dev != now.st_dev || opened.st_ino != now.st_ino;
}

UniqueFd open_entry_dir(const fs::path& dir) { return open_path(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW); }

RecordRead read_record(const fs::path& dir, const Key& key) {
  UniqueFd dir_fd = open_entry_dir(dir);
  if (!dir_fd) {
    RecordRead read;
    read.absent = errno == ENOENT;
    read.unreadable = is_transient(errno);
    read.problem = errno == ENOTDIR || errno == ELOOP ? "not a folder" : errno_text(errno);
    return read;
  }
  RecordRead read = read_record_at(dir_fd.get(), key);
  if (!read.record && !read.older_format && moved_away(dir_fd.get(), dir)) {
    read = RecordRead();
    read.absent = true;
  }
  return read;
}

/// The blobs of `record` that `selection` wants, read and checked; what is wrong, or empty.
std::string read_blobs_at(int dir_fd, const EntryRecord& record, const BlobSelection& selection,
                          std::map<std::string, std::string>& out, bool* transient = nullptr) {
  for (const BlobRef& ref : record.blobs) {
    if (!selection.wants(ref.name)) continue;
    std::string bytes;
    if (std::string problem = read_entry_file(dir_fd, ref.name, ref.size_bytes, bytes, nullptr, transient); !problem.empty())
      return problem;
    if (std::string problem = blob_problem(ref, bytes); !problem.empty()) return problem;
    out.emplace(ref.name, std::move(bytes));
  }
  return {};
}

}  // namespace

struct DiskTier::State {
  State(fs::path root_dir, std::uint64_t max_size, const DiskTrust& trust)
      : root(std::move(root_dir)),
        max_size_bytes(max_size),
        modes(trust.shared ? FileModes::group_shared() : FileModes{}),
        secret(trust.secret) {}

  const fs::path root;  // for messages and maintenance
  // The folder check_folder() checked. A hit opens its entry relative to it, by name: what was
  // checked is what is read, and no path is composed on the hit path.
  UniqueFd root_fd;
  const std::uint64_t max_size_bytes;
  const FileModes modes;
  const std::optional<std::string> secret;  // set in a shared folder: every entry is signed
  const uid_t user = ::geteuid();           // whose folders a private cache trusts
  // This process's counts; hits reach it through the TieredStore, damage and evictions from here.
  const std::shared_ptr<CounterTally> tally = std::make_shared<CounterTally>(::getpid());
  std::atomic<bool> write_failure_warned{false};
  std::atomic<bool> lock_failure_warned{false};
  std::atomic<bool> first_write_done{false};
  std::atomic<bool> unreadable_warned{false};

  // The folders and files of the layout, made when maintenance or a write needs them.
  fs::path entries_dir() const { return root / k_entries_dir; }
  fs::path tmp_dir() const { return root / k_tmp_dir; }
  fs::path locks_dir() const { return root / k_locks_dir; }
  fs::path pch_dir() const { return root / k_pch_dir; }
  fs::path ledger_lock_file() const { return locks_dir() / k_size_lock_file; }
  SizeLedger ledger() const { return SizeLedger((root / k_size_file).string(), tmp_dir().string(), modes.file); }
  StatsFile stats_file() const {
    return StatsFile((root / k_stats_file).string(), (locks_dir() / k_stats_lock_file).string(), modes);
  }
  /// Exists only while a put() holds the ledger lock between publishing and counting: found
  /// by someone else holding that lock, it means a writer died there (its entry is uncounted).
  fs::path publishing_marker() const { return locks_dir() / "publishing"; }
  bool writer_died_while_publishing_locked() const { return ::access(publishing_marker().c_str(), F_OK) == 0; }

  fs::path ledger_file() const { return root / k_size_file; }

  fs::path entry_dir(const Key& key) const { return root / entry_name(key); }

  /// "entries/<2 hex digits>/<key>": the entry's folder relative to the root.
  static std::string entry_name(const Key& key) {
    const std::string hex = key.hex();
    return std::string(k_entries_dir) + "/" + hex.substr(0, k_shard_hex_digits) + "/" + hex;
  }

  // --- opening ---------------------------------------------------------------------------

  /// Decides whether the folder at `root` may be used, and marks a new or empty one as ours.
  void check_folder(bool shared) {
    root_fd = open_path(root, O_PATH | O_DIRECTORY);  // a link at the root itself is followed
    if (!root_fd && errno == ENOENT) {
      create_private_dirs(root, modes.dir);
      root_fd = open_path(root, O_PATH | O_DIRECTORY);
      if (root_fd) write_marker();
    }
    if (!root_fd && errno == ENOTDIR)
      throw UnusableCacheFolder(fmt::format("'{}' is not a folder", root.string()), UnusableCacheFolder::Reason::other);
    if (!root_fd) throw IoError(fmt::format("cannot open '{}': {}", root.string(), errno_text(errno)), errno);
    struct stat info {};
    if (::fstat(root_fd.get(), &info) != 0)
      throw IoError(fmt::format("cannot open '{}': {}", root.string(), errno_text(errno)), errno);
    if (!shared) check_private(info);
    if (has_marker()) return;
    // Every process that adopts a folder writes the marker before it makes entries/ and tmp/: a
    // second look at the marker settles a folder another process was adopting meanwhile.
    if (!empty_or_legacy() && !has_marker())
      throw UnusableCacheFolder(
          fmt::format("'{}' is not empty and is not a jitcu cache (it has no {} file); jitcu does not take over a "
                      "folder it did not make: use an empty or new folder for the cache", root.string(), k_marker_file),
          UnusableCacheFolder::Reason::not_a_cache);
    write_marker();
  }

  /// ssh's rule: checksums do not stop forgery, so only a folder nobody else can write is trusted.
  void check_private(const struct stat& info) const {
    if (info.st_uid != user)
      throw UnusableCacheFolder(
          fmt::format("'{}' belongs to uid {}, not to this user (uid {}): jitcu trusts only a cache folder of your "
                      "own; use another folder, or share this one on purpose with JITCU_CACHE_SHARED=1 and "
                      "JITCU_CACHE_SECRET", root.string(), info.st_uid, user),
          UnusableCacheFolder::Reason::not_private);
    if (info.st_mode & 022)
      throw UnusableCacheFolder(
          fmt::format("'{}' can be written by {}: anyone who can write it can plant a kernel; run `chmod go-w '{}'`, "
                      "or share it on purpose with JITCU_CACHE_SHARED=1 and JITCU_CACHE_SECRET", root.string(),
                      (info.st_mode & 002) ? "every user" : "its group", root.string()),
          UnusableCacheFolder::Reason::not_private);
  }

  /// True for an empty folder, or one made by a jitcu from before the marker file.
  bool empty_or_legacy() const {
    std::error_code error;
    bool has_entries = false;
    for (fs::directory_iterator it(root, error), end; !error && it != end; it.increment(error)) {
      const std::string name = it->path().filename().string();
      if (std::find(std::begin(k_legacy_names), std::end(k_legacy_names), name) == std::end(k_legacy_names)) return false;
      has_entries = has_entries || name == "entries";
    }
    return !error && (has_entries || fs::is_empty(root, error));
  }

  bool has_marker() const { return ::faccessat(root_fd.get(), k_marker_file, F_OK, AT_SYMLINK_NOFOLLOW) == 0; }

  void write_marker() const {
    UniqueFd fd = open_at(root_fd.get(), k_marker_file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, modes.file);
    if (!fd && errno == EEXIST) return;
    if (!fd) throw IoError(fmt::format("cannot write in '{}': {}", root.string(), errno_text(errno)), errno);
    write_all(fd.get(), k_marker_text, root / k_marker_file);
  }

  void create_layout() const {
    create_private_dirs(root, modes.dir);
    create_private_dirs(entries_dir(), modes.dir);
    create_private_dirs(tmp_dir(), modes.dir);
    create_private_dirs(locks_dir(), modes.dir);
  }

  /// The usual open, of a cache made before: tmp/ is there and writable. One system call on
  /// every process's first hit; a deleted entries/, locks/ or tmp/ is made again where it is
  /// needed, a missing CACHEDIR.TAG at the store's first write.
  bool made_before() const { return ::faccessat(root_fd.get(), k_tmp_dir, W_OK | X_OK, AT_EACCESS) == 0; }

  /// Asks the kernel whether tmp/ is writable (permissions, a read-only mount) without
  /// creating a file: opening the store is on every process's cache-hit path.
  void check_writable() const {
    if (made_before()) return;
    const int error = errno;
    throw IoError(fmt::format("cannot write in '{}': {}", tmp_dir().string(), errno_text(error)), error);
  }

  void write_cachedir_tag() const {
    const fs::path tag = root / k_cachedir_tag_file;
    if (::access(tag.c_str(), F_OK) == 0) return;
    try {
      StagingDir staging = StagingDir::create(tmp_dir(), modes);
      staging.write_file(k_cachedir_tag_file, k_cachedir_tag);
      if (::rename((staging.path() / k_cachedir_tag_file).c_str(), tag.c_str()) != 0) {
        jitcu::log().debug("cannot write '{}': {}", tag.string(), errno_text(errno));
      }
    } catch (const IoError& error) {
      jitcu::log().debug("cannot write '{}': {}", tag.string(), error.what());
    }
  }

  /// Housekeeping on this store's first write, kept off the hit path: cleans tmp/ and puts
  /// back a missing CACHEDIR.TAG.
  void first_write_once() {
    if (first_write_done.exchange(true)) return;
    clean_stale_tmp();
    write_cachedir_tag();
  }

  /// Removes what dead or long-gone runs left in tmp/; lists only tmp/.
  void clean_stale_tmp() const {
    const pid_t self = ::getpid();
    const auto now = Clock::now();
    std::error_code error;
    for (fs::directory_iterator it(tmp_dir(), error), end; !error && it != end; it.increment(error)) {
      const fs::path path = it->path();
      const pid_t owner = owner_pid(path.filename().string());
      if (owner == self) continue;  // this process's other stores are busy with it
      struct stat info {};
      if (::lstat(path.c_str(), &info) != 0) continue;
      const bool old = now - to_time_point(info.st_mtim) > k_stale_tmp_age;
      const bool owner_gone = owner != 0 && !process_is_alive(owner);
      if (!old && !owner_gone) continue;
      if (held_by_someone(path)) continue;  // a put still writing it (e.g. another pid namespace)
      std::error_code removal;
      fs::remove_all(path, removal);
      jitcu::log().debug("removed leftover '{}'{}", path.string(),
                         removal ? fmt::format(" (partly: {})", removal.message()) : "");
    }
  }

  // --- warnings --------------------------------------------------------------------------

  void warn_write_failure(std::string_view what) {
    if (!write_failure_warned.exchange(true)) {
      jitcu::log().warn(
          "cannot write to the jitcu cache at '{}': {}; compiled results are not kept on disk "
          "(further write failures of this cache are logged at debug level)",
          root.string(), what);
      return;
    }
    jitcu::log().debug("cannot write to the jitcu cache at '{}': {}", root.string(), what);
  }

  void warn_damaged(const fs::path& dir, std::string_view problem) const {
    jitcu::log().warn("jitcu cache entry '{}' is damaged ({}); removing it, it will be compiled again",
                      dir.string(), problem);
  }

  // --- removal under the ledger lock -----------------------------------------------------

  FileLock lock_ledger() const { return FileLock::acquire_remaking_folder(ledger_lock_file(), modes); }

  /// Moves an entry folder into tmp/ in one rename (readers holding its files keep reading,
  /// later readers miss); nullopt if it is not there. Caller holds the ledger lock.
  std::optional<Retired> retire_locked(const fs::path& dir) const {
    const fs::path trash = tmp_dir() / unique_tmp_name(".removed");
    if (::rename(dir.c_str(), trash.c_str()) != 0) {
      const int error = errno;
      if (error == ENOENT && ::access(dir.c_str(), F_OK) != 0) return std::nullopt;
      if (error == ENOENT) {
        create_private_dirs(tmp_dir(), modes.dir);  // tmp/ itself was deleted
        return retire_locked(dir);
      }
      throw IoError(fmt::format("cannot move '{}' aside: {}", dir.string(), errno_text(error)),
                    error);
    }
    return Retired{trash, folder_size(trash)};
  }

  /// Removes one entry and takes its size off the ledger. `still_wanted_gone` is asked again
  /// under the ledger lock, where nobody can publish, so a good entry that replaced a damaged
  /// one meanwhile is kept.
  template <class Predicate>
  void discard(const fs::path& dir, Predicate still_wanted_gone) const {
    std::vector<Retired> retired;
    {
      const FileLock held = lock_ledger();
      if (!still_wanted_gone()) return;
      if (std::optional<Retired> item = retire_locked(dir)) {
        ledger().adjust(-static_cast<std::int64_t>(item->size_bytes));
        retired.push_back(std::move(*item));
      }
    }
    remove_trash(retired);
  }

  void discard(const fs::path& dir) const {
    discard(dir, [] { return true; });
  }

  template <class Predicate>
  void discard_quietly(const fs::path& dir, Predicate still_wanted_gone) const {
    try {
      discard(dir, still_wanted_gone);
    } catch (const std::exception& error) {
      jitcu::log().debug("cannot remove '{}': {}", dir.string(), error.what());
    }
  }

  /// Retires an entry (into tmp/) or deletes a PCH file, counting it in `removed` when it was
  /// there. One that cannot be moved (a failing disk) stays, is not counted and false returned.
  bool remove_one_locked(const StoredEntry& item, std::vector<Retired>& retired, Removed& removed) const {
    if (item.pch) {  // a compile reading it keeps its open file; one about to open it compiles without (issue 21)
      if (::unlink(item.dir.c_str()) == 0) ++removed.pch_files;
      else if (errno != ENOENT) return false;
      return true;
    }
    try {
      if (std::optional<Retired> moved = retire_locked(item.dir)) {
        retired.push_back(std::move(*moved));
        ++removed.entries;
      }
      return true;
    } catch (const IoError& error) {
      jitcu::log().debug("cannot remove '{}': {}", item.dir.string(), error.what());
      return false;
    }
  }

  /// Removes items of [first, last) in order until `done()`; what went is taken off `totals`.
  template <class Iterator, class Done>
  Removed remove_until_locked(Iterator first, Iterator last, Totals& totals, std::vector<Retired>& retired,
                              Done done) const {
    Removed removed;
    for (; first != last && !done(); ++first)
      if (remove_one_locked(*first, retired, removed)) totals.take_away(*first);
    return removed;
  }

  /// Removes entries and PCH files, least recently used first, until the total is at most `target_bytes`.
  Removed evict_locked(std::vector<StoredEntry>& lru_first, Totals& totals, std::uint64_t target_bytes,
                       std::vector<Retired>& retired) const {
    return remove_until_locked(lru_first.begin(), lru_first.end(), totals, retired,
                               [&] { return totals.all() <= target_bytes; });
  }

  /// Removes every item in [first, last).
  template <class Iterator>
  Removed remove_all_locked(Iterator first, Iterator last, Totals& totals, std::vector<Retired>& retired) const {
    return remove_until_locked(first, last, totals, retired, [] { return false; });
  }

  /// Entry folders and finished PCH files: everything the cap covers.
  std::vector<StoredEntry> scan_capped() const {
    std::vector<StoredEntry> stored = scan_entries(entries_dir());
    std::vector<StoredEntry> pch_files = scan_pch(pch_dir());
    stored.insert(stored.end(), pch_files.begin(), pch_files.end());
    return stored;
  }

  /// Counts what the cap or a prune removed, for `jitcu cache stats`.
  void count_evictions(const Removed& removed) const {
    tally->add(CacheCounters{.evictions = removed.entries, .pch_evictions = removed.pch_files});
  }

  // --- get ---------------------------------------------------------------------------------

  std::optional<Entry> get(const Key& key, const BlobSelection& selection) {
    UniqueFd dir_fd = open_at(root_fd.get(), entry_name(key).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!dir_fd) {
      if (is_transient(errno)) warn_unreadable(entry_dir(key), errno_text(errno));
      return std::nullopt;
    }
    RecordRead read = read_record_at(dir_fd.get(), key);
    if (read.older_format) return std::nullopt;
    if (read.unreadable) return warn_unreadable(entry_dir(key), read.problem);
    struct stat folder {};
    if (::fstat(dir_fd.get(), &folder) != 0) {
      const int error = errno;
      return warn_unreadable(entry_dir(key), errno_text(error));
    }
    Entry entry;
    std::string problem = secret ? std::string() : not_private(folder);
    if (read.record && problem.empty()) {
      entry.record = std::move(*read.record);
      bool transient = false;
      problem = read_blobs_at(dir_fd.get(), entry.record, secret ? BlobSelection::all() : selection, entry.blobs, &transient);
      if (transient) return warn_unreadable(entry_dir(key), problem);
      if (problem.empty() && secret) problem = signature_problem(dir_fd.get(), read.bytes, entry);
      if (problem.empty()) {
        mark_used(dir_fd.get(), folder);
        return entry;
      }
    } else if (problem.empty()) {
      problem = read.problem;
    }
    const fs::path dir = entry_dir(key);
    if (moved_away(dir_fd.get(), dir)) {  // removed or replaced while we read: a race, not damage
      jitcu::log().debug("cache entry '{}' was removed or replaced while read ({}); a miss", dir.string(), problem);
      return std::nullopt;
    }
    warn_damaged(dir, problem);
    tally->add(CacheCounters{.damaged = 1});
    struct stat opened {};
    ::fstat(dir_fd.get(), &opened);
    discard_quietly(dir, [&] {  // only the folder we found damaged, not one published since
      struct stat now {};
      return ::lstat(dir.c_str(), &now) == 0 && now.st_ino == opened.st_ino && now.st_dev == opened.st_dev;
    });
    return std::nullopt;
  }

  /// A miss that is this process's trouble (out of file descriptors, say), not the entry's:
  /// the entry stays, and the warning names the real cause.
  std::nullopt_t warn_unreadable(const fs::path& dir, std::string_view problem) {
    if (!unreadable_warned.exchange(true))
      jitcu::log().warn("cannot read jitcu cache entry '{}' ({}); compiling instead, the entry is kept "
                        "(further such failures of this cache are logged at debug level)", dir.string(), problem);
    else
      jitcu::log().debug("cannot read jitcu cache entry '{}' ({})", dir.string(), problem);
    return std::nullopt;
  }

  /// In a private cache an entry folder must be the user's own and writable by nobody else.
  std::string not_private(const struct stat& info) const {
    if (info.st_uid != user) return fmt::format("entry folder: owned by uid {}, not by this user", info.st_uid);
    if (info.st_mode & 022) return "entry folder: writable by group or others";
    return {};
  }

  /// In a shared cache: the entry's signature file against the HMAC of its record and blobs.
  std::string signature_problem(int dir_fd, std::string_view record_bytes, const Entry& entry) const {
    std::string stored;
    if (std::string problem = read_entry_file(dir_fd, k_signature_file, 64, stored); !problem.empty())
      return problem + " (an entry of a shared cache must be signed with JITCU_CACHE_SECRET)";
    if (!same_signature(stored, sign_entry(*secret, record_bytes, entry)))
      return "signature: does not match (written without this secret, or altered)";
    return {};
  }

  /// Records a use for LRU: the folder's mtime (`folder` is its stat), rewritten at most once a minute.
  static void mark_used(int dir_fd, const struct stat& folder) {
    const auto age = Clock::now() - to_time_point(folder.st_mtim);
    if (age >= std::chrono::seconds(0) && age < k_use_resolution) return;
    ::futimens(dir_fd, nullptr);
  }

  // --- put ---------------------------------------------------------------------------------

  StagingDir make_staging() const {
    try {
      return StagingDir::create(tmp_dir(), modes);
    } catch (const IoError& error) {
      if (error.error_number() != ENOENT) throw;
      create_private_dirs(tmp_dir(), modes.dir);  // someone deleted tmp/: make it again
      return StagingDir::create(tmp_dir(), modes);
    }
  }

  bool put(const Key& key, const Entry& entry) {
    const fs::path dir = entry_dir(key);
    if (const RecordRead existing = read_record(dir, key); existing.record || existing.unreadable)
      return false;  // cheap early out: no writing at all (an entry that cannot be read now is kept)
    first_write_once();
    StagingDir staging = make_staging();
    for (const auto& [name, bytes] : entry.blobs) staging.write_file(name, bytes);
    EntryRecord record = entry.record;
    record.key = key;
    if (record.created_unix_ns == 0) record.created_unix_ns = unix_ns(Clock::now());
    staging.write_file(k_meta_file, meta_json_text(record));
    const std::string record_bytes = encode_record(record);
    if (secret) staging.write_file(k_signature_file, sign_entry(*secret, record_bytes, entry));
    staging.write_file(k_record_file, record_bytes);

    std::vector<Retired> retired;
    bool published = false;
    {
      const FileLock held = lock_ledger();
      // A marker already here: a writer was killed between its rename and its count, so the
      // ledger is low by its entry; this put recounts instead of trusting it.
      const bool recount = writer_died_while_publishing_locked();
      // Marks the window between the rename and the size accounting for the same reason.
      const int marker = ::open(publishing_marker().c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, modes.file);
      if (marker >= 0) ::close(marker);
      published = publish_locked(staging, dir, key, retired);
      if (published || recount) account_put_locked(key, published ? staging.size_bytes() : 0, retired, recount);
      ::unlink(publishing_marker().c_str());
    }
    remove_trash(retired);
    return published;
  }

  /// One rename makes the entry visible. If one is there already, an intact one wins; a
  /// damaged one is moved aside and the rename retried.
  bool publish_locked(StagingDir& staging, const fs::path& dir, const Key& key,
                      std::vector<Retired>& retired) const {
    for (int attempt = 0; attempt < k_publish_attempts; ++attempt) {
      switch (staging.publish(dir)) {
        case StagingDir::Publish::published:
          return true;
        case StagingDir::Publish::parent_missing:
          create_private_dirs(dir.parent_path(), modes.dir);
          continue;
        case StagingDir::Publish::destination_not_folder:
          jitcu::log().warn("removing '{}': a file where a jitcu cache entry folder belongs", dir.string());
          ::unlink(dir.c_str());
          continue;
        case StagingDir::Publish::destination_exists:
          break;
      }
      const RecordRead existing = read_record(dir, key);
      if (existing.absent) continue;
      if (existing.record || existing.unreadable) return false;  // another process published first: keep theirs
      if (existing.older_format) jitcu::log().debug("replacing '{}', an entry of another format", dir.string());
      else jitcu::log().warn("replacing damaged jitcu cache entry '{}' ({})", dir.string(), existing.problem);
      if (std::optional<Retired> item = retire_locked(dir)) {
        ledger().adjust(-static_cast<std::int64_t>(item->size_bytes));
        retired.push_back(std::move(*item));
      }
    }
    throw IoError(fmt::format("cannot publish '{}' after {} attempts", dir.string(),
                              k_publish_attempts),
                  EEXIST);
  }

  /// Adds the new entry to the ledger; over the cap, rescans and evicts.
  void account_put_locked(const Key& key, std::uint64_t added_bytes, std::vector<Retired>& retired,
                          bool recount) const {
    const auto now = Clock::now();
    const std::int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                      now.time_since_epoch()).count();
    const std::optional<LedgerTotal> recorded = ledger().read();
    const bool stale = recount || !recorded || now_unix - recorded->last_scan_unix >
                                        std::chrono::duration_cast<std::chrono::seconds>(
                                            k_rescan_interval).count();
    // The workers' PCH files share the cap; they are made outside the ledger, so they are
    // listed here (one small folder, on a miss only).
    const std::uint64_t pch_bytes = totals_of(scan_pch(pch_dir())).pch_bytes;
    if (!stale && recorded->total_size_bytes + added_bytes + pch_bytes <= max_size_bytes) {
      ledger().write({recorded->total_size_bytes + added_bytes, recorded->last_scan_unix});
      return;
    }
    std::vector<StoredEntry> stored = scan_capped();
    Totals totals = totals_of(stored);
    if (totals.all() > max_size_bytes) {
      // The entry just published goes last, and only if it alone is over the cap.
      const auto is_new = [&key](const StoredEntry& e) { return !e.pch && e.key == key; };
      std::vector<StoredEntry> newest;
      std::copy_if(stored.begin(), stored.end(), std::back_inserter(newest), is_new);
      stored.erase(std::remove_if(stored.begin(), stored.end(), is_new), stored.end());
      sort_least_recently_used_first(stored);
      Removed removed = evict_locked(stored, totals, max_size_bytes / 100 * k_evict_target_percent, retired);
      removed.entries += evict_locked(newest, totals, max_size_bytes, retired).entries;
      count_evictions(removed);
      jitcu::log().debug("cache over its cap of {} bytes: evicted {} entries and {} precompiled headers, "
                         "{} bytes remain", max_size_bytes, removed.entries, removed.pch_files, totals.all());
    }
    ledger().write({totals.entry_bytes, now_unix});
  }

  // --- maintenance -----------------------------------------------------------------------

  /// Runs `choose` on every stored entry and PCH file under the ledger lock, removes what it
  /// returns, records the new exact total and returns what went: only what is really gone, also
  /// when some removals fail or the new total cannot be written (a full disk).
  template <class Choose>
  Removed prune(Choose choose) {
    clean_stale_tmp();
    std::vector<Retired> retired;
    Removed removed;
    {
      const FileLock held = lock_ledger();
      std::vector<StoredEntry> stored = scan_capped();
      sort_least_recently_used_first(stored);
      Totals totals = totals_of(stored);
      removed = choose(stored, totals, retired);
      try {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch());
        ledger().write({totals.entry_bytes, now.count()});
      } catch (const IoError& error) {  // a full disk: the removals stand; the next put recounts
        jitcu::log().debug("cannot record the cache's new size: {}", error.what());
        ::unlink(ledger_file().c_str());
      }
      ::unlink(publishing_marker().c_str());  // a dead writer's entry is in this count
    }
    remove_trash(retired);
    return removed;
  }

  enum class Eviction { no, yes };  // whether what a prune removes counts as evictions

  /// prune(), counting its removals and flushing the counters: maintenance, not a hit.
  template <class Choose>
  Removed prune_counted(Choose choose, Eviction eviction) {
    const Removed removed = [&] {
      try {
        return prune(choose);
      } catch (const std::runtime_error& error) {  // before anything was removed: the ledger lock
        warn_write_failure(error.what());
        return Removed{};
      }
    }();
    if (eviction == Eviction::yes) count_evictions(removed);
    flush_counters();
    return removed;
  }

  void flush_counters() const {
    const CacheCounters unflushed = tally->take_unflushed(::getpid());
    if (unflushed == CacheCounters{}) return;
    try {
      stats_file().add(unflushed);
    } catch (const std::exception& error) {
      tally->give_back(unflushed);
      jitcu::log().debug("cannot record the cache's statistics: {} (tried again at the next flush)", error.what());
    }
  }

  std::vector<ListedEntry> list() const {
    std::vector<ListedEntry> found;
    for (const StoredEntry& stored : scan_entries(entries_dir())) {
      RecordRead read = read_record(stored.dir, stored.key);
      if (!read.record) continue;
      found.push_back(ListedEntry{std::move(*read.record), stored.dir, stored.last_used, stored.size_bytes});
    }
    std::sort(found.begin(), found.end(), [](const ListedEntry& a, const ListedEntry& b) {
      if (a.record.created_unix_ns != b.record.created_unix_ns) return a.record.created_unix_ns > b.record.created_unix_ns;
      return a.record.key < b.record.key;
    });
    return found;
  }

  std::vector<VerifyResult> verify() const {
    std::vector<VerifyResult> results;
    std::vector<std::pair<fs::path, std::string>> unreadable;
    for (const StoredEntry& stored : scan_entries(entries_dir(), &unreadable))
      if (std::optional<VerifyResult> result = verify_entry(stored)) results.push_back(*result);
    for (const auto& [folder, why] : unreadable)
      results.push_back(VerifyResult{Key(), false, fmt::format("cannot list this folder ({})", why), folder, true});
    std::sort(results.begin(), results.end(), [](const VerifyResult& a, const VerifyResult& b) { return a.key < b.key; });
    return results;
  }

  /// Checks the record and every blob; nullopt when the entry was removed meanwhile.
  static std::optional<VerifyResult> verify_entry(const StoredEntry& stored) {
    UniqueFd dir_fd = open_entry_dir(stored.dir);
    if (!dir_fd) {
      if (errno == ENOENT) return std::nullopt;
      return VerifyResult{stored.key, false, fmt::format("cannot open the entry folder ({})", errno_text(errno)), stored.dir,
                          is_transient(errno)};
    }
    VerifyResult result{stored.key, true, {}, stored.dir};
    RecordRead read = read_record_at(dir_fd.get(), stored.key);
    if (read.older_format) {
      // No record at all (a jitcu from before it), or a record of another version (say, newer).
      result = {stored.key, false,
                (read.problem.empty() ? std::string("written by an older jitcu (no record)") : read.problem) +
                    ": a miss, replaced on the next compile",
                stored.dir};
    } else if (!read.record) {
      result = {stored.key, false, read.problem, stored.dir, read.unreadable};
    } else {
      for (const BlobRef& ref : read.record->blobs) {
        std::map<std::string, std::string> one;
        bool transient = false;
        const std::string problem =
            read_blobs_at(dir_fd.get(), *read.record, BlobSelection::only(ref.name), one, &transient);
        if (problem.empty()) continue;
        result.ok = false;
        result.unreadable = result.unreadable || transient;
        result.problem += (result.problem.empty() ? "" : "; ") + problem;
      }
    }
    if (!result.ok && moved_away(dir_fd.get(), stored.dir)) return std::nullopt;
    return result;
  }
};

DiskTier::DiskTier(const fs::path& root, std::uint64_t max_size_bytes, DiskTrust trust) {
  if (trust.shared && !trust.secret)
    throw UnusableCacheFolder(fmt::format("JITCU_CACHE_SHARED=1 for '{}' needs JITCU_CACHE_SECRET: entries of a shared "
                                          "cache are trusted only through a signature with a shared secret",
                                          root.string()),
                              UnusableCacheFolder::Reason::other);
  state_ = std::make_unique<State>(root.is_absolute() ? root : fs::absolute(root), max_size_bytes, trust);
  state_->check_folder(trust.shared);
  if (!state_->made_before()) {  // a new cache, or one that lost parts: make and check it all
    state_->create_layout();
    state_->check_writable();
    state_->write_cachedir_tag();
  }
}

DiskTier::~DiskTier() { flush_counters(); }

const fs::path& DiskTier::root() const { return state_->root; }

fs::path DiskTier::entry_dir(const Key& key) const { return state_->entry_dir(key); }

std::string DiskTier::describe() const { return "disk " + state_->root.string(); }

std::optional<Entry> DiskTier::get(const Key& key, const BlobSelection& blobs) { return state_->get(key, blobs); }

void DiskTier::put(const Key& key, const Entry& entry) {
  try {
    state_->put(key, entry);
  } catch (const IoError& error) {
    state_->warn_write_failure(error.what());
  } catch (const fs::filesystem_error& error) {
    state_->warn_write_failure(error.what());
  }
}

void DiskTier::remove(const Key& key) {
  try {
    state_->discard(entry_dir(key));
  } catch (const std::runtime_error& error) {
    state_->warn_write_failure(error.what());
  }
}

std::unique_ptr<KeyLock> DiskTier::lock(const Key& key) {
  const fs::path path = state_->locks_dir() / (key.hex().substr(0, k_lock_stripe_hex_digits) + ".lock");
  try {
    return std::make_unique<DiskKeyLock>(FileLock::acquire_remaking_folder(path, state_->modes));
  } catch (const IoError& error) {
    if (!state_->lock_failure_warned.exchange(true))
      jitcu::log().warn("{}; compiles of one kernel may run in several processes at once (results stay correct)",
                        error.what());
    return std::make_unique<NoopKeyLock>();
  }
}

std::vector<ListedEntry> DiskTier::list() { return state_->list(); }

std::vector<VerifyResult> DiskTier::verify() { return state_->verify(); }

DiskStats DiskTier::stats() {
  const std::vector<StoredEntry> stored = state_->scan_capped();
  const Totals totals = totals_of(stored);
  const auto pch_files = static_cast<std::uint64_t>(
      std::count_if(stored.begin(), stored.end(), [](const StoredEntry& item) { return item.pch; }));
  return DiskStats{stored.size() - pch_files, totals.all(), state_->max_size_bytes, pch_files, totals.pch_bytes};
}

std::vector<ListedPch> DiskTier::list_pch() {
  std::vector<StoredEntry> stored = scan_pch(state_->pch_dir());
  sort_least_recently_used_first(stored);
  std::vector<ListedPch> listed;
  for (const StoredEntry& item : stored) listed.push_back(ListedPch{item.dir, item.size_bytes, item.last_used});
  return listed;
}

Removed DiskTier::prune_to_size(std::uint64_t max_size_bytes) {
  return state_->prune_counted([&](std::vector<StoredEntry>& lru_first, Totals& totals, std::vector<Retired>& retired) {
    return state_->evict_locked(lru_first, totals, max_size_bytes, retired);
  }, State::Eviction::yes);
}

Removed DiskTier::prune_older_than(std::chrono::system_clock::time_point cutoff) {
  return state_->prune_counted([&](std::vector<StoredEntry>& lru_first, Totals& totals, std::vector<Retired>& retired) {
    const auto first_kept = std::find_if(lru_first.begin(), lru_first.end(),
                                         [&](const StoredEntry& e) { return e.last_used >= cutoff; });
    return state_->remove_all_locked(lru_first.begin(), first_kept, totals, retired);
  }, State::Eviction::yes);
}

Removed DiskTier::clear() {
  return state_->prune_counted([&](std::vector<StoredEntry>& lru_first, Totals& totals, std::vector<Retired>& retired) {
    Removed removed = state_->remove_all_locked(lru_first.begin(), lru_first.end(), totals, retired);
    for (const StoredEntry& work_file : scan_pch(state_->pch_dir(), true))  // and their lock and temporary files
      ::unlink(work_file.dir.c_str());
    return removed;
  }, State::Eviction::no);
}

const std::shared_ptr<CounterTally>& DiskTier::tally() const { return state_->tally; }

void DiskTier::flush_counters() { state_->flush_counters(); }

RecordedStats DiskTier::recorded_counters() {
  const RecordedCounters recorded = state_->stats_file().read();
  return RecordedStats{recorded.counters, Clock::time_point(std::chrono::seconds(recorded.zeroed_unix))};
}

void DiskTier::zero_counters() { state_->stats_file().zero(); }

}  // namespace jitcu::cache
