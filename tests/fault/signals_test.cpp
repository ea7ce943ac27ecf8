// SIGTERM and SIGINT during NVRTC compiles, with real processes: NVRTC's own handler for them
// (exit() from inside the compile) used to hang the process holding the key's compile lock.
#include "engine_support.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace jitcu;
using namespace jitcu::test;
using namespace std::chrono_literals;

namespace {

// CUB's block algorithms: NVRTC's front end runs for most of the 1.5-3 s such a compile takes.
const std::string k_cub_source =
    "#include <cub/block/block_reduce.cuh>\n#include <cub/block/block_scan.cuh>\n"
    "#include <cub/block/block_radix_sort.cuh>\n"
    "__global__ void block_sum(const int* in, int* out) {\n"
    "  using Reduce = cub::BlockReduce<int, 128>;\n"
    "  __shared__ typename Reduce::TempStorage storage;\n"
    "  const int total = Reduce(storage).Sum(in[threadIdx.x] + ROUND);\n"
    "  if (threadIdx.x == 0) *out = total;\n"
    "}\n";

/// compile_child running SOURCE with a define, its output in a file, its signals as a shell's
/// foreground job has them (default dispositions, nothing blocked).
pid_t start_child(const std::filesystem::path& cache, const std::filesystem::path& source, const std::string& round,
                  const std::filesystem::path& output) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::FILE* out = std::fopen(output.c_str(), "w");
    if (out) dup2(fileno(out), 1), dup2(fileno(out), 2);
    setenv("JITCU_CACHE_DIR", cache.c_str(), 1);
    unsetenv("JITCU_DISABLE_CACHE");
    const std::string define = "ROUND=" + round;
    execl(JITCU_TEST_CHILD, JITCU_TEST_CHILD, source.c_str(), "--define", define.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

/// The child's wait status once it ends within `limit`; nullopt (and the child killed) if not.
std::optional<int> wait_within(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(5ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return std::nullopt;
}

CompileOptions round_options(const std::string& round) {
  CompileOptions options;
  options.defines.emplace_back("ROUND", round);
  return options;
}

/// Whether this process gets the key's compile lock within a second (the dead child's flock is gone).
bool lock_is_free(Engine& engine, const Source& source, const std::string& round) {
  const auto key = engine.key_record(source, round_options(round)).key();
  auto taken = std::async(std::launch::async, [&engine, key] { return engine.store().lock(key); });
  return taken.wait_for(1s) == std::future_status::ready;
}

}  // namespace

TEST_CASE("NVRTC never takes SIGTERM or SIGINT during a compile, and a host's handler keeps its flags") {
  struct sigaction host {}, old_term {}, old_int {};
  host.sa_sigaction = [](int, siginfo_t*, void*) {};
  host.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&host.sa_mask);
  REQUIRE(sigaction(SIGTERM, &host, &old_term) == 0);
  REQUIRE(sigaction(SIGINT, &host, &old_int) == 0);
  std::atomic<bool> compiling{true};
  std::atomic<int> foreign_handlers{0};
  std::thread watcher([&] {
    while (compiling) {
      for (const int signal_number : {SIGTERM, SIGINT}) {
        struct sigaction now {};
        sigaction(signal_number, nullptr, &now);
        // The kernel adds SA_RESTORER to what it reports; the handler and its own flags must stay.
        if (now.sa_sigaction != host.sa_sigaction || (now.sa_flags & host.sa_flags) != host.sa_flags) ++foreign_handlers;
      }
    }
  });
  TempDir cache;
  Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 0});
  const auto module = engine.compile(Source::string(k_cub_source, "signals.cu"), round_options("1"));
  compiling = false;
  watcher.join();
  CHECK(module.origin() == Origin::compiled);
  CHECK(foreign_handlers.load() == 0);  // NVRTC installs its own for its front end without the guard
  for (const int signal_number : {SIGTERM, SIGINT}) {
    struct sigaction now {};
    sigaction(signal_number, nullptr, &now);
    CHECK(reinterpret_cast<void*>(now.sa_sigaction) == reinterpret_cast<void*>(host.sa_sigaction));
    CHECK((now.sa_flags & SA_SIGINFO) != 0);  // NVRTC's own restore drops it
  }
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGINT, &old_int, nullptr);
}

TEST_CASE("20 SIGTERMs and 20 SIGINTs during CUB compiles: each process dies at once and frees the key") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache, work;
  const auto source_path = work / "signals.cu";
  write_file(source_path, k_cub_source);
  const Source source = Source::file(source_path);
  Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 0});
  int finished_first = 0;
  for (const int signal_number : {SIGTERM, SIGINT}) {
    for (int round = 0; round < 20; ++round) {
      const std::string name = std::to_string(signal_number) + "0" + std::to_string(round);
      const auto kill_after = std::chrono::milliseconds(rng() % 1501);
      INFO("signal " << signal_number << " round " << round << " after " << kill_after.count() << " ms");
      const auto output = work / ("child-" + name + ".txt");
      const pid_t pid = start_child(cache.path(), source_path, name, output);
      std::this_thread::sleep_for(kill_after);
      REQUIRE(kill(pid, signal_number) == 0);
      const auto status = wait_within(pid, 2s);
      INFO("child output:\n" << read_file(output));
      REQUIRE_MESSAGE(status.has_value(), "the child did not end within 2 s of the signal");
      if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
        ++finished_first;  // the compile beat the signal
      } else {
        CHECK(WIFSIGNALED(*status));
        if (WIFSIGNALED(*status)) CHECK(WTERMSIG(*status) == signal_number);
      }
      CHECK_MESSAGE(lock_is_free(engine, source, name), "the next compile of the key waited for the dead one's lock");
    }
  }
  MESSAGE(finished_first << " of 40 compiles finished before their signal");
  // The next compile of a killed key, in a new process, succeeds; the cache verifies.
  for (const std::string& name : {std::to_string(SIGTERM) + "07", std::to_string(SIGINT) + "013"}) {
    const auto next = run_process({JITCU_TEST_CHILD, source_path.string(), "--define", "ROUND=" + name},
                                  {{"JITCU_CACHE_DIR", cache.path().string()}, {"JITCU_DISABLE_CACHE", ""}});
    INFO("next compile of ROUND=" << name << ":\n" << next.output);
    CHECK(next.exit_code == 0);
    CHECK(output_field(next.output, "kernels") == "block_sum");
  }
  for (const auto& result : engine.store().disk()->verify()) CHECK_MESSAGE(result.ok, result.problem);
}
