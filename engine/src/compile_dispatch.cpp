#include "compile_dispatch.hpp"

#include "pch_store.hpp"

#include <jitcu/base/log.hpp>
#include <jitcu/error.hpp>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <thread>

namespace jitcu::detail {
namespace {

/// Counts one running compile in `count` for as long as it lives.
class InFlight {
 public:
  explicit InFlight(std::atomic<int>& count) : count_(count) { count_.fetch_add(1); }
  ~InFlight() { count_.fetch_sub(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int>& count_;
};

}  // namespace

CompileDispatch::CompileDispatch(int worker_processes, std::filesystem::path cache_dir)
    : worker_processes_(worker_processes), cache_dir_(std::move(cache_dir)) {}

CompileDispatch::~CompileDispatch() { stop(); }

void CompileDispatch::stop() {
  std::unique_ptr<WorkerPool> stopping;
  {
    std::lock_guard lock(pool_mutex_);
    stopping = std::move(pool_);
  }
  stopping.reset();  // runs what is queued, then joins its threads
}

int CompileDispatch::worker_count() const {
  if (worker_processes_ >= 0) return worker_processes_;
  if (const char* text = std::getenv("JITCU_WORKERS"); text && *text) {
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end == '\0' && value >= 0 && value <= 256) return static_cast<int>(value);
    log().warn("JITCU_WORKERS='{}' is not a number of processes (0-256); using the default", text);
  }
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 16u));
}

WorkerPool& CompileDispatch::pool() {
  std::lock_guard lock(pool_mutex_);
  if (pool_) return *pool_;
  const int workers = worker_count();
  if (workers == 0) {
    pool_ = std::make_unique<WorkerPool>(std::max(1u, std::thread::hardware_concurrency()), std::filesystem::path());
    return *pool_;
  }
  auto path = find_worker_executable();
  if (!cache_dir_.empty()) prune_pch_folder(worker_pch_folder(cache_dir_), pch_limit_bytes());
  pool_ = std::make_unique<WorkerPool>(static_cast<std::size_t>(workers), std::move(path));
  return *pool_;
}

NvrtcOutput CompileDispatch::run(NvrtcInput input, bool precompiled_headers_allowed, bool has_includes,
                                 const std::vector<HeaderDependency>& headers, bool user_memory_headers) {
  // NVRTC's automatic PCH (in this process) does not notice an edited user header: the next
  // compile reuses the old header's PCH, so only sources without user headers (on disk or in
  // memory) get it. A worker's PCH file is named by every user header's hash instead, in
  // memory too, and outlasts the worker.
  auto* worker = current_worker();
  WorkerPool* offload = worker ? nullptr : pool_for_concurrent_compile();
  const bool only_toolkit_headers = headers.empty() && !user_memory_headers;  // and jitcu's standard ones
  input.precompiled_headers = precompiled_headers_allowed && (worker || offload || only_toolkit_headers) && has_includes;
  if ((worker || offload) && input.precompiled_headers)
    input.pch_file = persistent_pch_stem(worker_pch_folder(cache_dir_), *input.text, input.options, headers, input.headers);
  if (worker) return worker->compile(input);
  if (offload) return compile_in_worker(*offload, input);
  return compile_here(input);
}

NvrtcOutput CompileDispatch::compile_here(const NvrtcInput& input) {
  const InFlight counted(compiling_here_);
  return nvrtc_compile(input);
}

// NVRTC contends with itself inside a process (docs/performance.md): one compile running in
// NVRTC here sends the next to a worker; ones only in workers do while a worker is free. A lone
// compile stays here (lowest latency), and so does every compile when workers are off or their
// executable cannot be found, and one on a pool thread (waiting for the pool could wait for itself).
WorkerPool* CompileDispatch::pool_for_concurrent_compile() {
  const bool one_here = compiling_here_.load() > 0;
  const int in_workers = compiling_in_workers_.load();
  if (!one_here && in_workers == 0) return nullptr;
  if (no_worker_binary_.load() || on_pool_thread()) return nullptr;
  const int workers = worker_count();
  if (workers == 0 || (!one_here && in_workers >= workers)) return nullptr;
  try {
    return &pool();
  } catch (const Error& error) {
    if (!no_worker_binary_.exchange(true)) log().debug("concurrent compiles stay in this process: {}", error.what());
    return nullptr;
  }
}

// A worker that dies or passes the deadline is an error, as for compile_async(): the compile is
// not retried here, where the same crash would take the user's process down.
NvrtcOutput CompileDispatch::compile_in_worker(WorkerPool& pool, const NvrtcInput& input) {
  const InFlight counted(compiling_in_workers_);
  std::promise<NvrtcOutput> result;
  auto output = result.get_future();
  pool.submit([&input, &result] {
    try {
      auto* worker = current_worker();  // null if its process could not start (warned)
      result.set_value(worker ? worker->compile(input) : nvrtc_compile(input));
    } catch (...) {
      result.set_exception(std::current_exception());
    }
  });
  return output.get();
}

}  // namespace jitcu::detail
