#pragma once
// A pool of threads, each with a `jitcu-worker` process of its own, for async and batch compiles.
#include "nvrtc.hpp"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace jitcu::detail {

/// One worker process and the pipes to it; killed (SIGKILL) when it misbehaves.
class WorkerProcess {
 public:
  /// Starts `path` with ASLR off. Throws Error if it cannot be started.
  explicit WorkerProcess(const std::filesystem::path& path);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  /// Runs one compile. Throws CompileCancelled past the deadline or on cancel (the worker is
  /// killed), Error when the worker dies; either way this object is then dead(). A worker
  /// that dies using a precompiled header is started again and compiles without it.
  NvrtcOutput compile(const NvrtcInput& input);
  bool dead() const { return pid_ <= 0; }

 private:
  void start();
  void close_pipes();
  void kill_and_reap(const char* why);
  NvrtcOutput compile_again_without_pch(const NvrtcInput& input);
  std::filesystem::path path_;
  int pid_ = -1;
  int to_worker_ = -1;
  int from_worker_ = -1;
  int exit_status_ = 0;
};

/// The worker process of the calling pool thread; nullptr on any other thread (compile in-process).
WorkerProcess* current_worker();
/// True on a pool's thread, also one whose worker could not start (it compiles in-process).
bool on_pool_thread();

/// Runs jobs on `threads` threads; with a worker path, each thread lazily starts a worker
/// process that current_worker() returns while its jobs run.
class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::filesystem::path worker_path);
  ~WorkerPool();
  void submit(std::function<void()> job);

 private:
  void run(std::stop_token stop);
  std::filesystem::path worker_path_;
  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::jthread> threads_;
};

/// The worker executable: $JITCU_WORKER, else the one installed with this jitcu (found from
/// the file jitcu's code was loaded from), else the one next to it (a build tree); worker_path.cpp.
/// Throws Error naming where it looked when none is executable.
std::filesystem::path find_worker_executable();

}  // namespace jitcu::detail
