#pragma once
// Helpers shared by the cache suites: captured log lines, entries, files, child processes.
#include "test_support.hpp"

#include <jitcu/base/log.hpp>
#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/key.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace jitcu::test {

/// Everything logged through the "jitcu" logger, kept so tests can check warnings.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Line {
    spdlog::level::level_enum level;
    std::string text;
  };
  std::vector<Line> take_all() {
    const std::lock_guard guard(mutex_);
    return lines_;
  }
  void reset() {
    const std::lock_guard guard(mutex_);
    lines_.clear();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size())});
    if (std::getenv("JITCU_TEST_ECHO_LOG")) {
      std::fprintf(stderr, "[log %d] %.*s\n", static_cast<int>(msg.level),
                   static_cast<int>(msg.payload.size()), msg.payload.data());
    }
  }
  void flush_() override {}

 private:
  std::vector<Line> lines_;
};

/// Registered as "jitcu" before main(), so jitcu::log() adopts it (the host's logger wins).
/// A child run that tests the real logger sets JITCU_TEST_REAL_LOGGER to skip this.
inline std::shared_ptr<CaptureSink> capture_sink() {
  static const std::shared_ptr<CaptureSink> sink = [] {
    auto made = std::make_shared<CaptureSink>();
    if (std::getenv("JITCU_TEST_REAL_LOGGER") == nullptr) {
      auto logger = std::make_shared<spdlog::logger>("jitcu", made);
      logger->set_level(spdlog::level::debug);
      spdlog::register_logger(logger);
    }
    return made;
  }();
  return sink;
}
inline const bool capture_registered = (capture_sink(), true);

/// Forgets what was logged so far; call at the start of a check.
inline void clear_log() { capture_sink()->reset(); }

/// Messages at warn level or above since the last clear_log().
inline std::vector<std::string> warnings() {
  std::vector<std::string> found;
  for (const auto& line : capture_sink()->take_all()) {
    if (line.level >= spdlog::level::warn) found.push_back(line.text);
  }
  return found;
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

inline std::string random_bytes(std::mt19937_64& rng, std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; i += 8) {
    const std::uint64_t word = rng();
    std::memcpy(bytes.data() + i, &word, std::min<std::size_t>(8, size - i));
  }
  return bytes;
}

inline cache::Key random_key(std::mt19937_64& rng) {
  cache::Digest digest{};
  for (auto& byte : digest) byte = static_cast<std::uint8_t>(rng() & 0xff);
  return cache::Key(digest);
}

/// `value` as exactly `width` decimal digits, so that entries of one shape have one size.
inline std::string padded(std::uint64_t value, int width = 20) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*llu", width, static_cast<unsigned long long>(value % 10'000'000'000'000'000'000ull));
  return text;
}

/// The blobs a load can return, as the engine stores them (the image is the cubin).
inline const std::vector<std::string>& loadable_blobs() {
  static const std::vector<std::string> names{"sm_90.cubin", "program.ptx", "log.txt", "source.cu"};
  return names;
}

/// An entry of `key` shaped like the engine's: a record with two kernels, a name expression and
/// the key's fields, and four blobs (a binary cubin of `cubin_bytes`, PTX, a log, the source).
/// Every entry of one `cubin_bytes` has the same size, whatever `rng` gives.
inline cache::Entry random_entry(std::mt19937_64& rng, const cache::Key& key, std::size_t cubin_bytes = 4096) {
  cache::EntryRecord record;
  record.key = key;
  record.created_unix_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(rng() % 100'000'000'000'000'000);
  record.source_name = "vector_ops.cu";
  record.arch = "sm_90";
  record.image = "sm_90.cubin";
  record.compile_ms = 125.25;
  record.key_fields = {{"key_format", std::to_string(cache::k_key_format_version)},
                       {"source", padded(rng())},
                       {"option", "-arch=sm_90"}};
  record.name_expressions = {{"scale<float>", "_Z5scaleIfEvPT_S0_m"}};
  record.kernels = {
      {"_Z5scaleIfEvPT_S0_m", "scale<float>", {{8, 2, "u64"}, {4, 1, "f32"}, {8, 0, "u64"}},
       cache::KernelResources{16, 0, 0, 0, 0}},
      {"multiply", "multiply", {{8, 2, "u64"}, {12, 3, "b8[12]"}}, std::nullopt}};
  std::map<std::string, std::string> blobs;
  blobs["sm_90.cubin"] = random_bytes(rng, cubin_bytes);
  blobs["program.ptx"] = ".version 8.0\n.target sm_90\n// " + padded(rng()) + "\n";
  blobs["log.txt"] = "ptxas info: " + padded(rng()) + "\n";
  blobs["source.cu"] = "extern \"C\" __global__ void multiply() {} // " + padded(rng()) + "\n";
  return cache::make_entry(std::move(record), std::move(blobs));
}

/// The same entry every time for one key (so other processes can check what they read);
/// the cubin's size comes from the key too unless given.
inline cache::Entry entry_for_key(const cache::Key& key, std::size_t cubin_bytes = 0) {
  std::uint64_t seed = 0;
  for (int i = 0; i < 8; ++i) seed = (seed << 8) | key.digest()[static_cast<std::size_t>(i)];
  std::mt19937_64 rng(seed);
  if (cubin_bytes == 0) cubin_bytes = 1000 + rng() % 30'000;
  return random_entry(rng, key, cubin_bytes);
}

/// `expected` as a get() with `selection` should return it: the whole record, the selected blobs.
inline cache::Entry selected(const cache::Entry& expected, const cache::BlobSelection& selection) {
  cache::Entry out{expected.record, {}};
  for (const auto& [name, bytes] : expected.blobs)
    if (selection.wants(name)) out.blobs.emplace(name, bytes);
  return out;
}

/// True when `found` is `expected` exactly: the same record and the same blobs, byte for byte.
inline bool same_entry(const std::optional<cache::Entry>& found, const cache::Entry& expected) {
  return found && found->record == expected.record && found->blobs == expected.blobs;
}

/// The sizes of a disk tier's entries (every file of each), by key.
inline std::map<cache::Key, std::uint64_t> entry_sizes(cache::DiskTier& tier) {
  std::map<cache::Key, std::uint64_t> sizes;
  for (const cache::ListedEntry& listed : tier.list()) sizes[listed.record.key] = listed.total_size_bytes;
  return sizes;
}

/// <root>/size's recorded total.
inline std::uint64_t ledger_total(const std::filesystem::path& root) {
  return nlohmann::json::parse(read_file(root / "size"))["total_size_bytes"].get<std::uint64_t>();
}

/// Damages a file as a failing disk might: truncates it, or flips one byte.
inline void damage_file_bytes(const std::filesystem::path& path, bool truncate, std::mt19937_64& rng) {
  std::string bytes = read_file(path);
  REQUIRE_FALSE(bytes.empty());
  if (truncate) {
    bytes.resize(rng() % bytes.size());
  } else {
    const std::size_t at = rng() % bytes.size();
    bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + rng() % 255));
  }
  write_file(path, bytes);
}

inline void set_mtime(const std::filesystem::path& path, std::chrono::system_clock::time_point when) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  const struct timespec times[2] = {{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)},
                                    {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

inline std::chrono::system_clock::time_point mtime_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(info.st_mtim.tv_sec) + std::chrono::nanoseconds(info.st_mtim.tv_nsec)));
}

inline unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

inline std::size_t count_children(const std::filesystem::path& dir) {
  std::error_code error;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) ++count;
  return count;
}

/// Forks a child that runs `body` and _exit()s with its result (never returns into doctest).
inline pid_t fork_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "child %d: %s\n", ::getpid(), error.what());
      code = 98;
    } catch (...) {
      code = 97;
    }
    ::_exit(code);
  }
  return pid;
}

/// Waits for a child; its exit code, or 128 + signal.
inline int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Waits up to `limit` for a child; nullopt if it is still running.
inline std::optional<int> wait_child_for(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace jitcu::test
