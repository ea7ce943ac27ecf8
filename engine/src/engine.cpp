#include "compatibility.hpp"
#include "compile_dispatch.hpp"
#include "compile_failure.hpp"
#include "compile_request.hpp"
#include "device_runtime.hpp"
#include "driver.hpp"
#include "entry_codec.hpp"
#include "file_stamp.hpp"
#include "headers.hpp"
#include "linker.hpp"
#include "process_cache.hpp"
#include "ptxas_info.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/base/log.hpp>
#include <jitcu/cache/tiered_store.hpp>
#include <jitcu/device.hpp>
#include <jitcu/engine.hpp>
#include <jitcu/error.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

namespace jitcu {
namespace {

constexpr const char* k_arch_without_gpu = "sm_90";  // documented default when no GPU is found
constexpr int k_newest_arch_known = 121;             // NVRTC 13.0's newest target; newer devices are checked

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

void warn_missing_include_dirs(const detail::CompileRequest& request) {
  for (const auto& dir : request.include_dirs) {
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
      log().warn("compiling {}: include folder '{}' does not exist", request.source.name(), dir);
  }
}

/// A module this process has for a key: `ready`, or being built by a thread (wait on `pending`).
struct KeyedModule {
  std::shared_ptr<const detail::ModuleState> ready;
  std::shared_future<std::shared_ptr<const detail::ModuleState>> pending;
};

cache::StoreConfig store_config(const EngineOptions& options) {
  auto config = cache::StoreConfig::from_env();
  if (!options.cache_dir.empty()) config.dir = options.cache_dir.string();
  if (!options.disk_cache) config.disk_enabled = false;
  if (options.cache_max_bytes) config.max_size_bytes = options.cache_max_bytes;
  if (!options.remote_cache.empty()) config.remote = options.remote_cache;
  return config;
}

std::uint64_t to_ns(double milliseconds) { return static_cast<std::uint64_t>(std::max(milliseconds, 0.0) * 1e6); }

/// Adds the store's unflushed counts to <cache>/stats when it goes out of scope.
struct FlushCountersOnExit {
  cache::TieredStore& store;
  ~FlushCountersOnExit() { store.flush_counters(); }
};

std::filesystem::path disk_root(const cache::TieredStore& store) {
  const auto* disk = store.disk();
  return disk ? disk->root() : std::filesystem::path();
}

}  // namespace

struct Engine::Impl {
  using ModulePtr = std::shared_ptr<const detail::ModuleState>;
  using Build = std::function<std::shared_ptr<detail::ModuleState>()>;
  using Finish = std::function<void(detail::ModuleState&)>;

  EngineOptions options;
  std::shared_ptr<cache::TieredStore> store;
  detail::ProcessCache process_cache;
  detail::CompileDispatch dispatch;
  std::weak_ptr<Impl> weak_self;

  std::mutex mutex;
  std::unordered_map<cache::Key, KeyedModule> by_key;

  std::mutex arch_mutex;
  std::string arch;  // empty until default_arch() first runs

  explicit Impl(EngineOptions o)
      : options(std::move(o)),
        store(cache::open_store(store_config(options))),
        dispatch(options.worker_processes, disk_root(*store)) {}

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

  detail::CompileRequest request_for(const Source& source, const CompileOptions& wanted) {
    return detail::make_request(source, wanted, wanted.arch.empty() ? default_arch() : wanted.arch);
  }

  std::pair<ModulePtr, Origin> compile(const Source& source, const CompileOptions& wanted) {
    if (detail::needs_device_link(wanted))  // relocatable code or the device runtime: nvJitLink joins it
      return link({source}, detail::device_link_compile_options(wanted), detail::device_link_options(wanted));
    const auto start = std::chrono::steady_clock::now();
    detail::CompileRequest request = request_for(source, wanted);
    const std::size_t hash = request.hash();
    if (auto module = process_cache.find(request, hash))
      return {count_memory_hit(std::move(module)), Origin::process_cache};

    warn_missing_include_dirs(request);
    const std::int64_t stamped_ns = detail::now_ns();
    std::vector<std::filesystem::path> absent;
    const auto included = detail::scan_headers(source, request.search(), &absent);
    const auto record = detail::make_key_record(request, included);
    const auto key = record.key();
    auto [module, origin] = module_for_key(
        key, detail::image_name_for(request.arch),
        [&] { return compile_and_store(key, request, wanted, record, included); },
        [&](detail::ModuleState& made) { allow_instantiation(made, source, wanted); });
    process_cache.remember(std::move(request), hash, included.on_disk, absent, stamped_ns, module);
    if (log_enabled(spdlog::level::debug))
      log().debug("{} {} (key {}): {} in {:.3f} ms", origin == Origin::compiled ? "miss" : "hit", source.name(),
                  key.short_hex(),
                  origin == Origin::compiled ? "compiled" : origin == Origin::disk_cache ? "cache" : "this process",
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    return {std::move(module), origin};
  }

  std::pair<ModulePtr, Origin> link(const std::vector<Source>& sources, const CompileOptions& wanted,
                                    const LinkOptions& how) {
    if (sources.empty()) throw Error("Engine::link needs at least one source");
    if (!wanted.name_expressions.empty())
      throw Error("Engine::link does not take name expressions: instantiate templates explicitly in the source "
                  "(template __global__ void k<float>(float*);) and find them by name (\"k<float>\")");
    auto rdc_options = wanted;
    rdc_options.extra.push_back("-rdc=true");
    if (how.lto) rdc_options.extra.push_back("-dlto");
    detail::LinkPlan plan{how, {}, cache::KeyRecord()};
    plan.record.add("link", fmt::format("lto={} device_runtime={}", how.lto, how.device_runtime));
    for (const auto& source : sources) {
      detail::CompileRequest& request = plan.requests.emplace_back(request_for(source, rdc_options));
      const auto included = detail::scan_headers(source, request.search());
      plan.record.add("source", detail::make_key_record(request, included).key().hex());
      request.headers = detail::headers_for_nvrtc(request.headers, included);  // keyed above: now what NVRTC gets
    }
    if (!plan.requests.front().arch.starts_with("sm_"))
      throw Error(fmt::format("Engine::link needs a real architecture (sm_XY), not {}", plan.requests.front().arch));
    const auto key = plan.record.key();
    return module_for_key(
        key, {},
        [&] {
          auto [module, entry] = detail::link_sources(key, plan);
          store->count({.compiles = 1, .compile_ns = to_ns(module->compile_ms)});
          store_built(key, entry, *module);
          return module;
        },
        [](detail::ModuleState&) {});
  }

  // How a module asks for one more template instantiation of its own source.
  void allow_instantiation(detail::ModuleState& module, const Source& source, const CompileOptions& wanted) {
    module.instantiate = [weak = weak_self, source, wanted](const std::string& expression) {
      auto self = weak.lock();
      if (!self)
        throw Error(fmt::format("cannot instantiate '{}' from {}: the Engine that compiled it is gone; keep the "
                                "Engine alive or compile with CompileOptions::name_expressions",
                                expression, source.name()));
      auto with_expression = wanted;
      with_expression.name_expressions.push_back(expression);
      return self->compile(source, with_expression).first;
    };
  }

  /// Counts a compile this process answered from its memory, saving the compile it once took.
  ModulePtr count_memory_hit(ModulePtr module) {
    store->count({.memory_hits = 1, .saved_ns = to_ns(module->compile_ms)});
    return module;
  }

  // The module for `key`: from the store, else built (NVRTC, nvJitLink). One build per key at a
  // time, in this process (a shared future) and across processes (the store's key lock).
  // `finish` runs on the module before anyone else can see it.
  std::pair<ModulePtr, Origin> module_for_key(const cache::Key& key, const std::string& image_name, const Build& build,
                                              const Finish& finish) {
    auto found = find_module_for_key(key, image_name, build, finish);
    if (found.second == Origin::process_cache) found.first = count_memory_hit(std::move(found.first));
    return found;
  }

  std::pair<ModulePtr, Origin> find_module_for_key(const cache::Key& key, const std::string& image_name,
                                                   const Build& build, const Finish& finish) {
    if (auto known = known_module(key)) return {std::move(known), Origin::process_cache};
    // A hit needs no promise: two threads loading one entry at once both get a good module.
    if (auto hit = load_from_store(key, image_name)) {
      finish(*hit);
      return {keep_loaded(key, std::move(hit)), Origin::disk_cache};
    }
    std::promise<ModulePtr> promise;
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
  ModulePtr known_module(const cache::Key& key) {
    std::unique_lock lock(mutex);
    const auto it = by_key.find(key);
    if (it == by_key.end()) return nullptr;
    if (it->second.ready) return it->second.ready;
    auto future = it->second.pending;
    lock.unlock();
    return future.get();
  }

  /// Records a module loaded from the store; if another thread got there first, theirs is kept.
  ModulePtr keep_loaded(const cache::Key& key, ModulePtr loaded) {
    std::lock_guard lock(mutex);
    auto& slot = by_key[key];
    if (slot.ready) return slot.ready;
    slot.ready = loaded;
    return loaded;
  }

  // Called after a first look in the store missed. A miss costs tens of milliseconds: the
  // counters go to disk here (after the key lock is released), not on the hit path.
  std::pair<std::shared_ptr<detail::ModuleState>, Origin> find_or_build(const cache::Key& key,
                                                                        const std::string& image_name,
                                                                        const Build& build) {
    const FlushCountersOnExit flush{*store};
    auto key_lock = store->lock(key);
    if (auto hit = load_from_store(key, image_name)) return {hit, Origin::disk_cache};  // another process made it
    store->count({.misses = 1});
    return {build(), Origin::compiled};
  }

  /// A hit reads the record and the image only; the PTX and the log are read when asked for.
  /// `image_name` is empty for a link, whose image the record names.
  std::shared_ptr<detail::ModuleState> load_from_store(const cache::Key& key, const std::string& image_name) {
    auto hit = store->get(key, image_name.empty() ? cache::BlobSelection::all() : cache::BlobSelection::only(image_name));
    if (!hit) return nullptr;
    return detail::module_from_entry(std::move(hit->entry), store);
  }

  // Puts a module just built, and ties it to the store for its PTX and log.
  void store_built(const cache::Key& key, const cache::Entry& entry, detail::ModuleState& module) {
    store->put(key, entry);
    module.store = store;
  }

  std::shared_ptr<detail::ModuleState> compile_and_store(const cache::Key& key, const detail::CompileRequest& request,
                                                         const CompileOptions& wanted, const cache::KeyRecord& record,
                                                         const detail::IncludedHeaders& included) {
    const Source& source = request.source;
    detail::NvrtcInput input{&source.text(), &source.name(), request.nvrtc_options(), request.name_expressions};
    const std::vector<HeaderText> headers = detail::headers_for_nvrtc(request.headers, included);
    input.headers = headers;
    if (wanted.time_limit.count() > 0) input.deadline = std::chrono::steady_clock::now() + wanted.time_limit;
    input.cancel = wanted.cancel.get();
    auto output = dispatch.run(std::move(input), options.precompiled_headers,
                               !detail::include_lines(source.text()).empty(), included.on_disk,
                               !request.headers.empty());
    store->count({.compiles = 1, .compile_ns = to_ns(output.milliseconds)});
    if (output.cancelled)
      throw CompileCancelled(fmt::format("compiling {} was cancelled {}; nothing was cached", source.name(),
                                         wanted.cancel && wanted.cancel->load()
                                             ? "on request"
                                             : fmt::format("after its time limit of {} ms", wanted.time_limit.count())));
    if (!output.ok) detail::throw_compile_failure(request, output);
    if (auto warnings = detail::without_ptxas_info(output.log); !warnings.empty())
      log().warn("NVRTC warnings compiling {}:\n{}", source.name(), warnings);
    auto module = detail::module_from_output(key, source.name(), request.arch, std::move(output));
    store_built(key, detail::entry_from_module(*module, source.text(), record), *module);
    log().debug("compiled {} (key {}) for {} in {:.1f} ms", source.name(), key.short_hex(), request.arch,
                module->compile_ms);
    return module;
  }
};

Engine::Engine() : Engine(EngineOptions{}) {}
Engine::Engine(EngineOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->weak_self = impl_;
}
Engine::~Engine() {
  // Finish queued async compiles and join the pool here, so the last reference to Impl is
  // never dropped on a pool thread (which would then have to join itself).
  if (!impl_) return;
  impl_->dispatch.stop();
  impl_->store->wait_for_fills();  // a remote hit's local copy is on disk when the Engine is gone
  impl_->store->flush_counters();  // hits were counted in memory only
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
  impl_->dispatch.pool().submit([impl = impl_.get(), promise, source = std::move(source), options = std::move(options)] {
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
  const auto request = impl_->request_for(source, options);
  return detail::make_key_record(request, detail::scan_headers(source, request.search()));
}

std::string Engine::default_arch() const { return impl_->default_arch(); }
cache::TieredStore& Engine::store() { return *impl_->store; }
cache::CacheCounters Engine::stats() const { return impl_->store->counters(); }

}  // namespace jitcu
