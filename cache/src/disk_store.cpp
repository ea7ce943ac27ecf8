#include <jitcu/cache/disk_store.hpp>

#include "entry_index.hpp"
#include "fast_checksum.hpp"
#include "file_lock.hpp"
#include "meta.hpp"
#include "posix_io.hpp"
#include "size_ledger.hpp"
#include "staging_dir.hpp"

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
#include <jitcu/cache/log.hpp>
#include <jitcu/cache/path_text.hpp>

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
constexpr std::uint64_t k_meta_max_bytes = 64ull << 20;  // far above any real meta.json

using Clock = std::chrono::system_clock;

/// An entry folder as seen by a scan: what eviction and listings need.
struct StoredEntry {
  Key key;
  fs::path dir;
  std::uint64_t size_bytes = 0;  // all files of the entry
  Clock::time_point last_used;   // the folder's mtime, bumped by find()
};

/// An entry moved into tmp/, to be deleted once the ledger lock is released.
struct Retired {
  fs::path trash;
  std::uint64_t size_bytes = 0;
};

/// The outcome of reading an entry's meta.json.
struct MetaRead {
  bool absent = false;  // no entry folder at all: a plain miss
  MetaCheck check;
};

class DiskKeyLock final : public KeyLock {
 public:
  explicit DiskKeyLock(FileLock lock) : lock_(std::move(lock)) {}

 private:
  FileLock lock_;
};

class NoopKeyLock final : public KeyLock {};

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

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

std::vector<StoredEntry> scan_entries(const fs::path& entries_dir) {
  std::vector<StoredEntry> found;
  std::error_code error;
  for (fs::directory_iterator shard(entries_dir, error), end; !error && shard != end;
       shard.increment(error)) {
    const std::string shard_name = shard->path().filename().string();
    if (shard_name.size() != k_shard_hex_digits || !is_lower_hex(shard_name)) continue;
    std::error_code inner;
    for (fs::directory_iterator it(shard->path(), inner); !inner && it != end;
         it.increment(inner)) {
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

std::uint64_t total_size(const std::vector<StoredEntry>& entries) {
  std::uint64_t total = 0;
  for (const StoredEntry& entry : entries) total += entry.size_bytes;
  return total;
}

/// A small file of the entry (meta.json, index) into `text`; returns what is wrong, empty when
/// read. `absent` tells a missing file apart from a damaged one.
std::string read_record_at(int dir_fd, std::string_view name, std::string& text, bool* absent = nullptr) {
  UniqueFd fd = open_at(dir_fd, std::string(name).c_str(), O_RDONLY | O_NOFOLLOW);
  if (!fd) {
    const int error = errno;
    if (absent) *absent = error == ENOENT;
    if (error == ENOENT) return fmt::format("{}: missing", name);
    return fmt::format("{}: cannot read ({})", name, errno_text(error));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) return fmt::format("{}: not a regular file", name);
  if (static_cast<std::uint64_t>(info.st_size) > k_meta_max_bytes) {
    return fmt::format("{}: {} bytes, too large", name, info.st_size);
  }
  text.reserve(static_cast<std::size_t>(info.st_size) + 1);  // + 1: the read that sees the end
  if (const int error = read_all(fd.get(), text, k_meta_max_bytes, static_cast<std::uint64_t>(info.st_size)); error != 0) {
    return fmt::format("{}: cannot read ({})", name, errno_text(error));
  }
  return {};
}

MetaCheck read_index_at(int dir_fd, const Key& key, bool* absent = nullptr) {
  std::string text;
  if (std::string problem = read_record_at(dir_fd, k_index_file, text, absent); !problem.empty()) {
    return MetaCheck{std::nullopt, std::move(problem)};
  }
  return check_index(text, key);
}

/// meta.json, and the index where there is one (entries written before it have none): both
/// must be intact and list the same blobs.
MetaCheck read_meta_at(int dir_fd, const Key& key) {
  std::string text;
  if (std::string problem = read_record_at(dir_fd, k_meta_file, text); !problem.empty()) {
    return MetaCheck{std::nullopt, std::move(problem)};
  }
  MetaCheck meta = check_meta(text, key);
  if (!meta.entry) return meta;
  bool no_index = false;
  MetaCheck index = read_index_at(dir_fd, key, &no_index);
  if (no_index) return meta;
  if (!index.entry) return MetaCheck{std::nullopt, std::move(index.problem)};
  if (meta.entry->blobs != index.entry->blobs) {
    return MetaCheck{std::nullopt, "index: its blobs differ from meta.json's"};
  }
  meta.entry->summary = std::move(index.entry->summary);
  meta.entry->total_size_bytes += index.entry->total_size_bytes;
  for (const auto& [name, info] : index.entry->blobs) meta.entry->total_size_bytes -= info.size_bytes;
  return meta;
}

/// True when the folder open as `dir_fd` is no longer the one at `dir`: a removal moved it
/// into tmp/ (and is deleting its files) while we read. What we saw then is a race, not damage.
bool moved_away(int dir_fd, const std::string& dir) {
  struct stat opened {};
  struct stat now {};
  if (::fstat(dir_fd, &opened) != 0 || ::stat(dir.c_str(), &now) != 0) return true;
  return opened.st_dev != now.st_dev || opened.st_ino != now.st_ino;
}

MetaRead read_meta(const std::string& dir, const Key& key) {
  UniqueFd dir_fd = open_at(AT_FDCWD, dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dir_fd) return MetaRead{true, {}};
  MetaCheck check = read_meta_at(dir_fd.get(), key);
  if (!check.entry && moved_away(dir_fd.get(), dir)) return MetaRead{true, {}};
  return MetaRead{false, std::move(check)};
}

/// Reads one blob and checks it against its record; returns what is wrong, empty when fine.
/// Reads blob `name` at `path` (relative to `at_fd`) and checks its size and checksum; what is
/// wrong, or empty.
std::string read_checked_blob(int at_fd, const char* path, std::string_view name, std::uint64_t size_bytes,
                              std::string_view sha256, std::string& bytes) {
  UniqueFd fd = open_at(at_fd, path, O_RDONLY | O_NOFOLLOW);
  if (!fd) {
    const int error = errno;
    if (error == ENOENT) return fmt::format("{}: missing", name);
    return fmt::format("{}: cannot read ({})", name, errno_text(error));
  }
  struct stat stat_info {};
  if (::fstat(fd.get(), &stat_info) != 0 || !S_ISREG(stat_info.st_mode)) {
    return fmt::format("{}: not a regular file", name);
  }
  const auto actual = static_cast<std::uint64_t>(stat_info.st_size);
  if (actual < size_bytes) {
    return fmt::format("{}: truncated ({} of {} bytes)", name, actual, size_bytes);
  }
  if (actual > size_bytes) {
    return fmt::format("{}: {} bytes, expected {}", name, actual, size_bytes);
  }
  bytes.clear();
  bytes.reserve(static_cast<std::size_t>(size_bytes) + 1);  // + 1: the read that sees the end
  if (const int error = read_all(fd.get(), bytes, size_bytes + 1, actual); error != 0) {
    return fmt::format("{}: cannot read ({})", name, errno_text(error));
  }
  if (bytes.size() != size_bytes) return fmt::format("{}: size changed while reading", name);
  if (sha256_hex(bytes) != sha256) return fmt::format("{}: checksum mismatch", name);
  return {};
}

/// The hit's read of an entry's index: no fstat, and a short read taken as the end. An index
/// ends in a checksum of itself, so a read cut short fails view_index() and the long way decides.
/// The hit's copy of an index: on the stack when it fits one page (an index of a few kernels is
/// about 1 KiB), where the heap would hand out fresh pages, each a page fault in a new process
/// (about 2.5 us on the H100 host), and push every later allocation, the driver's included, a
/// page further on. A larger index spills into a string.
class IndexText {
 public:
  std::string_view text() const { return spill_.empty() ? std::string_view(room_, size_) : std::string_view(spill_); }

  /// False when the file is missing or unreadable; the long path, find_quick(), then says why.
  bool read(const std::string& path) {
    UniqueFd fd = open_at(AT_FDCWD, path.c_str(), O_RDONLY | O_NOFOLLOW);
    if (!fd) return false;
    ssize_t got = 0;
    do got = ::read(fd.get(), room_, sizeof room_); while (got < 0 && errno == EINTR);
    if (got <= 0) return false;
    size_ = static_cast<std::size_t>(got);
    if (size_ < sizeof room_) return true;
    spill_.assign(room_, size_);  // a full page: read on to the end (a large module's index)
    return read_all(fd.get(), spill_, k_meta_max_bytes) == 0;
  }

 private:
  char room_[4096];
  std::size_t size_ = 0;
  std::string spill_;
};

/// The hit's read of a blob whose size and checksums its index gave: the size bounds the read,
/// so no fstat. False on anything unexpected; read_checked_blob() then says what.
bool read_blob_of_known_size(const std::string& path, const BlobView& blob, std::string& bytes) {
  UniqueFd fd = open_at(AT_FDCWD, path.c_str(), O_RDONLY | O_NOFOLLOW);
  if (!fd) return false;
  bytes.clear();
  bytes.reserve(static_cast<std::size_t>(blob.size_bytes) + 1);  // + 1: a longer file shows as one byte more
  if (read_all(fd.get(), bytes, blob.size_bytes + 1, blob.size_bytes) != 0) return false;
  if (bytes.size() != blob.size_bytes) return false;
  return blob.xxh3.empty() ? sha256_hex(bytes) == blob.sha256 : xxh3_hex(bytes) == blob.xxh3;
}

std::string read_checked_blob(const std::string& dir, const std::string& name, const BlobInfo& info,
                              std::string& bytes) {
  return read_checked_blob(AT_FDCWD, path_text::join(dir, name).c_str(), name, info.size_bytes, info.sha256, bytes);
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

}  // namespace

/// Everything a DiskStore does; only immutable paths and atomics, so any thread may call it.
struct DiskStore::State {
  State(const std::string& root_dir, std::uint64_t max_size)
      : root(root_dir),
        entries(path_text::join(root_dir, k_entries_dir)),
        tmp(path_text::join(root_dir, k_tmp_dir)),
        locks(path_text::join(root_dir, k_locks_dir)),
        ledger_lock(path_text::join(locks, k_size_lock_file)),
        ledger(path_text::join(root_dir, k_size_file), tmp),
        max_size_bytes(max_size) {}

  // Strings, not std::filesystem paths: see path_text::join().
  const std::string root;
  const std::string entries;
  const std::string tmp;
  const std::string locks;
  const std::string ledger_lock;
  const SizeLedger ledger;
  const std::uint64_t max_size_bytes;
  std::atomic<bool> write_failure_warned{false};
  std::atomic<bool> lock_failure_warned{false};
  std::atomic<bool> first_write_done{false};

  /// Exists only while a put() holds the ledger lock between publishing and counting: found
  /// by someone else holding that lock, it means a writer died there (its entry is uncounted).
  std::string publishing_marker() const { return path_text::join(locks, "publishing"); }
  bool writer_died_while_publishing_locked() const { return ::access(publishing_marker().c_str(), F_OK) == 0; }

  std::string entry_dir(const Key& key) const {
    const std::string hex = key.hex();
    std::string dir = path_text::join(entries, std::string_view(hex).substr(0, k_shard_hex_digits));
    dir += '/';
    dir += hex;
    return dir;
  }

  // --- opening ---------------------------------------------------------------------------

  void create_layout() const {
    create_private_dirs(root);
    create_private_dirs(entries);
    create_private_dirs(tmp);
    create_private_dirs(locks);
  }

  /// The usual open, of a cache made before: tmp/ is there and writable. One system call on
  /// every process's first hit; a deleted entries/, locks/ or tmp/ is made again where it is
  /// needed, a missing CACHEDIR.TAG at the store's first write.
  bool made_before() const { return ::faccessat(AT_FDCWD, tmp.c_str(), W_OK | X_OK, AT_EACCESS) == 0; }

  /// Asks the kernel whether tmp/ is writable (permissions, a read-only mount) without
  /// creating a file: opening the store is on every process's cache-hit path.
  void check_writable() const {
    if (::faccessat(AT_FDCWD, tmp.c_str(), W_OK | X_OK, AT_EACCESS) == 0) return;
    const int error = errno;
    throw IoError(fmt::format("cannot write in '{}': {}", tmp, errno_text(error)), error);
  }

  void write_cachedir_tag() const {
    const std::string tag = path_text::join(root, k_cachedir_tag_file);
    if (::access(tag.c_str(), F_OK) == 0) return;
    try {
      StagingDir staging = StagingDir::create(tmp);
      staging.write_file(k_cachedir_tag_file, k_cachedir_tag);
      if (::rename((staging.path() / k_cachedir_tag_file).c_str(), tag.c_str()) != 0) {
        jitcu::log().debug("cannot write '{}': {}", tag, errno_text(errno));
      }
    } catch (const IoError& error) {
      jitcu::log().debug("cannot write '{}': {}", tag, error.what());
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
    for (fs::directory_iterator it(tmp, error), end; !error && it != end; it.increment(error)) {
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
          root, what);
      return;
    }
    jitcu::log().debug("cannot write to the jitcu cache at '{}': {}", root, what);
  }

  void warn_damaged(const std::string& dir, std::string_view problem) const {
    jitcu::log().warn("jitcu cache entry '{}' is damaged ({}); removing it, it will be compiled again",
                      dir, problem);
  }

  // --- removal under the ledger lock -----------------------------------------------------

  FileLock lock_ledger() const {
    try {
      return FileLock::acquire(ledger_lock);
    } catch (const IoError& error) {
      if (error.error_number() != ENOENT) throw;
      create_private_dirs(locks);  // someone deleted locks/: make it again
      return FileLock::acquire(ledger_lock);
    }
  }

  /// Moves an entry folder into tmp/ in one rename (readers holding its files keep reading,
  /// later readers miss); nullopt if it is not there. Caller holds the ledger lock.
  std::optional<Retired> retire_locked(const fs::path& dir) const {
    const fs::path trash = path_text::join(tmp, unique_tmp_name(".removed"));
    if (::rename(dir.c_str(), trash.c_str()) != 0) {
      const int error = errno;
      if (error == ENOENT && ::access(dir.c_str(), F_OK) != 0) return std::nullopt;
      if (error == ENOENT) {
        create_private_dirs(tmp);  // tmp/ itself was deleted
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
        ledger.adjust(-static_cast<std::int64_t>(item->size_bytes));
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

  /// Retires entries, least recently used first, until the total is at most `target_bytes`.
  std::size_t evict_locked(std::vector<StoredEntry>& lru_first, std::uint64_t& total,
                           std::uint64_t target_bytes, std::vector<Retired>& retired) const {
    std::size_t removed = 0;
    for (const StoredEntry& entry : lru_first) {
      if (total <= target_bytes) break;
      if (std::optional<Retired> item = retire_locked(entry.dir)) {
        retired.push_back(std::move(*item));
        ++removed;
      }
      total -= std::min(total, entry.size_bytes);
    }
    return removed;
  }

  /// Retires every entry in [first, last).
  template <class Iterator>
  std::size_t retire_all_locked(Iterator first, Iterator last, std::uint64_t& total,
                                std::vector<Retired>& retired) const {
    std::size_t removed = 0;
    for (; first != last; ++first) {
      if (std::optional<Retired> item = retire_locked(first->dir)) {
        retired.push_back(std::move(*item));
        ++removed;
      }
      total -= std::min(total, first->size_bytes);
    }
    return removed;
  }

  // --- find / read -----------------------------------------------------------------------

  std::optional<FoundEntry> find(const Key& key) {
    return find_with(key, [&](int dir_fd) { return read_meta_at(dir_fd, key); });
  }

  /// find() from the entry's index alone (no JSON); an entry without one through meta.json.
  std::optional<FoundEntry> find_quick(const Key& key) {
    return find_with(key, [&](int dir_fd) {
      bool no_index = false;
      MetaCheck check = read_index_at(dir_fd, key, &no_index);
      if (no_index) return read_meta_at(dir_fd, key);
      return check;  // moved; `no_index ? ... : check` copied the whole entry on every hit
    });
  }

  /// Opens the entry's folder and reads it with `read`; damage is one warning and a removal.
  template <class Read>
  std::optional<FoundEntry> find_with(const Key& key, Read read) {
    const std::string dir = entry_dir(key);
    UniqueFd dir_fd = open_at(AT_FDCWD, dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!dir_fd) {
      if (errno != ENOENT) jitcu::log().debug("cannot open '{}': {}", dir, errno_text(errno));
      return std::nullopt;
    }
    MetaCheck check = read(dir_fd.get());
    if (!check.entry) {
      if (moved_away(dir_fd.get(), dir)) return std::nullopt;  // removed while we read: a miss
      warn_damaged(dir, check.problem);
      discard_quietly(dir, [&] { return !intact_entry_exists(dir, key); });
      return std::nullopt;
    }
    FoundEntry found = std::move(*check.entry);
    found.dir = dir;
    found.last_used = record_use([&](struct stat& info) { return ::fstat(dir_fd.get(), &info) == 0; },
                                 [&](const struct timespec* stamp) { return ::futimens(dir_fd.get(), stamp) == 0; });
    return found;
  }

  /// The entry folder's mtime is its last use: set it to now without rewriting anything,
  /// unless it is already less than k_use_resolution old (then one stat and no write).
  template <class Stat, class Stamp>
  static Clock::time_point record_use(Stat stat, Stamp stamp) {
    struct stat info {};
    if (!stat(info)) return Clock::now();
    const Clock::time_point recorded = to_time_point(info.st_mtim);
    const Clock::time_point now = Clock::now();
    if (recorded <= now && now - recorded < k_use_resolution) return recorded;
    const struct timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    if (!stamp(times) || !stat(info)) return recorded;  // a read-only cache
    return to_time_point(info.st_mtim);
  }

  /// What find_blob_quick() could tell.
  enum class Quick { found, none, unsure };

  /// A cache hit in one pass: the index read and checked, the blob read and checked against
  /// it, the use recorded. By path, with no descriptor for the folder and no fstat of the index
  /// or the blob: 7 system calls where there were 11 (each 1-2 us in a new process on the GPU
  /// host). A folder replaced between the two reads fails the checksum; damage, a race or an
  /// entry without index is `unsure`, and the long way, find_quick() + read_blob(), decides and
  /// reports. `none`: an intact entry without the blob.
  Quick find_blob_quick(const Key& key, std::string_view name, FoundBlob& found) {
    if (!is_valid_blob_name(name)) return Quick::unsure;
    std::string dir = entry_dir(key);
    IndexText index;
    if (!index.read(path_text::join(dir, k_index_file))) return Quick::unsure;
    const IndexView view = view_index(index.text(), key, name);
    if (!view.problem.empty()) return Quick::unsure;
    if (!view.blob) return Quick::none;
    if (!read_blob_of_known_size(path_text::join(dir, name), *view.blob, found.bytes))
      return Quick::unsure;
    record_use([&](struct stat& info) { return ::stat(dir.c_str(), &info) == 0; },
               [&](const struct timespec* times) { return ::utimensat(AT_FDCWD, dir.c_str(), times, 0) == 0; });
    found.summary = std::string(view.summary);
    found.dir = std::move(dir);
    return Quick::found;
  }

  static constexpr int k_damage_looks = 3;

  std::optional<std::string> read_blob(const FoundEntry& entry, const std::string& name) {
    const auto record = entry.blobs.find(name);
    if (record == entry.blobs.end()) {
      jitcu::log().debug("cache entry {} has no blob '{}'", entry.key.short_hex(), name);
      return std::nullopt;
    }
    const std::string dir = entry_dir(entry.key);
    std::string bytes;
    std::string problem = read_checked_blob(dir, name, record->second, bytes);
    if (problem.empty()) return bytes;
    // A removal and republish of the key between find() and here looks like damage for a
    // moment: look again, and only call it damage when the same entry keeps failing. (An
    // entry republished with the same blobs reads fine on the next look; CI's ASan run
    // caught the warning that gave before.)
    for (int look = 0; look < k_damage_looks; ++look) {
      if (replaced_since_found(dir, entry)) {
        jitcu::log().debug("cache entry '{}' was removed or replaced since it was found ({}); a miss",
                           dir, problem);
        return std::nullopt;
      }
      problem = read_checked_blob(dir, name, record->second, bytes);
      if (problem.empty()) return bytes;
    }
    warn_damaged(dir, problem);
    discard_quietly(dir, [&] { return !replaced_since_found(dir, entry); });
    return std::nullopt;
  }

  /// True when the entry was evicted or republished with other blobs after `entry` was found:
  /// then a failed read is a race, not damage, and what is there now must not be removed.
  static bool replaced_since_found(const std::string& dir, const FoundEntry& entry) {
    const MetaRead now = read_meta(dir, entry.key);
    if (now.absent) return true;
    return now.check.entry && now.check.entry->blobs != entry.blobs;
  }

  bool intact_entry_exists(const std::string& dir, const Key& key) const {
    const MetaRead existing = read_meta(dir, key);
    return !existing.absent && existing.check.entry.has_value();
  }

  // --- put ---------------------------------------------------------------------------------

  StagingDir make_staging() const {
    try {
      return StagingDir::create(tmp);
    } catch (const IoError& error) {
      if (error.error_number() != ENOENT) throw;
      create_private_dirs(tmp);  // someone deleted tmp/: make it again
      return StagingDir::create(tmp);
    }
  }

  bool put(const Key& key, const NewEntry& entry) {
    const std::string dir = entry_dir(key);
    if (intact_entry_exists(dir, key)) return false;  // cheap early out: no writing at all
    first_write_once();
    StagingDir staging = make_staging();
    for (const auto& [name, bytes] : entry.blobs) staging.write_file(name, bytes);
    const auto created = Clock::now();
    const auto records = blob_records(entry);
    staging.write_file(k_meta_file, make_meta_text(key, entry, records, created));
    staging.write_file(k_index_file, make_index_text(key, records, entry.blobs, entry.summary, unix_ns(created)));

    std::vector<Retired> retired;
    bool published = false;
    {
      const FileLock held = lock_ledger();
      // A marker already here: a writer was killed between its rename and its count, so the
      // ledger is low by its entry; this put recounts instead of trusting it.
      const bool recount = writer_died_while_publishing_locked();
      // Marks the window between the rename and the size accounting for the same reason.
      const int marker = ::open(publishing_marker().c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
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
  bool publish_locked(StagingDir& staging, const std::string& dir, const Key& key,
                      std::vector<Retired>& retired) const {
    for (int attempt = 0; attempt < k_publish_attempts; ++attempt) {
      switch (staging.publish(dir)) {
        case StagingDir::Publish::published:
          return true;
        case StagingDir::Publish::parent_missing:
          create_private_dirs(fs::path(dir).parent_path());
          continue;
        case StagingDir::Publish::destination_not_folder:
          jitcu::log().warn("removing '{}': a file where a jitcu cache entry folder belongs", dir);
          ::unlink(dir.c_str());
          continue;
        case StagingDir::Publish::destination_exists:
          break;
      }
      const MetaRead existing = read_meta(dir, key);
      if (existing.absent) continue;
      if (existing.check.entry) return false;  // another process published first: keep theirs
      jitcu::log().warn("replacing damaged jitcu cache entry '{}' ({})", dir,
                        existing.check.problem);
      if (std::optional<Retired> item = retire_locked(dir)) {
        ledger.adjust(-static_cast<std::int64_t>(item->size_bytes));
        retired.push_back(std::move(*item));
      }
    }
    throw IoError(fmt::format("cannot publish '{}' after {} attempts", dir,
                              k_publish_attempts),
                  EEXIST);
  }

  /// Adds the new entry to the ledger; over the cap, rescans and evicts.
  void account_put_locked(const Key& key, std::uint64_t added_bytes, std::vector<Retired>& retired,
                          bool recount) const {
    const auto now = Clock::now();
    const std::int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                      now.time_since_epoch()).count();
    const std::optional<LedgerTotal> recorded = ledger.read();
    const bool stale = recount || !recorded || now_unix - recorded->last_scan_unix >
                                        std::chrono::duration_cast<std::chrono::seconds>(
                                            k_rescan_interval).count();
    if (!stale && recorded->total_size_bytes + added_bytes <= max_size_bytes) {
      ledger.write({recorded->total_size_bytes + added_bytes, recorded->last_scan_unix});
      return;
    }
    std::vector<StoredEntry> stored = scan_entries(entries);
    std::uint64_t total = total_size(stored);
    if (total > max_size_bytes) {
      // The entry just published goes last, and only if it alone is over the cap.
      const auto is_new = [&key](const StoredEntry& e) { return e.key == key; };
      std::vector<StoredEntry> newest;
      std::copy_if(stored.begin(), stored.end(), std::back_inserter(newest), is_new);
      stored.erase(std::remove_if(stored.begin(), stored.end(), is_new), stored.end());
      sort_least_recently_used_first(stored);
      const std::size_t removed = evict_locked(stored, total,
                                               max_size_bytes / 100 * k_evict_target_percent,
                                               retired);
      evict_locked(newest, total, max_size_bytes, retired);
      jitcu::log().debug("cache over its cap of {} bytes: evicted {} entries, {} bytes remain",
                         max_size_bytes, removed, total);
    }
    ledger.write({total, now_unix});
  }

  // --- maintenance -----------------------------------------------------------------------

  /// Runs `choose` on every stored entry under the ledger lock, retires what it returns,
  /// records the new exact total and returns how many entries went.
  template <class Choose>
  std::size_t prune(Choose choose) {
    clean_stale_tmp();
    std::vector<Retired> retired;
    std::size_t removed = 0;
    {
      const FileLock held = lock_ledger();
      std::vector<StoredEntry> stored = scan_entries(entries);
      sort_least_recently_used_first(stored);
      std::uint64_t total = total_size(stored);
      removed = choose(stored, total, retired);
      ledger.write({total, std::chrono::duration_cast<std::chrono::seconds>(
                               Clock::now().time_since_epoch()).count()});
      ::unlink(publishing_marker().c_str());  // a dead writer's entry is in this count
    }
    remove_trash(retired);
    return removed;
  }

  std::vector<FoundEntry> list() const {
    std::vector<FoundEntry> found;
    for (const StoredEntry& stored : scan_entries(entries)) {
      MetaRead read = read_meta(stored.dir, stored.key);
      if (read.absent || !read.check.entry) continue;
      FoundEntry entry = std::move(*read.check.entry);
      entry.dir = stored.dir.string();
      entry.last_used = stored.last_used;
      entry.total_size_bytes = stored.size_bytes;
      found.push_back(std::move(entry));
    }
    std::sort(found.begin(), found.end(), [](const FoundEntry& a, const FoundEntry& b) {
      if (a.created != b.created) return a.created > b.created;
      return a.key < b.key;
    });
    return found;
  }

  std::vector<VerifyResult> verify() const {
    std::vector<VerifyResult> results;
    for (const StoredEntry& stored : scan_entries(entries)) {
      if (std::optional<VerifyResult> result = verify_entry(stored)) results.push_back(*result);
    }
    std::sort(results.begin(), results.end(),
              [](const VerifyResult& a, const VerifyResult& b) { return a.key < b.key; });
    return results;
  }

  /// Checks meta.json and every blob; nullopt when the entry was removed meanwhile.
  static std::optional<VerifyResult> verify_entry(const StoredEntry& stored) {
    UniqueFd dir_fd = open_path(stored.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!dir_fd) return std::nullopt;
    VerifyResult result{stored.key, true, {}};
    const MetaCheck check = read_meta_at(dir_fd.get(), stored.key);
    if (!check.entry) {
      result.ok = false;
      result.problem = check.problem;
    } else {
      std::string bytes;
      for (const auto& [name, info] : check.entry->blobs) {
        const std::string problem = read_checked_blob(stored.dir, name, info, bytes);
        if (problem.empty()) continue;
        result.ok = false;
        result.problem += (result.problem.empty() ? "" : "; ") + problem;
      }
    }
    if (!result.ok && moved_away(dir_fd.get(), stored.dir)) return std::nullopt;
    return result;
  }
};

DiskStore::DiskStore(std::string root, std::uint64_t max_size_bytes)
    : root_(path_text::absolute(std::move(root))), max_size_bytes_(max_size_bytes) {
  state_ = std::make_unique<State>(root_, max_size_bytes_);
  if (!state_->made_before()) {  // a new cache, or one that lost parts: make and check it all
    state_->create_layout();
    state_->check_writable();
    state_->write_cachedir_tag();
  }
}

DiskStore::~DiskStore() = default;

fs::path DiskStore::entry_dir(const Key& key) const { return state_->entry_dir(key); }

std::string DiskStore::location() const { return root_; }

std::optional<FoundEntry> DiskStore::find(const Key& key) { return state_->find(key); }

std::optional<FoundEntry> DiskStore::find_quick(const Key& key) { return state_->find_quick(key); }

std::optional<FoundBlob> DiskStore::find_blob(const Key& key, std::string_view name) {
  FoundBlob found;
  switch (state_->find_blob_quick(key, name, found)) {
    case State::Quick::found: return found;
    case State::Quick::none: return std::nullopt;
    case State::Quick::unsure: break;
  }
  return Store::find_blob(key, name);  // find_quick() + read_blob(): they decide and report
}

std::optional<std::string> DiskStore::read_blob(const FoundEntry& entry, std::string_view name) {
  if (!is_valid_blob_name(name)) {
    throw std::invalid_argument(fmt::format("bad cache blob name '{}'", name));
  }
  return state_->read_blob(entry, std::string(name));
}

bool DiskStore::put(const Key& key, const NewEntry& entry) {
  validate_new_entry(entry);  // a programming error: throws std::invalid_argument
  try {
    return state_->put(key, entry);
  } catch (const IoError& error) {
    state_->warn_write_failure(error.what());
  } catch (const fs::filesystem_error& error) {
    state_->warn_write_failure(error.what());
  }
  return false;
}

void DiskStore::remove(const Key& key) {
  try {
    state_->discard(entry_dir(key));
  } catch (const std::runtime_error& error) {
    state_->warn_write_failure(error.what());
  }
}

std::unique_ptr<KeyLock> DiskStore::lock(const Key& key) {
  const std::string path =
      path_text::join(state_->locks, key.hex().substr(0, k_lock_stripe_hex_digits) + ".lock");
  try {
    try {
      return std::make_unique<DiskKeyLock>(FileLock::acquire(path));
    } catch (const IoError& error) {
      if (error.error_number() != ENOENT) throw;
      create_private_dirs(state_->locks);  // someone deleted locks/: make it again
      return std::make_unique<DiskKeyLock>(FileLock::acquire(path));
    }
  } catch (const IoError& error) {
    if (!state_->lock_failure_warned.exchange(true)) {
      jitcu::log().warn("{}; compiles of one kernel may run in several processes at once "
                        "(results stay correct)",
                        error.what());
    }
    return std::make_unique<NoopKeyLock>();
  }
}

std::vector<FoundEntry> DiskStore::list() { return state_->list(); }

std::vector<VerifyResult> DiskStore::verify() { return state_->verify(); }

StoreStats DiskStore::stats() {
  const std::vector<StoredEntry> stored = scan_entries(state_->entries);
  return StoreStats{stored.size(), total_size(stored), max_size_bytes_};
}

std::size_t DiskStore::prune_to_size(std::uint64_t max_size_bytes) {
  try {
    return state_->prune([&](std::vector<StoredEntry>& lru_first, std::uint64_t& total,
                             std::vector<Retired>& retired) {
      return state_->evict_locked(lru_first, total, max_size_bytes, retired);
    });
  } catch (const std::runtime_error& error) {
    state_->warn_write_failure(error.what());
    return 0;
  }
}

std::size_t DiskStore::prune_older_than(std::chrono::system_clock::time_point cutoff) {
  try {
    return state_->prune([&](std::vector<StoredEntry>& lru_first, std::uint64_t& total,
                             std::vector<Retired>& retired) {
      const auto first_kept = std::find_if(lru_first.begin(), lru_first.end(),
                                           [&](const StoredEntry& e) { return e.last_used >= cutoff; });
      return state_->retire_all_locked(lru_first.begin(), first_kept, total, retired);
    });
  } catch (const std::runtime_error& error) {
    state_->warn_write_failure(error.what());
    return 0;
  }
}

std::size_t DiskStore::clear() {
  try {
    return state_->prune([&](std::vector<StoredEntry>& lru_first, std::uint64_t& total,
                             std::vector<Retired>& retired) {
      return state_->retire_all_locked(lru_first.begin(), lru_first.end(), total, retired);
    });
  } catch (const std::runtime_error& error) {
    state_->warn_write_failure(error.what());
    return 0;
  }
}

}  // namespace jitcu::cache
