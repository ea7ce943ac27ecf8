#pragma once
// What every benchmark program shares: timing and statistics, JSON output, temporary folders,
// child processes timed from spawn to exit. No CUDA and no jitcu here: the raw floors use it too.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace bench {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC: comparable across processes
using Json = nlohmann::json;

/// Exit status of a program that needs a CUDA device and found none (as the gpu tests use).
constexpr int k_exit_no_device = 77;
/// Exit status of a program whose measurement failed or could not be trusted.
constexpr int k_exit_failure = 1;
/// Environment variable a parent sets to its monotonic clock (ns) just before spawning.
constexpr const char* k_spawn_ns_variable = "JITCU_BENCH_SPAWN_NS";

/// A measurement went wrong; main() prints it and exits with k_exit_failure.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The program needs a CUDA device; main() prints why and exits with k_exit_no_device.
class NoDevice : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws Failure(message) unless `condition`.
void require(bool condition, const std::string& message);

/// Milliseconds from `start` to `end`.
double ms_between(Clock::time_point start, Clock::time_point end);
/// Milliseconds from `start` to now.
double ms_since(Clock::time_point start);
/// The monotonic clock in nanoseconds (the same clock in every process on this machine).
std::int64_t monotonic_ns();
/// Milliseconds since the parent spawned this process (from k_spawn_ns_variable), if it said.
std::optional<double> ms_since_spawn();
/// Page faults this process has taken so far (minor and major): first-time code and data.
long page_faults();

/// Milliseconds and page faults of consecutive steps, for a child's breakdown of where time goes.
class Steps {
 public:
  Steps();
  /// Ends the step that began at the last mark (or construction) and names it.
  void mark(const std::string& step);
  /// {"step_ms": {step: ms, ...}, "step_faults": {step: n, ...}}
  Json json() const;

 private:
  struct Step {
    std::string name;
    double ms;
    long faults;
  };
  Clock::time_point last_;
  long last_faults_;
  std::vector<Step> steps_;  // plain records, made JSON at the end: marking stays cheap
};

/// Up to this many samples are kept in a measurement's JSON (to merge runs, or to look at).
constexpr std::size_t k_max_kept_samples = 64;
/// min, median, mean, max and count of samples, with their unit (and the samples themselves).
Json stats(std::vector<double> samples, std::string_view unit);
/// The samples a stats() object kept.
std::vector<double> samples_of(const Json& stats);
/// Appends the samples a stats() object kept to `to` (merging children's measurements).
void append_samples_of(std::vector<double>& to, const Json& stats);
/// The median of samples (throws Failure when empty).
double median(std::vector<double> samples);

/// An integer from the environment (e.g. JITCU_BENCH_REPS), else `fallback`; a malformed
/// value is a Failure rather than a silent default.
int env_int(const char* name, int fallback);

/// A new empty folder /tmp/jitcu-bench-<tag>-XXXXXX; removed when the TempDir goes, unless
/// JITCU_BENCH_KEEP=1.
class TempDir {
 public:
  explicit TempDir(std::string_view tag);
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The folder this executable lives in (its siblings are the other bench programs).
std::filesystem::path executable_dir();
/// A sibling bench program; Failure if it is not there.
std::filesystem::path sibling(std::string_view name);
/// True when a library whose path contains `name` is mapped into this process (/proc/self/maps).
bool library_mapped(std::string_view name);
/// `name` in a library opened with dlopen (`library` names it in the message); Failure if absent.
void* symbol_in(void* handle, std::string_view library, const char* name);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view text);

using EnvOverrides = std::vector<std::pair<std::string, std::string>>;

/// A child process started with posix_spawn, its stdout in a pipe.
class Child {
 public:
  /// Starts argv[0] (a path) with this process's environment plus `env`; stderr is shared
  /// with this process. Sets k_spawn_ns_variable to the clock right before the spawn.
  Child(const std::vector<std::string>& argv, const EnvOverrides& env);
  ~Child();  // kills and reaps a child that was never waited for
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& other) noexcept;
  Child& operator=(Child&&) = delete;

  struct Outcome {
    int exit_code = -1;   // the exit status, or -1 when killed by a signal
    int signal = 0;       // the signal that ended it, 0 if it exited
    double wall_ms = 0;   // from just before posix_spawn to reaped
    std::string out;      // everything it wrote to stdout
  };
  /// Reads its stdout until it exits; kills it after `timeout_s` (then a Failure).
  Outcome wait(double timeout_s);
  /// The command line, for messages.
  std::string command() const;

 private:
  std::vector<std::string> argv_;
  int pid_ = -1;
  int out_fd_ = -1;
  Clock::time_point started_;
};

/// Runs a child to completion; Failure unless it exits 0 and prints one JSON object.
/// Returns that object with "wall_ms" (spawn to exit) added.
Json run_json_child(const std::vector<std::string>& argv, const EnvOverrides& env, double timeout_s);
/// As run_json_child, for a child already started.
Json finish_json_child(Child& child, double timeout_s);

/// A program's whole output: {"program", "results": {}, "checks": {}, "notes": [], "info": {}}.
struct Report {
  explicit Report(std::string program);
  Json json;
  void result(const std::string& name, Json value) { json["results"][name] = std::move(value); }
  /// A named yes/no check; a false one also makes the program fail after printing.
  void check(const std::string& name, bool passed) { json["checks"][name] = passed; }
  void note(const std::string& text) { json["notes"].push_back(text); }
  void info(const std::string& name, Json value) { json["info"][name] = std::move(value); }
  /// Prints the JSON on stdout; returns k_exit_failure if a check failed, else 0.
  int print() const;
};

/// Runs `body` and turns what it throws into a message on stderr and an exit status:
/// NoDevice -> k_exit_no_device, anything else -> k_exit_failure.
int guarded_main(const char* program, int (*body)(int, char**), int argc, char** argv);

}  // namespace bench
