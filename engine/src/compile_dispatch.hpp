#pragma once
// Where an engine's NVRTC runs: in the calling thread, or in a worker process of its pool
// (compile_async, compile_many, and a compile() that meets another one of this engine).
#include "headers.hpp"
#include "nvrtc.hpp"
#include "worker_pool.hpp"

#include <jitcu/engine.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>

namespace jitcu::detail {

class CompileDispatch {
 public:
  CompileDispatch(int worker_processes, std::filesystem::path cache_dir);
  ~CompileDispatch();

  /// Runs `input` here, or in a worker when another compile of this engine is running.
  /// `input.pch_file` is filled for a worker when precompiled headers are wanted.
  /// `user_memory_headers`: some of `input.headers` are the user's (the others are jitcu's
  /// standard headers, whose texts never change).
  NvrtcOutput run(NvrtcInput input, bool precompiled_headers_allowed, bool has_includes,
                  const std::vector<HeaderDependency>& headers, bool user_memory_headers);
  /// The pool async and batch compiles run on, started on first use.
  WorkerPool& pool();
  /// Finishes what is queued and joins the pool's threads.
  void stop();

 private:
  int worker_count() const;
  WorkerPool* pool_for_concurrent_compile();
  NvrtcOutput compile_here(const NvrtcInput& input);
  NvrtcOutput compile_in_worker(WorkerPool& pool, const NvrtcInput& input);

  const int worker_processes_;  // -1: $JITCU_WORKERS, else the cores up to 16
  const std::filesystem::path cache_dir_;  // empty when the cache is in memory only
  std::mutex pool_mutex_;
  std::unique_ptr<WorkerPool> pool_;
  std::atomic<int> compiling_here_{0};        // NVRTC compiles running in this process
  std::atomic<int> compiling_in_workers_{0};  // plain compile()s handed to workers
  std::atomic<bool> no_worker_binary_{false}; // plain compiles then stay in this process
};

}  // namespace jitcu::detail
