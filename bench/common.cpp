#include "common.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>

extern char** environ;

namespace bench {
namespace fs = std::filesystem;

void require(bool condition, const std::string& message) {
  if (!condition) throw Failure(message);
}

double ms_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

double ms_since(Clock::time_point start) { return ms_between(start, Clock::now()); }

std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::optional<double> ms_since_spawn() {
  const char* text = std::getenv(k_spawn_ns_variable);
  if (!text || !*text) return std::nullopt;
  std::int64_t spawned = 0;
  const auto [end, error] = std::from_chars(text, text + std::strlen(text), spawned);
  if (error != std::errc() || *end != '\0') return std::nullopt;
  return static_cast<double>(monotonic_ns() - spawned) / 1e6;
}

long page_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt + usage.ru_majflt;
}

Steps::Steps() : last_(Clock::now()), last_faults_(page_faults()) { steps_.reserve(16); }

void Steps::mark(const std::string& step) {
  const auto now = Clock::now();
  const long faults = page_faults();
  steps_.push_back({step, ms_between(last_, now), faults - last_faults_});
  last_ = Clock::now();  // the getrusage call is not part of the next step
  last_faults_ = faults;
}

Json Steps::json() const {
  Json ms = Json::object(), faults = Json::object();
  for (const auto& step : steps_) {
    ms[step.name] = step.ms;
    faults[step.name] = step.faults;
  }
  return Json{{"step_ms", ms}, {"step_faults", faults}};
}

double median(std::vector<double> samples) {
  require(!samples.empty(), "median of no samples");
  std::sort(samples.begin(), samples.end());
  const std::size_t mid = samples.size() / 2;
  return samples.size() % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
}

std::vector<double> samples_of(const Json& stats) {
  require(stats.contains("samples"), "a measurement kept no samples");
  return stats["samples"].get<std::vector<double>>();
}

void append_samples_of(std::vector<double>& to, const Json& stats) {
  const std::vector<double> more = samples_of(stats);
  to.insert(to.end(), more.begin(), more.end());
}

Json stats(std::vector<double> samples, std::string_view unit) {
  require(!samples.empty(), "no samples for a measurement in " + std::string(unit));
  for (double s : samples) require(std::isfinite(s) && s >= 0, "a sample is negative or not finite");
  std::sort(samples.begin(), samples.end());
  const double sum = std::accumulate(samples.begin(), samples.end(), 0.0);
  Json json{{"unit", unit},
            {"min", samples.front()},
            {"median", median(samples)},
            {"mean", sum / static_cast<double>(samples.size())},
            {"max", samples.back()},
            {"count", samples.size()}};
  if (samples.size() <= k_max_kept_samples) json["samples"] = samples;
  return json;
}

int env_int(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  int value = 0;
  const auto [end, error] = std::from_chars(text, text + std::strlen(text), value);
  require(error == std::errc() && *end == '\0' && value > 0,
          std::string(name) + "='" + text + "' is not a positive integer");
  return value;
}

TempDir::TempDir(std::string_view tag) {
  std::string pattern = (fs::temp_directory_path() / ("jitcu-bench-" + std::string(tag) + "-XXXXXX")).string();
  require(::mkdtemp(pattern.data()) != nullptr,
          "cannot create a temporary folder like '" + pattern + "': " + std::strerror(errno));
  path_ = pattern;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir::~TempDir() {
  if (path_.empty()) return;
  const char* keep = std::getenv("JITCU_BENCH_KEEP");
  if (keep && std::string_view(keep) == "1") return;
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

fs::path executable_dir() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  require(!error, "cannot read /proc/self/exe: " + error.message());
  return self.parent_path();
}

fs::path sibling(std::string_view name) {
  const fs::path path = executable_dir() / name;
  require(::access(path.c_str(), X_OK) == 0,
          "the bench program '" + path.string() + "' is missing or not executable; build the bench/ targets");
  return path;
}

bool library_mapped(std::string_view name) {
  std::ifstream maps("/proc/self/maps");
  require(static_cast<bool>(maps), "cannot read /proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos) return true;
  return false;
}

void* symbol_in(void* handle, std::string_view library, const char* name) {
  void* found = dlsym(handle, name);
  require(found != nullptr, std::string(library) + " has no " + name);
  return found;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  require(static_cast<bool>(in), "cannot read '" + path.string() + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  require(static_cast<bool>(out), "cannot write '" + path.string() + "'");
}

// --- child processes ---------------------------------------------------------------------

Child::Child(const std::vector<std::string>& argv, const EnvOverrides& env) : argv_(argv) {
  require(!argv.empty(), "a child needs a command");
  EnvOverrides all = env;
  all.emplace_back(k_spawn_ns_variable, "");  // filled right before the spawn
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    const bool overridden =
        std::any_of(all.begin(), all.end(), [&](const auto& o) { return o.first == name; });
    if (!overridden) env_text.emplace_back(entry);
  }
  for (const auto& [name, value] : env) env_text.push_back(name + "=" + value);

  int fds[2];
  require(::pipe2(fds, O_CLOEXEC) == 0, std::string("pipe2 failed: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);

  std::vector<char*> args;
  for (const auto& a : argv_) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  started_ = Clock::now();
  env_text.push_back(std::string(k_spawn_ns_variable) + "=" +
                     std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        started_.time_since_epoch()).count()));
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw Failure("cannot start '" + argv_[0] + "': " + std::strerror(rc));
  }
  pid_ = pid;
  out_fd_ = fds[0];
}

Child::Child(Child&& other) noexcept
    : argv_(std::move(other.argv_)),
      pid_(std::exchange(other.pid_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      started_(other.started_) {}

Child::~Child() {
  if (out_fd_ >= 0) ::close(out_fd_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string Child::command() const {
  std::string text;
  for (const auto& a : argv_) text += (text.empty() ? "" : " ") + a;
  return text;
}

Child::Outcome Child::wait(double timeout_s) {
  require(pid_ > 0, "waiting for a child twice");
  Outcome outcome;
  const auto deadline = started_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  char buffer[65536];
  while (true) {
    const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left_ms <= 0) {
      ::kill(pid_, SIGKILL);
      throw Failure("'" + command() + "' ran longer than " + std::to_string(timeout_s) + " s; killed it");
    }
    pollfd fd{out_fd_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left_ms, 1000)));
    if (ready < 0 && errno == EINTR) continue;
    require(ready >= 0, std::string("poll failed: ") + std::strerror(errno));
    if (ready == 0) continue;
    const ssize_t got = ::read(out_fd_, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    require(got >= 0, std::string("reading a child's output failed: ") + std::strerror(errno));
    if (got == 0) break;  // the child closed stdout: it is exiting
    outcome.out.append(buffer, static_cast<std::size_t>(got));
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    require(errno == EINTR, std::string("waitpid failed: ") + std::strerror(errno));
  }
  outcome.wall_ms = ms_since(started_);
  pid_ = -1;
  ::close(out_fd_);
  out_fd_ = -1;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

Json finish_json_child(Child& child, double timeout_s) {
  const std::string command = child.command();
  const Child::Outcome outcome = child.wait(timeout_s);
  if (outcome.signal)
    throw Failure("'" + command + "' was killed by signal " + std::to_string(outcome.signal) + " (" +
                  strsignal(outcome.signal) + ")");
  if (outcome.exit_code == k_exit_no_device) throw NoDevice("'" + command + "' found no CUDA device");
  if (outcome.exit_code != 0)
    throw Failure("'" + command + "' exited with status " + std::to_string(outcome.exit_code) +
                  " (its stderr is above)");
  Json json;
  try {
    json = Json::parse(outcome.out);
  } catch (const std::exception& error) {
    throw Failure("'" + command + "' printed no JSON object (" + error.what() + "): " + outcome.out.substr(0, 400));
  }
  require(json.is_object(), "'" + command + "' printed JSON that is not an object");
  json["wall_ms"] = outcome.wall_ms;
  return json;
}

Json run_json_child(const std::vector<std::string>& argv, const EnvOverrides& env, double timeout_s) {
  Child child(argv, env);
  return finish_json_child(child, timeout_s);
}

// --- reports -----------------------------------------------------------------------------

Report::Report(std::string program)
    : json{{"program", std::move(program)},
           {"results", Json::object()},
           {"checks", Json::object()},
           {"notes", Json::array()},
           {"info", Json::object()}} {}

int Report::print() const {
  std::cout << json.dump(1) << std::endl;
  for (const auto& [name, passed] : json["checks"].items()) {
    if (!passed.get<bool>()) {
      std::cerr << json["program"].get<std::string>() << ": check '" << name << "' FAILED\n";
      return k_exit_failure;
    }
  }
  return 0;
}

int guarded_main(const char* program, int (*body)(int, char**), int argc, char** argv) {
  try {
    return body(argc, argv);
  } catch (const NoDevice& error) {
    std::cerr << program << ": SKIPPED, needs a CUDA device: " << error.what() << "\n";
    return k_exit_no_device;
  } catch (const std::exception& error) {
    std::cerr << program << ": error: " << error.what() << "\n";
    return k_exit_failure;
  }
}

}  // namespace bench
