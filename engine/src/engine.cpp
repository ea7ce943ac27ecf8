#include "compatibility.hpp"
#include "device_runtime.hpp"
#include "diagnostics.hpp"
#include "driver.hpp"
#include "entry_codec.hpp"
#include "headers.hpp"
#include "linker.hpp"
#include "toolkit.hpp"
#include "worker_pool.hpp"
#include "nvrtc.hpp"
#include "pch_store.hpp"
#include "prepared_options.hpp"
#include "ptxas_info.hpp"

#include <jitcu/cache/log.hpp>
#include <jitcu/cache/open_store.hpp>
#include <jitcu/cache/sha256.hpp>
#include <jitcu/device.hpp>
#include <jitcu/engine.hpp>
#include <jitcu/error.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu {
namespace {

constexpr const char* k_arch_without_gpu = "sm_90";  // documented default when no GPU is found
constexpr std::int64_t k_racy_window_ns = 1'000'000'000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

/// A header's stat data, to notice an edit without reading it.
struct HeaderStamp {
  std::string path;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t inode = 0;

  static std::optional<HeaderStamp> of(const std::string& path) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) return std::nullopt;
    return HeaderStamp{path, info.st_size, info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec, info.st_ino};
  }
  bool operator==(const HeaderStamp&) const = default;
};

/// What a compile was asked for: kept once, shared by the in-process cache and the module's
/// instantiate() (two copies of the source were code and memory a cache hit paid for).
struct CompileInputs {
  Source source;
  CompileOptions options;
};

/// A compile this process has done, found again by its exact inputs.
struct Remembered {
  std::shared_ptr<const CompileInputs> inputs;
  std::shared_ptr<const detail::ModuleState> module;
  std::vector<HeaderStamp> headers;
  std::vector<std::string> absent;  // include candidates that did not exist: one appearing changes the result
  std::int64_t stamped_ns = 0;

  bool same_inputs(const Source& source, const CompileOptions& o) const {
    const auto& options = inputs->options;
    // The folder too: the same name from another working directory finds other headers.
    return inputs->source.name() == source.name() && inputs->source.text() == source.text() &&
           inputs->source.directory_string() == source.directory_string() && options.arch == o.arch &&
           options.std == o.std &&
           options.defines == o.defines && options.include_dirs == o.include_dirs &&
           options.name_expressions == o.name_expressions && options.extra == o.extra;
  }
  bool headers_unchanged() const {
    for (const auto& stamp : headers) {
      if (stamp.mtime_ns + k_racy_window_ns >= stamped_ns) return false;  // too fresh to trust
      if (HeaderStamp::of(stamp.path) != stamp) return false;
    }
    for (const auto& path : absent)
      if (HeaderStamp::of(path)) return false;
    return true;
  }
};

std::size_t hash_inputs(const Source& source, const CompileOptions& options) {
  std::hash<std::string_view> h;
  std::size_t seed = h(source.text()) ^ (h(source.name()) * 31) ^ (h(options.arch) * 131);
  for (const auto& [name, value] : options.defines) seed = seed * 1099511628211ULL ^ h(name) ^ (h(value) << 1);
  for (const auto& option : options.extra) seed = seed * 1099511628211ULL ^ h(option);
  for (const auto& expression : options.name_expressions) seed = seed * 1099511628211ULL ^ h(expression);
  return seed;
}

std::string log_warnings(const std::string& log) { return detail::without_ptxas_info(log); }

constexpr int k_newest_arch_known = 121;  // NVRTC 13.0's newest target; newer devices are checked

// A device newer than NVRTC knows gets NVRTC's newest target (as CuPy does): its cubin will
// not load there, so the driver JIT-compiles the PTX. Asking NVRTC costs loading it, so only
// devices newer than the newest target jitcu knows of ask.
std::string clamp_to_nvrtc(const std::string& device_arch) {
  const int wanted = std::stoi(device_arch.substr(3));
  if (wanted <= k_newest_arch_known) return device_arch;
  const auto choice = detail::choose_arch(wanted, detail::nvrtc_supported_archs());
  if (!choice.clamped) return device_arch;
  log().warn("this GPU is {} but NVRTC {}.{} targets at most sm_{}: compiling for sm_{}; the driver JIT-compiles its "
             "PTX for the GPU (update the CUDA toolkit for a native cubin)",
             device_arch, detail::nvrtc_version().first, detail::nvrtc_version().second, choice.sm, choice.sm);
  return fmt::format("sm_{}", choice.sm);
}

/// A module this process has for a key: `ready`, or being built by a thread (wait on `pending`).
struct KeyedModule {
  std::shared_ptr<const detail::ModuleState> ready;
  std::shared_future<std::shared_ptr<const detail::ModuleState>> pending;
};

}  // namespace

struct Engine::Impl {
  EngineOptions options;
  std::shared_ptr<cache::Store> store;

  std::mutex mutex;
  std::unordered_multimap<std::size_t, Remembered> remembered;  // by hash_inputs
  std::unordered_map<cache::Key, KeyedModule> by_key;

  std::mutex arch_mutex;  // a mutex, not std::call_once: less code on a cache hit's cold path
  std::string arch;       // empty until default_arch() first runs

  std::string cache_dir;  // empty when the cache is in memory only
  std::mutex pool_mutex;
  std::unique_ptr<detail::WorkerPool> pool;
  std::atomic<int> compiling_here{0};          // this engine's NVRTC compiles running in this process
  std::atomic<int> compiling_in_workers{0};    // plain compile()s this engine handed to workers
  std::atomic<bool> no_worker_binary{false};   // plain compiles then stay in this process

  explicit Impl(EngineOptions o) : options(std::move(o)) {
    auto config = cache::StoreConfig::from_env();
    if (!options.cache_dir.empty()) config.dir = options.cache_dir;
    if (!options.disk_cache) config.disk_enabled = false;
    if (options.cache_max_bytes) config.max_size_bytes = options.cache_max_bytes;
    store = cache::open_store(config);
    if (store->location() != "memory") cache_dir = config.dir;
  }

  ~Impl() { stop_pool(); }

  void stop_pool() {
    std::unique_ptr<detail::WorkerPool> stopping;
    {
      std::lock_guard lock(pool_mutex);
      stopping = std::move(pool);
    }
    stopping.reset();  // runs what is queued, then joins its threads
  }

  int worker_count() const {
    if (options.worker_processes >= 0) return options.worker_processes;
    if (const char* text = std::getenv("JITCU_WORKERS"); text && *text) {
      char* end = nullptr;
      const long value = std::strtol(text, &end, 10);
      if (*end == '\0' && value >= 0 && value <= 256) return static_cast<int>(value);
      log().warn("JITCU_WORKERS='{}' is not a number of processes (0-256); using the default", text);
    }
    return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 16u));
  }

  // The pool async and batch compiles run on, made on first use.
  detail::WorkerPool& worker_pool() {
    std::lock_guard lock(pool_mutex);
    if (pool) return *pool;
    const int workers = worker_count();
    if (workers == 0) {
      pool = std::make_unique<detail::WorkerPool>(std::max(1u, std::thread::hardware_concurrency()), std::filesystem::path());
      return *pool;
    }
    auto path = detail::find_worker_executable();
    if (!cache_dir.empty()) detail::prune_pch_folder(detail::worker_pch_folder(cache_dir), detail::pch_limit_bytes());
    pool = std::make_unique<detail::WorkerPool>(static_cast<std::size_t>(workers), std::move(path));
    return *pool;
  }

  std::pair<std::shared_ptr<const detail::ModuleState>, Origin> compile(const Source& source, const CompileOptions& wanted) {
    if (detail::needs_device_link(wanted)) return link({source}, detail::device_link_compile_options(wanted), detail::device_link_options(wanted));
    const auto start = std::chrono::steady_clock::now();
    const std::size_t hash = hash_inputs(source, wanted);
    if (auto module = find_remembered(source, wanted, hash)) return {std::move(module), Origin::process_cache};

    const auto prepared = detail::prepare_options(wanted, source, wanted.arch.empty() ? default_arch() : wanted.arch);
    const std::int64_t stamped_ns = now_ns();
    std::vector<std::filesystem::path> absent;
    const auto headers = detail::scan_headers(source, prepared.search, &absent);
    const auto record = detail::make_key_record(source, prepared, wanted.name_expressions, headers);
    const auto key = record.key();
    const auto inputs = std::make_shared<const CompileInputs>(CompileInputs{source, wanted});
    auto [module, origin] = module_for_key(
        key, detail::image_name_for(prepared.arch),
        [&] { return compile_and_store(key, source, prepared, wanted, record, headers); },
        [&](detail::ModuleState& made) { allow_instantiation(made, inputs); });
    remember(inputs, hash, headers, absent, stamped_ns, module);
    if (log_enabled(spdlog::level::debug))  // a hit that logs nothing never starts spdlog
      log().debug("{} {} (key {}): {} in {:.3f} ms", origin == Origin::compiled ? "miss" : "hit", source.name(),
                key.short_hex(),
                origin == Origin::compiled ? "compiled" : origin == Origin::disk_cache ? "disk cache" : "this process",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    return {std::move(module), origin};
  }

  std::pair<std::shared_ptr<const detail::ModuleState>, Origin> link(const std::vector<Source>& sources,
                                                                     const CompileOptions& wanted,
                                                                     const LinkOptions& how) {
    if (sources.empty()) throw Error("Engine::link needs at least one source");
    if (!wanted.name_expressions.empty())
      throw Error("Engine::link does not take name expressions: instantiate templates explicitly in the source "
                  "(template __global__ void k<float>(float*);) and find them by name (\"k<float>\")");
    auto rdc_options = wanted;
    rdc_options.extra.push_back("-rdc=true");
    if (how.lto) rdc_options.extra.push_back("-dlto");
    const std::string target = rdc_options.arch.empty() ? default_arch() : rdc_options.arch;
    detail::LinkPlan plan{how, {}, {}, {}, cache::KeyRecord()};
    plan.record.add("link", fmt::format("lto={} device_runtime={}", how.lto, how.device_runtime));
    for (const auto& source : sources) {
      plan.prepared.push_back(detail::prepare_options(rdc_options, source, target));
      plan.headers.push_back(detail::scan_headers(source, plan.prepared.back().search));
      const auto source_record = detail::make_key_record(source, plan.prepared.back(), {}, plan.headers.back());
      plan.record.add("source " + source.name(), source_record.key().hex());
    }
    if (plan.prepared.front().arch.rfind("sm_", 0) != 0)
      throw Error(fmt::format("Engine::link needs a real architecture (sm_XY), not {}", plan.prepared.front().arch));
    plan.sources = sources;
    const auto key = plan.record.key();
    return module_for_key(
        key, {},
        [&] {
          auto [module, entry] = detail::link_sources(key, plan);
          store_built(key, entry, *module);
          return module;
        },
        [](detail::ModuleState&) {});
  }

  // How a module asks for one more template instantiation of its own source.
  void allow_instantiation(detail::ModuleState& module, std::shared_ptr<const CompileInputs> inputs) {
    module.instantiate = [weak = weak_self, inputs = std::move(inputs)](const std::string& expression) {
      auto self = weak.lock();
      if (!self)
        throw Error(fmt::format("cannot instantiate '{}' from {}: the Engine that compiled it is gone; keep the "
                                "Engine alive or compile with CompileOptions::name_expressions",
                                expression, inputs->source.name()));
      auto with_expression = inputs->options;
      with_expression.name_expressions.push_back(expression);
      return self->compile(inputs->source, with_expression).first;
    };
  }

  std::weak_ptr<Impl> weak_self;

  int device() const { return options.device >= 0 ? options.device : detail::default_device_ordinal(); }

  const std::string& default_arch() {
    std::lock_guard lock(arch_mutex);
    if (!arch.empty()) return arch;
    if (cuda_available()) {
      arch = clamp_to_nvrtc(detail::device_arch(device()));
      return arch;
    }
    const char* forced = std::getenv("JITCU_ARCH");
    arch = forced && *forced ? forced : k_arch_without_gpu;
    log().debug("no GPU ({}); compiling for {}", cuda_unavailable_reason(), arch);
    return arch;
  }

  std::shared_ptr<const detail::ModuleState> find_remembered(const Source& source, const CompileOptions& wanted,
                                                             std::size_t hash) {
    std::lock_guard lock(mutex);
    auto [first, last] = remembered.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      if (!it->second.same_inputs(source, wanted)) continue;
      if (it->second.headers_unchanged()) return it->second.module;
      remembered.erase(it);  // a header changed: the full path decides again
      return nullptr;
    }
    return nullptr;
  }

  void remember(std::shared_ptr<const CompileInputs> inputs, std::size_t hash,
                const std::vector<detail::HeaderDependency>& headers, const std::vector<std::filesystem::path>& absent,
                std::int64_t stamped_ns, std::shared_ptr<const detail::ModuleState> module) {
    Remembered entry{std::move(inputs), std::move(module), {}, {}, stamped_ns};
    for (const auto& path : absent) entry.absent.push_back(path.string());
    for (const auto& header : headers) {
      auto stamp = HeaderStamp::of(header.path.string());
      if (!stamp) return;  // vanished meanwhile: do not remember
      entry.headers.push_back(*stamp);
    }
    std::lock_guard lock(mutex);
    remembered.emplace(hash, std::move(entry));
  }

  using Build = std::function<std::shared_ptr<detail::ModuleState>()>;
  using Finish = std::function<void(detail::ModuleState&)>;

  // The module for `key`: from the store, else built (NVRTC, nvJitLink). One build per key at a
  // time, in this process (a shared future) and across processes (the store's key lock).
  // `finish` runs on the module before anyone else can see it.
  std::pair<std::shared_ptr<const detail::ModuleState>, Origin> module_for_key(const cache::Key& key,
                                                                              const std::string& image_name,
                                                                              const Build& build, const Finish& finish) {
    if (auto known = known_module(key)) return {std::move(known), Origin::process_cache};
    // A disk hit needs no promise: two threads loading one entry at once both get a good module.
    if (auto hit = load_from_store(key, image_name)) {
      finish(*hit);
      return {keep_loaded(key, std::move(hit)), Origin::disk_cache};
    }
    std::promise<std::shared_ptr<const detail::ModuleState>> promise;
    {
      std::unique_lock lock(mutex);
      if (auto it = by_key.find(key); it != by_key.end()) {
        if (it->second.ready) return {it->second.ready, Origin::process_cache};
        auto future = it->second.pending;
        lock.unlock();
        return {future.get(), Origin::process_cache};
      }
      by_key.emplace(key, KeyedModule{nullptr, promise.get_future().share()});
    }
    try {
      auto [module, origin] = find_or_build(key, image_name, build);
      finish(*module);
      promise.set_value(module);
      std::lock_guard lock(mutex);
      by_key[key] = KeyedModule{module, {}};
      return {std::move(module), origin};
    } catch (...) {
      promise.set_exception(std::current_exception());
      std::lock_guard lock(mutex);
      by_key.erase(key);  // a failed build is not remembered: the next call tries again
      throw;
    }
  }

  /// The module this process already has for `key`, waiting while another thread builds it.
  std::shared_ptr<const detail::ModuleState> known_module(const cache::Key& key) {
    std::unique_lock lock(mutex);
    const auto it = by_key.find(key);
    if (it == by_key.end()) return nullptr;
    if (it->second.ready) return it->second.ready;
    auto future = it->second.pending;
    lock.unlock();
    return future.get();
  }

  /// Records a module loaded from the store; if another thread got there first, theirs is kept.
  std::shared_ptr<const detail::ModuleState> keep_loaded(const cache::Key& key,
                                                         std::shared_ptr<const detail::ModuleState> loaded) {
    std::lock_guard lock(mutex);
    auto& slot = by_key[key];
    if (slot.ready) return slot.ready;
    slot.ready = loaded;
    return loaded;
  }

  // Called after a first look in the store missed.
  std::pair<std::shared_ptr<detail::ModuleState>, Origin> find_or_build(const cache::Key& key,
                                                                        const std::string& image_name,
                                                                        const Build& build) {
    auto key_lock = store->lock(key);
    if (auto hit = load_from_store(key, image_name)) return {hit, Origin::disk_cache};  // another process made it
    return {build(), Origin::compiled};
  }

  // `image_name`, when known, lets the store read the entry and that blob in one pass; an
  // entry that holds another image, or anything unusual, goes through find_quick.
  std::shared_ptr<detail::ModuleState> load_from_store(const cache::Key& key, const std::string& image_name) {
    if (!image_name.empty()) {
      if (auto found = store->find_blob(key, image_name))
        if (auto module = detail::module_from_blob(key, std::move(*found), image_name, store)) return module;
    }
    auto entry = store->find_quick(key);  // the index only: no JSON parse on a hit
    if (!entry) return nullptr;
    return detail::module_from_entry(std::move(*entry), store);
  }

  // Puts a module just built and ties it to its entry (none when the store could not write it).
  void store_built(const cache::Key& key, const cache::NewEntry& entry, detail::ModuleState& module) {
    store->put(key, entry);
    module.store = store;
    module.entry = store->find_quick(key);
    if (module.entry) module.cache_dir = module.entry->dir;
  }

  std::shared_ptr<detail::ModuleState> compile_and_store(
      const cache::Key& key, const Source& source, const detail::PreparedOptions& prepared,
      const CompileOptions& compile_options, const cache::KeyRecord& record,
      const std::vector<detail::HeaderDependency>& headers) {
    detail::NvrtcInput input{&source.text(), &source.name(), prepared.nvrtc(), compile_options.name_expressions};
    if (compile_options.time_limit.count() > 0) input.deadline = std::chrono::steady_clock::now() + compile_options.time_limit;
    input.cancel = compile_options.cancel.get();
    // NVRTC's automatic PCH (in this process) does not notice an edited user header: the next
    // compile reuses the old header's PCH (a changed #define kept its old value, under the new
    // key), so only sources without user headers get it. A worker's PCH file is named by every
    // user header's hash instead, and outlasts the worker (pch_store.hpp).
    auto* worker = detail::current_worker();
    detail::WorkerPool* offload = worker ? nullptr : pool_for_concurrent_compile();
    input.precompiled_headers = options.precompiled_headers && (worker || offload || headers.empty()) &&
                                !detail::include_lines(source.text()).empty();
    if ((worker || offload) && input.precompiled_headers)
      input.pch_file = detail::persistent_pch_stem(detail::worker_pch_folder(cache_dir), source.text(), input.options, headers);
    auto output = worker ? worker->compile(input) : offload ? compile_in_worker(*offload, input, compiling_in_workers)
                                                              : compile_here(input);
    if (output.cancelled)
      throw CompileCancelled(fmt::format("compiling {} was cancelled {}; nothing was cached", source.name(),
                                         compile_options.cancel && compile_options.cancel->load()
                                             ? "on request"
                                             : fmt::format("after its time limit of {} ms", compile_options.time_limit.count())));
    if (!output.ok) throw_compile_failure(source, prepared, output);
    if (auto warnings = log_warnings(output.log); !warnings.empty())
      log().warn("NVRTC warnings compiling {}:\n{}", source.name(), warnings);
    auto module = detail::module_from_output(key, source, prepared, std::move(output));
    const auto entry = detail::entry_from_module(*module, source, prepared, record, headers);
    store_built(key, entry, *module);
    log().debug("compiled {} (key {}) for {} in {:.1f} ms", source.name(), key.short_hex(), prepared.arch,
                module->compile_ms);
    return module;
  }

  detail::NvrtcOutput compile_here(const detail::NvrtcInput& input) {
    const InFlight counted(compiling_here);
    return detail::nvrtc_compile(input);
  }

  /// The worker pool for a plain compile() that meets another one of this engine's, else nullptr
  /// (compile here). NVRTC contends with itself inside a process: 16 threads of one process
  /// reached 2.4-3.8x of one-by-one on the H100 host, 16 worker processes 10-13x. One inside
  /// NVRTC here sends it to the pool; ones only in workers do while a worker is free (kept here,
  /// the thread that began first compiled all its later sources in this process beside 16 busy
  /// workers, the batch's slowest path; with all workers busy, here runs it sooner). A lone
  /// compile stays in this process (lowest latency), and so does every compile when workers are
  /// off or their executable cannot be found.
  detail::WorkerPool* pool_for_concurrent_compile() {
    const bool one_here = compiling_here.load() > 0;
    const int in_workers = compiling_in_workers.load();
    if (!one_here && in_workers == 0) return nullptr;  // a lone compile
    if (no_worker_binary.load() || detail::on_pool_thread())
      return nullptr;  // on a pool thread: waiting for the pool could wait for itself
    const int workers = worker_count();
    if (workers == 0 || (!one_here && in_workers >= workers)) return nullptr;
    try {
      return &worker_pool();
    } catch (const Error& error) {
      if (!no_worker_binary.exchange(true))
        log().debug("concurrent compiles stay in this process: {}", error.what());
      return nullptr;
    }
  }

  /// Runs NVRTC in a worker process of the pool and waits. A worker that dies or passes the
  /// deadline is an error, as for compile_async(): the compile is not retried here, where the
  /// same crash would take the user's process down.
  static detail::NvrtcOutput compile_in_worker(detail::WorkerPool& pool, const detail::NvrtcInput& input,
                                               std::atomic<int>& in_flight) {
    const InFlight counted(in_flight);
    std::promise<detail::NvrtcOutput> result;
    auto output = result.get_future();
    pool.submit([&input, &result] {
      try {
        auto* worker = detail::current_worker();  // null if its process could not start (warned)
        result.set_value(worker ? worker->compile(input) : detail::nvrtc_compile(input));
      } catch (...) {
        result.set_exception(std::current_exception());
      }
    });
    return output.get();
  }

  // NVRTC only says NVRTC_ERROR_INVALID_OPTION: find which of the user's options it refused.
  [[noreturn]] static void throw_compile_failure(const Source& source, const detail::PreparedOptions& prepared,
                                                const detail::NvrtcOutput& output) {
    if (!output.invalid_option) throw detail::make_compile_error(source, output.log, output.result_name);
    static const std::string empty_text = "", empty_name = "jitcu_option_probe.cu";
    const std::vector<std::string> all = prepared.nvrtc();
    std::vector<std::string> base(all.begin(), all.end() - static_cast<std::ptrdiff_t>(prepared.user_given.size()));
    const auto refuses = [](const std::vector<std::string>& probe_options) {
      return detail::nvrtc_compile({&empty_text, &empty_name, probe_options, {}}).invalid_option;
    };
    // Of jitcu's own options only the arch can be refused (sm_10 has the right shape); then
    // every probe below would fail too and blame the user's first option.
    std::string refused = refuses(base) ? "-arch=" + prepared.arch : "";
    for (const auto& option : prepared.user_given) {
      if (!refused.empty()) break;
      auto probe = base;
      probe.push_back(option);
      if (refuses(probe)) refused = option;
    }
    if (refused.empty()) refused = fmt::format("{}", fmt::join(all, " "));
    throw InvalidOptionError(fmt::format("compiling {}: NVRTC refused the option '{}' (NVRTC_ERROR_INVALID_OPTION){}; "
                                         "check its spelling and value against NVRTC's supported options",
                                         source.name(), refused,
                                         output.log.empty() ? "" : fmt::format(": {}", output.log)),
                             refused);
  }
};

Engine::Engine() : Engine(EngineOptions{}) {}
Engine::Engine(EngineOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->weak_self = impl_;
}
Engine::~Engine() {
  // Finish queued async compiles and join the pool here, so the last reference to Impl is
  // never dropped on a pool thread (which would then have to join itself).
  if (impl_) impl_->stop_pool();
}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

Module Engine::compile(const Source& source, const CompileOptions& options) {
  auto [module, origin] = impl_->compile(source, options);
  return Module(std::move(module), origin);
}

std::future<Module> Engine::compile_async(Source source, CompileOptions options) {
  auto promise = std::make_shared<std::promise<Module>>();
  auto future = promise->get_future();
  // A raw pointer: ~Engine joins the pool before Impl can go.
  impl_->worker_pool().submit([impl = impl_.get(), promise, source = std::move(source), options = std::move(options)] {
    try {
      auto [module, origin] = impl->compile(source, options);
      promise->set_value(Module(std::move(module), origin));
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  return future;
}

std::vector<Module> Engine::compile_many(const std::vector<Source>& sources, const CompileOptions& options) {
  std::vector<std::future<Module>> pending;
  pending.reserve(sources.size());
  for (const auto& source : sources) pending.push_back(compile_async(source, options));
  std::vector<Module> modules;
  std::exception_ptr first_error;
  for (auto& future : pending) {
    try {
      modules.push_back(future.get());
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return modules;
}

Module Engine::link(const std::vector<Source>& sources, const CompileOptions& options, const LinkOptions& link_options) {
  auto [module, origin] = impl_->link(sources, options, link_options);
  return Module(std::move(module), origin);
}

cache::KeyRecord Engine::key_record(const Source& source, const CompileOptions& options) {
  const auto prepared = detail::prepare_options(options, source, options.arch.empty() ? impl_->default_arch() : options.arch);
  return detail::make_key_record(source, prepared, options.name_expressions, detail::scan_headers(source, prepared.search));
}

std::string Engine::default_arch() const { return impl_->default_arch(); }
cache::Store& Engine::store() { return *impl_->store; }

}  // namespace jitcu
