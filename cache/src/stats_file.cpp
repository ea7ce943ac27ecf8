#include "stats_file.hpp"

#include "file_lock.hpp"

#include <jitcu/base/log.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace jitcu::cache::detail {
namespace {

constexpr std::string_view k_header = "jitcu-stats 1\n";
constexpr int k_value_digits = 20;  // every uint64 fits: the file's size never changes
constexpr std::uint64_t k_read_limit_bytes = 4096;  // the file is ~400 bytes; more is garbage

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void append_line(std::string& text, std::string_view name, std::uint64_t value) {
  text += fmt::format("{} {:0{}}\n", name, value, k_value_digits);
}

std::string format_counters(const RecordedCounters& recorded) {
  std::string text(k_header);
  append_line(text, "zeroed_unix", static_cast<std::uint64_t>(std::max<std::int64_t>(recorded.zeroed_unix, 0)));
  for (const CounterField& field : k_counter_fields) append_line(text, field.name, recorded.counters.*field.member);
  return text;
}

/// Reads "<name> <20 digits>\n" at `at`; nullopt when the text is anything else.
std::optional<std::uint64_t> take_line(std::string_view text, std::size_t& at, std::string_view name) {
  const std::size_t length = name.size() + 1 + k_value_digits + 1;
  if (text.size() - at < length || text.compare(at, name.size(), name) != 0 || text[at + name.size()] != ' ' ||
      text[at + length - 1] != '\n')
    return std::nullopt;
  const char* digits = text.data() + at + name.size() + 1;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits, digits + k_value_digits, value);
  if (error != std::errc() || end != digits + k_value_digits) return std::nullopt;
  at += length;
  return value;
}

std::optional<RecordedCounters> parse_counters(std::string_view text) {
  if (!text.starts_with(k_header)) return std::nullopt;
  std::size_t at = k_header.size();
  RecordedCounters recorded;
  const auto zeroed = take_line(text, at, "zeroed_unix");
  if (!zeroed) return std::nullopt;
  recorded.zeroed_unix = static_cast<std::int64_t>(*zeroed);
  for (const CounterField& field : k_counter_fields) {
    const auto value = take_line(text, at, field.name);
    if (!value) return std::nullopt;
    recorded.counters.*field.member = *value;
  }
  if (at != text.size()) return std::nullopt;
  return recorded;
}

void pwrite_all(int fd, std::string_view bytes, const std::string& what) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t wrote = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      const int error = wrote < 0 ? errno : EIO;
      throw IoError(fmt::format("cannot write '{}': {}", what, errno_text(error)), error);
    }
    done += static_cast<std::size_t>(wrote);
  }
}

}  // namespace

StatsFile::StatsFile(std::string file, std::string lock_file, FileModes modes)
    : file_(std::move(file)), lock_file_(std::move(lock_file)), modes_(modes) {}

void StatsFile::add(const CacheCounters& delta) const { update(Change::add, delta); }

RecordedCounters StatsFile::read() const { return update(Change::none, {}); }

void StatsFile::zero() const { update(Change::zero, {}); }

/// The file as found under the lock: open or absent, and its counters or what is wrong with it.
struct StatsFile::Found {
  UniqueFd fd;
  std::optional<RecordedCounters> recorded;
  std::string problem;  // empty when the file is jitcu's, or absent
};

StatsFile::Found StatsFile::find_locked() const {
  Found found;
  found.fd = open_at(AT_FDCWD, file_.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK);
  if (!found.fd) {
    const int error = errno;
    if (error == ELOOP) found.problem = "is a symbolic link";
    else if (error != ENOENT) throw IoError(fmt::format("cannot open '{}': {}", file_, errno_text(error)), error);
    return found;
  }
  const bool shared = (modes_.file & 020) != 0;  // a shared cache's group writes it too
  struct stat info {};
  std::string text;
  if (::fstat(found.fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) found.problem = "is not a regular file";
  else if (!shared && info.st_uid != ::geteuid()) found.problem = fmt::format("belongs to uid {}", info.st_uid);
  else if (info.st_mode & (shared ? 002 : 022)) found.problem = "can be written by other users";
  else if (const int error = read_all(found.fd.get(), text, k_read_limit_bytes); error != 0)
    throw IoError(fmt::format("cannot read '{}': {}", file_, errno_text(error)), error);
  else if (!(found.recorded = parse_counters(text)))
    found.problem = "is not in jitcu's format (damaged, or written by something else)";
  return found;
}

void StatsFile::discard_locked(Found& found) const {
  jitcu::log().warn("jitcu's statistics file '{}' {}; replacing it, the counts start again from zero", file_,
                    found.problem);
  found.fd = UniqueFd();
  if (::unlink(file_.c_str()) != 0 && errno != ENOENT) {  // a link or FIFO goes, never what a link names
    const int error = errno;
    throw IoError(fmt::format("cannot replace '{}': {}", file_, errno_text(error)), error);
  }
}

void StatsFile::write_locked(Found& found, const RecordedCounters& recorded) const {
  if (!found.fd) {
    found.fd = open_at(AT_FDCWD, file_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, modes_.file);
    if (!found.fd) {
      const int error = errno;
      throw IoError(fmt::format("cannot create '{}': {}", file_, errno_text(error)), error);
    }
    ::fchmod(found.fd.get(), modes_.file);  // the umask may have taken bits away
  }
  pwrite_all(found.fd.get(), format_counters(recorded), file_);
}

RecordedCounters StatsFile::update(Change change, const CacheCounters& delta) const {
  const FileLock held = FileLock::acquire_remaking_folder(lock_file_, modes_);
  Found found = find_locked();
  const bool damaged = !found.problem.empty();
  if (damaged) discard_locked(found);
  RecordedCounters recorded = found.recorded.value_or(RecordedCounters{{}, unix_now()});
  if (change == Change::none && !damaged) return recorded;  // reading makes no file
  if (change == Change::add) recorded.counters += delta;
  if (change == Change::zero) recorded = RecordedCounters{{}, unix_now()};
  write_locked(found, recorded);
  return recorded;
}

}  // namespace jitcu::cache::detail
