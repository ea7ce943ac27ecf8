#pragma once
// The engine: compiles sources through the cache and hands back modules.
#include <jitcu/cache/counters.hpp>
#include <jitcu/compile_result.hpp>
#include <jitcu/module.hpp>
#include <jitcu/options.hpp>
#include <jitcu/source.hpp>

#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jitcu {

namespace cache {
class KeyRecord;
class TieredStore;
}  // namespace cache

/// How an engine is set up; every field defaults to the environment.
struct EngineOptions {
  /// CUDA device ordinal; -1: $JITCU_DEVICE, else 0.
  int device = -1;
  /// Cache folder; empty: $JITCU_CACHE_DIR, $XDG_CACHE_HOME/jitcu, ~/.cache/jitcu.
  std::filesystem::path cache_dir{};
  /// false: keep results in memory only (as JITCU_DISABLE_CACHE=1 does).
  bool disk_cache = true;
  /// Size cap of the disk cache; 0: $JITCU_CACHE_MAX_SIZE, else 1 GiB.
  std::uint64_t cache_max_bytes = 0;
  /// A Redis shared by many machines, under the disk cache (docs/remote-cache.md):
  /// "redis://host:6379", "unix:///run/redis.sock"; empty: $JITCU_REMOTE_CACHE, else none.
  std::string remote_cache{};
  /// Precompiled headers, so a second header-heavy compile (CUB, cuda/std) skips parsing them
  /// again: in this process NVRTC's automatic -pch (sources without user headers); in compile
  /// workers, files in `<cache>/pch` that later processes' workers load too. Only sources with
  /// `#include` use them.
  bool precompiled_headers = true;
  /// Processes that compile_async and compile_many run NVRTC in (NVRTC contends with itself
  /// inside one process; workers also survive NVRTC crashes and can be killed at a deadline).
  /// -1: $JITCU_WORKERS, else the number of cores up to 16; 0: threads in this process.
  /// compile() runs NVRTC in the calling thread, unless another compile() of this engine is
  /// running (here, or in a worker while another worker is free): then it waits for a worker
  /// process to compile it (as compile_async would).
  int worker_processes = -1;
};

/// Compiles CUDA C++ with NVRTC through jitcu's cache. Thread-safe; one per process is typical.
/// Creating one touches neither CUDA nor NVRTC: both load on first need.
class Engine {
 public:
  /// An engine set up from the environment (EngineOptions{}).
  Engine();
  /// An engine set up by `options`.
  explicit Engine(EngineOptions options);
  /// Waits for its background compiles and stops its worker processes.
  ~Engine();
  /// Takes `other`'s state; modules from it stay valid.
  Engine(Engine&&) noexcept;
  /// Takes `other`'s state; this engine's own modules stay valid.
  Engine& operator=(Engine&&) noexcept;

  /// Compiles `source` (or finds it in the cache). Throws CompileError with NVRTC's log, the
  /// source name and the first error's line and excerpt; Error for a bad option or header.
  /// NVRTC runs in this thread, or in a worker process when another compile() of this engine
  /// is running (see EngineOptions::worker_processes).
  Module compile(const Source& source, const CompileOptions& options = {});

  /// Compiles in the background, in a worker process (unless workers are off); the future
  /// gives the Module or throws what compile() would. Throws Error at once if the worker
  /// executable is missing.
  std::future<Module> compile_async(Source source, CompileOptions options = {});
  /// Compiles all sources at once on the worker pool; the modules in order. Waits for every
  /// compile, then throws the first error if any failed.
  std::vector<Module> compile_many(const std::vector<Source>& sources, const CompileOptions& options = {});
  /// Compiles all sources at once on the worker pool, as compile_many does, but gives one
  /// result per source, in order: its Module or the error it threw (compile_batch.cpp).
  /// `on_progress`, if set, runs on this thread each time a source finishes.
  std::vector<CompileResult> compile_each(const std::vector<Source>& sources, const CompileOptions& options = {},
                                          const CompileProgressCallback& on_progress = {});

  /// Compiles each source as relocatable device code (-rdc=true) and links them with
  /// nvJitLink into one module, so a __device__ function defined in one file can be called
  /// from another; cached like a compile. CompileOptions apply to every source (name
  /// expressions are not supported here: instantiate templates explicitly). Throws
  /// CompileError for a source that does not compile or a link that fails.
  Module link(const std::vector<Source>& sources, const CompileOptions& options = {},
              const LinkOptions& link_options = {});

  /// The cache key record `compile(source, options)` would use, without compiling: every
  /// input (NVRTC build, arch, source hash, each option, each user header's hash), one field
  /// each. For `cache explain`; include <jitcu/cache/key.hpp> to use it.
  cache::KeyRecord key_record(const Source& source, const CompileOptions& options = {});

  /// The arch a compile gets when CompileOptions::arch is empty: the device's "sm_XY", else
  /// $JITCU_ARCH, else "sm_90" when no GPU can be found.
  std::string default_arch() const;
  /// The cache this engine uses (include <jitcu/cache/tiered_store.hpp> to use it).
  cache::TieredStore& store();
  /// What this engine's cache did in this process: hits by tier, misses, NVRTC runs and their
  /// time, time saved, damage, evictions. Counted in memory (a hit pays no I/O for it) and
  /// added to the cache folder's totals (`jitcu cache stats`) after each compile and when the
  /// engine is destroyed; a process killed before then loses its unflushed counts.
  cache::CacheCounters stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared: modules compile template instantiations through it
};

}  // namespace jitcu
