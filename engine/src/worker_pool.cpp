#include "worker_pool.hpp"

#include "pch_store.hpp"
#include "worker_protocol.hpp"

#include <jitcu/base/log.hpp>
#include <jitcu/error.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

thread_local WorkerProcess* t_worker = nullptr;
thread_local bool t_on_pool_thread = false;

constexpr int k_poll_slice_ms = 50;  // how often a waiting compile looks at its cancel flag

// "was killed by signal 7 (Bus error)" / "exited with status 1", from waitpid's status.
std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

// The vfork child: system calls only (it runs on the parent's memory), in a frame of its own.
[[noreturn]] void exec_worker(const char* path, int input, int output) noexcept {
  const int persona = personality(0xffffffff);  // keep the parent's other flags
  personality(static_cast<unsigned long>(persona == -1 ? 0 : persona) | ADDR_NO_RANDOMIZE);
  dup2(input, 0);
  dup2(output, 1);
  execl(path, "jitcu-worker", static_cast<char*>(nullptr));
  _exit(127);
}

}  // namespace

WorkerProcess::WorkerProcess(const std::filesystem::path& path) : path_(path) { start(); }

void WorkerProcess::start() {
  const auto& path = path_;
  int to[2], from[2];
  if (pipe2(to, O_CLOEXEC) != 0) throw Error(fmt::format("cannot start {}: pipe: {}", path.string(), std::strerror(errno)));
  if (pipe2(from, O_CLOEXEC) != 0) {
    close(to[0]);
    close(to[1]);
    throw Error(fmt::format("cannot start {}: pipe: {}", path.string(), std::strerror(errno)));
  }
  // vfork: the child borrows this process's memory until exec instead of copying its page
  // tables, which for a large host process costs milliseconds a worker and serialises the
  // workers' start (fork takes the address-space lock).
  const pid_t pid = vfork();
  if (pid == 0) exec_worker(path.c_str(), to[0], from[1]);
  close(to[0]);
  close(from[1]);
  if (pid < 0) {
    close(to[1]);
    close(from[0]);
    throw Error(fmt::format("cannot start {}: vfork: {}", path.string(), std::strerror(errno)));
  }
  pid_ = pid;
  to_worker_ = to[1];
  from_worker_ = from[0];
}

void WorkerProcess::close_pipes() {
  if (to_worker_ >= 0) close(to_worker_);  // end of input: the worker exits
  if (from_worker_ >= 0) close(from_worker_);
  to_worker_ = from_worker_ = -1;
}

WorkerProcess::~WorkerProcess() {
  close_pipes();
  if (pid_ > 0) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void WorkerProcess::kill_and_reap(const char* why) {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  while (waitpid(pid_, &exit_status_, 0) < 0 && errno == EINTR) {
  }
  log().debug("compile worker {} stopped: {}", pid_, why);
  pid_ = -1;
}

NvrtcOutput WorkerProcess::compile(const NvrtcInput& input) {
  WorkerRequest request{*input.text, *input.name, input.options, input.name_expressions, input.pch_file,
                        {input.headers.begin(), input.headers.end()}};
  const int pid = pid_;
  auto died = [&](const char* doing) {
    kill_and_reap(doing);
    const std::string how = describe_exit(exit_status_);
    return Error(fmt::format("the compile worker (pid {}) {} while {} {}; nothing was cached and this process is "
                             "unharmed. If it happens again, NVRTC may be crashing on this source: compile it in "
                             "this process to see (EngineOptions{{.worker_processes = 0}})",
                             pid, how, doing, *input.name));
  };
  if (!write_request(to_worker_, request)) throw died("sending");
  while (true) {
    int timeout_ms = k_poll_slice_ms;
    if (input.deadline != std::chrono::steady_clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(input.deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        kill_and_reap("past its deadline");
        NvrtcOutput cancelled;
        cancelled.cancelled = true;
        return cancelled;
      }
      timeout_ms = static_cast<int>(std::min<long long>(left, k_poll_slice_ms));
    }
    if (input.cancel && input.cancel->load()) {
      kill_and_reap("cancelled");
      NvrtcOutput cancelled;
      cancelled.cancelled = true;
      return cancelled;
    }
    pollfd ready{from_worker_, POLLIN, 0};
    const int polled = poll(&ready, 1, timeout_ms);
    if (polled < 0 && errno != EINTR) throw died("waiting for");
    if (polled > 0) break;
  }
  auto output = read_response(from_worker_);
  if (!output && !input.pch_file.empty()) return compile_again_without_pch(input);
  if (!output) throw died("compiling");
  report_pch_use(*input.name, *output);
  return std::move(*output);
}

// A damaged PCH file can crash NVRTC (a truncated one: SIGBUS as it reads past the end), so
// a worker that died using one gets the file removed and the compile once more without it.
NvrtcOutput WorkerProcess::compile_again_without_pch(const NvrtcInput& input) {
  const int pid = pid_;
  kill_and_reap("died compiling with a precompiled header");
  const std::string how = describe_exit(exit_status_);
  forget_pch(input.pch_file);
  log().warn("the compile worker (pid {}) {} compiling {} with the precompiled header {}-*.pch; removed it and "
             "compiling again without it", pid, how, *input.name, input.pch_file);
  close_pipes();
  start();
  auto without = input;
  without.pch_file.clear();
  return compile(without);
}

WorkerProcess* current_worker() { return t_worker; }

bool on_pool_thread() { return t_on_pool_thread; }

WorkerPool::WorkerPool(std::size_t threads, std::filesystem::path worker_path) : worker_path_(std::move(worker_path)) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this](std::stop_token stop) { run(stop); });
}

WorkerPool::~WorkerPool() {
  for (auto& thread : threads_) thread.request_stop();
  ready_.notify_all();
}  // jthreads join here; each thread's worker exits when its pipe closes

void WorkerPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void WorkerPool::run(std::stop_token stop) {
  t_on_pool_thread = true;
  std::unique_ptr<WorkerProcess> worker;
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      if (!ready_.wait(lock, stop, [this] { return !jobs_.empty(); })) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (!worker_path_.empty() && (!worker || worker->dead())) {
      try {
        worker = std::make_unique<WorkerProcess>(worker_path_);
      } catch (const Error& error) {
        log().warn("{}; compiling in this process instead", error.what());
        worker.reset();
      }
    }
    t_worker = worker.get();
    job();  // jobs catch their own exceptions into their promises
    t_worker = nullptr;
  }
}

}  // namespace jitcu::detail
