#include "compatibility.hpp"
#include "driver.hpp"
#include "entry_codec.hpp"
#include "kernel_parameters.hpp"
#include "module_state.hpp"
#include "name_suggestions.hpp"
#include "names.hpp"
#include "regular_file.hpp"

#include <jitcu/base/log.hpp>
#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/sha256.hpp>
#include <jitcu/error.hpp>
#include <jitcu/module.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu {
namespace detail {

ModuleState::~ModuleState() { unload_library(loaded); }

namespace {

/// One blob of a module's cache entry, checked; a missing or damaged one is an error that says
/// what to do (the store has removed a damaged entry, so the next compile replaces it).
std::string read_cached_blob(const ModuleState& module, const std::string& name) {
  auto hit = module.store->get(module.key, cache::BlobSelection::only(name), cache::TieredStore::Lookup::more_blobs);
  if (hit) {
    if (auto it = hit->entry.blobs.find(name); it != hit->entry.blobs.end()) return std::move(it->second);
  }
  throw Error(fmt::format("the {} of {} (key {}) is missing or damaged in the cache ({}); compile again to "
                          "replace the entry", name, module.source_name, module.key.short_hex(),
                          module.store->tiers().front()->describe()));
}

}  // namespace

std::string ModuleState::ptx() const {
  std::lock_guard lock(mutex);
  if (!ptx_text.empty() || !store) return ptx_text;
  ptx_text = read_cached_blob(*this, "program.ptx");
  return ptx_text;
}

const std::string& ModuleState::log() const {
  std::lock_guard lock(mutex);
  if (log_known || !store) return log_text;
  log_text = read_cached_blob(*this, "log.txt");
  log_known = true;
  return log_text;
}

namespace {

// How load errors name the module: "'name' (key 1a2b3c4d5e6f)". Concatenation, not fmt: this
// runs on every cache hit, where fmt's first use is a cost.
std::string module_label(const ModuleState& module) {
  return "'" + module.source_name + "' (key " + module.key.short_hex() + ")";
}

/// Loads `image` and looks its first kernel up at once: the driver loads into the context
/// lazily, so a cubin for another GPU or PTX newer than the driver fails at that lookup, and
/// it must fail here, where the cubin can still fall back to PTX. `image_kept`: see load_library.
std::pair<LibraryHandle, KernelHandle> load_and_probe(const ModuleState& module, const std::string& image,
                                                      const std::string& what, bool image_kept) {
  LibraryHandle library = load_library(image, what, image_kept);
  if (module.kernels.empty()) return {library, nullptr};
  try {
    return {library, library_kernel(library, module.kernels.front().symbol, image, what)};
  } catch (...) {
    unload_library(library);
    throw;
  }
}

}  // namespace

LibraryHandle ModuleState::library() const {
  {
    std::lock_guard lock(mutex);
    if (loaded) return loaded;
  }
  const std::string what = module_label(*this) + " for " + arch;
  std::pair<LibraryHandle, KernelHandle> made;
  // `image` lives, unchanged, as long as this module, which unloads the library first.
  if (image_is_ptx) {
    made = load_and_probe(*this, image, what + " from PTX", true);
  } else {
    try {
      made = load_and_probe(*this, image, what, true);
    } catch (const CudaError& error) {
      if (!is_wrong_binary_error(error.result())) throw;
      jitcu::log().info("the {} cubin of '{}' does not run on this GPU ({}); loading its PTX instead (driver JIT)",
                 arch, source_name, error.result_name());
      std::string text = ptx();
      text.push_back('\0');
      made = load_and_probe(*this, text, what + " from PTX", false);  // `text` dies here: the driver copies it
    }
  }
  std::lock_guard lock(mutex);
  if (loaded) {  // another thread won the race: keep theirs
    unload_library(made.first);
    return loaded;
  }
  loaded = made.first;
  if (made.second) handles[0].store(made.second, std::memory_order_release);
  return loaded;
}

KernelHandle ModuleState::kernel_handle(std::size_t index) const {
  if (KernelHandle known = handles[index].load(std::memory_order_acquire)) return known;
  const LibraryHandle loaded_library = library();
  if (KernelHandle known = handles[index].load(std::memory_order_acquire)) return known;
  KernelHandle found = library_kernel(loaded_library, kernels[index].symbol, image, module_label(*this));
  handles[index].store(found, std::memory_order_release);
  return found;
}

namespace {

std::vector<std::string> readable_names(const ModuleState& state) {
  std::vector<std::string> names;
  for (const auto& k : state.kernels) names.push_back(k.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::size_t> index_of_symbol(const ModuleState& state, std::string_view symbol) {
  for (std::size_t i = 0; i < state.kernels.size(); ++i)
    if (state.kernels[i].symbol == symbol) return i;
  return std::nullopt;
}

// The kernels whose readable name is `squeezed`, else those whose base name is: more than one
// is an ambiguous name.
std::vector<std::size_t> name_matches(const ModuleState& state, const std::string& squeezed) {
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < state.kernels.size(); ++i)
    if (squeeze_spaces(state.kernels[i].name) == squeezed) found.push_back(i);
  if (!found.empty()) return found;
  for (std::size_t i = 0; i < state.kernels.size(); ++i)
    if (base_name(state.kernels[i].name) == squeezed) found.push_back(i);
  return found;
}

std::string kernel_signature(const KernelRecord& kernel) { return signature(demangle(kernel.symbol)); }

// The kernel whose full signature ("fill(float*, float, int)", any spacing) is `name`.
std::optional<std::size_t> signature_match(const ModuleState& state, std::string_view name) {
  if (name.find('(') == std::string_view::npos) return std::nullopt;
  const std::string wanted = canonical_signature(name);
  for (std::size_t i = 0; i < state.kernels.size(); ++i)
    if (canonical_signature(kernel_signature(state.kernels[i])) == wanted) return i;
  return std::nullopt;
}

// Resolves a name as Module::kernel documents; nullopt with `why` filled when it cannot.
std::optional<std::size_t> resolve(const ModuleState& state, std::string_view name, std::string& why) {
  if (auto it = state.name_expressions.find(std::string(name)); it != state.name_expressions.end())
    return index_of_symbol(state, it->second);
  const std::string squeezed = squeeze_spaces(name);
  for (const auto& [expression, symbol] : state.name_expressions)
    if (squeeze_spaces(expression) == squeezed) return index_of_symbol(state, symbol);
  if (auto found = index_of_symbol(state, name)) return found;
  if (auto found = signature_match(state, name)) return found;
  const auto matches = name_matches(state, squeezed);
  if (matches.size() == 1) return matches.front();
  if (matches.size() > 1) why = "ambiguous";
  return std::nullopt;
}

}  // namespace
}  // namespace detail

Module::Module(std::shared_ptr<const detail::ModuleState> state, Origin origin)
    : state_(std::move(state)), origin_(origin) {}

namespace {

Kernel make_kernel(std::shared_ptr<const detail::ModuleState> module, std::size_t index) {
  auto kernel = std::make_shared<detail::KernelState>();
  kernel->module = std::move(module);
  kernel->index = index;
  return Kernel(std::move(kernel));
}

std::string without_address_of(std::string name) { return name.starts_with('&') ? name.substr(1) : name; }

// The symbols that name expressions for `variable` ("ns::table<float>", no '&') lowered to,
// however the expression was spaced and whether or not it began with '&'.
std::vector<std::string> lowered_variables(const detail::ModuleState& state, const std::string& variable) {
  std::vector<std::string> symbols;
  for (const auto& [expression, symbol] : state.name_expressions)
    if (without_address_of(detail::squeeze_spaces(expression)) == variable) symbols.push_back(symbol);
  return symbols;
}

// The module holding `expression` compiled as a name expression of this module's source.
std::shared_ptr<const detail::ModuleState> instantiation(const detail::ModuleState& state, const std::string& expression) {
  {
    std::lock_guard lock(state.mutex);
    if (auto it = state.instantiated.find(expression); it != state.instantiated.end()) return it->second;
  }
  auto made = state.instantiate(expression);
  std::lock_guard lock(state.mutex);
  return state.instantiated.emplace(expression, std::move(made)).first->second;
}

}  // namespace

Module Module::load_ptx(std::string ptx, std::string name) {
  if (detail::ptx_isa_version(ptx).empty())
    throw Error(fmt::format("'{}' is not PTX text: it has no .version line{}; Module::load_ptx takes what nvcc -ptx or "
                            "NVRTC writes (launches are checked against its .entry lines)",
                            name, ptx.starts_with("\x7f" "ELF") ? " (it is an ELF file, such as a cubin: use Module::load_binary)" : ""));
  detail::NvrtcOutput output;
  const std::string arch = detail::ptx_target(ptx);
  output.ptx = std::move(ptx);
  const cache::Key key(cache::sha256(output.ptx));
  return Module(detail::module_from_output(key, std::move(name), arch, std::move(output)), Origin::compiled);
}

namespace {

bool is_cubin(std::string_view image) { return image.starts_with("\x7f" "ELF"); }
bool is_fatbin(std::string_view image) { return image.starts_with("\x50\xed\x55\xba"); }  // 0xBA55ED50

/// A parameter known by its size alone: any argument of that size passes the check.
ParamInfo sized_parameter(std::size_t bytes) {
  return ParamInfo{static_cast<std::uint32_t>(bytes), ValueKind::bytes, fmt::format(".b8[{}]", bytes)};
}

}  // namespace

Module Module::load_binary(std::string image, std::string name) {
  if (!is_cubin(image) && !is_fatbin(image))
    throw Error(fmt::format("'{}' is not a cubin or a fatbin (it starts with neither ELF's nor a fatbin's magic "
                            "number); Module::load_binary takes what nvcc -cubin or -fatbin writes{}",
                            name, detail::ptx_isa_version(image).empty() ? "" : " (this is PTX: use Module::load_ptx)"));
  auto module = std::make_shared<detail::ModuleState>();
  module->key = cache::Key(cache::sha256(image));
  module->source_name = std::move(name);
  module->arch = detail::device_arch(detail::default_device_ordinal());  // the GPU it is loaded for
  module->image = std::move(image);
  module->binary_only = true;
  module->log_known = true;
  const std::string what = "'" + module->source_name + "'";
  // `image` lives, unchanged, as long as the module, which unloads the library first.
  module->loaded = detail::load_library(module->image, what, true);
  const std::vector<detail::LibraryKernel> found = detail::library_kernels(module->loaded, what);
  module->handles = std::make_unique<std::atomic<detail::KernelHandle>[]>(found.size());
  for (std::size_t i = 0; i < found.size(); ++i) {
    detail::KernelRecord kernel{found[i].symbol, detail::qualified_name(detail::demangle(found[i].symbol)), {}};
    for (const std::size_t bytes : found[i].param_sizes) kernel.params.push_back(sized_parameter(bytes));
    module->kernels.push_back(std::move(kernel));
    module->handles[i].store(found[i].handle, std::memory_order_release);
  }
  return Module(std::move(module), Origin::compiled);
}

Module Module::load_file(const std::filesystem::path& path) {
  std::string why;
  std::optional<std::string> bytes = detail::read_regular_file(path.string(), why);
  if (!bytes) throw Error(fmt::format("cannot read '{}': {}", path.string(), why));
  if (is_cubin(*bytes) || is_fatbin(*bytes)) return load_binary(std::move(*bytes), path.string());
  if (!detail::ptx_isa_version(*bytes).empty()) return load_ptx(std::move(*bytes), path.string());
  throw Error(fmt::format("'{}' is neither PTX (it has no .version line) nor a cubin or fatbin; Module::load_file "
                          "takes what nvcc -ptx, -cubin or -fatbin writes (compile a .cu with Engine::compile)",
                          path.string()));
}

namespace {

[[noreturn]] void throw_ambiguous(const detail::ModuleState& state, std::string_view name) {
  std::vector<std::string> candidates;
  for (auto i : detail::name_matches(state, detail::squeeze_spaces(name)))
    candidates.push_back(detail::kernel_signature(state.kernels[i]));
  std::sort(candidates.begin(), candidates.end());
  auto message = fmt::format("in '{}': '{}' is ambiguous: it matches {} kernels: {}; ask for one by its signature "
                             "(\"{}\") or its symbol (Module::kernels() lists both)",
                             state.source_name, name, candidates.size(), detail::bounded_list(candidates),
                             candidates.front());
  throw AmbiguousName(std::move(message), std::string(name), detail::readable_names(state), std::move(candidates));
}

[[noreturn]] void throw_not_found(const detail::ModuleState& state, std::string_view name) {
  auto available = detail::readable_names(state);
  auto message = fmt::format("'{}' defines no kernel '{}'", state.source_name, name);
  if (available.empty()) {
    message += "; it defines no kernels at all (is the kernel __global__?)";
  } else {
    const auto closest = detail::closest_first(name, available);
    if (detail::looks_like_typo_of(name, closest.front())) message += fmt::format(" (did you mean '{}'?)", closest.front());
    message += available.size() <= detail::k_names_in_message
                   ? fmt::format("; it defines: {}", detail::bounded_list(closest))
                   : fmt::format("; the closest of its {} kernels: {} (Module::kernels() lists them all)",
                                 available.size(), detail::bounded_list(closest));
  }
  if (name.find('<') != std::string_view::npos)
    message += fmt::format("; compiling it as the name expression \"{}\" gave no such kernel (is the template "
                           "__global__?)", name);
  else if (name.find('(') == std::string_view::npos)
    message += "; a C++ kernel without extern \"C\" is found by its readable name (e.g. \"ns::k\")";
  throw KernelNotFound(std::move(message), std::string(name), std::move(available));
}

}  // namespace

Kernel Module::kernel(std::string_view name) const {
  std::string why;
  if (auto index = detail::resolve(*state_, name, why)) return make_kernel(state_, *index);
  if (!why.empty()) throw_ambiguous(*state_, name);
  const bool template_name = name.find('<') != std::string_view::npos && name.find('(') == std::string_view::npos;
  if (template_name && state_->instantiate) {
    auto other = instantiation(*state_, std::string(name));
    if (auto index = detail::resolve(*other, name, why)) return make_kernel(std::move(other), *index);
    if (!why.empty()) throw_ambiguous(*other, name);
  }
  throw_not_found(*state_, name);
}

std::vector<KernelInfo> Module::kernels() const {
  std::vector<KernelInfo> listed;
  std::optional<std::vector<detail::PtxEntry>> entries;  // parsed once, for every struct parameter
  for (const auto& record : state_->kernels) {
    listed.push_back({record.name, detail::kernel_signature(record), record.symbol,
                      detail::kernel_parameters(*state_, record, entries)});
  }
  std::sort(listed.begin(), listed.end(), [](const KernelInfo& a, const KernelInfo& b) { return a.signature < b.signature; });
  return listed;
}

std::pair<DevicePtr, std::size_t> Module::global_address(std::string_view name) const {
  const std::string variable = without_address_of(detail::squeeze_spaces(name));
  const auto lowered = lowered_variables(*state_, variable);
  std::vector<std::string> candidates = lowered;
  candidates.push_back(variable);
  if (variable.find("::") != std::string::npos) candidates.push_back(detail::mangle_qualified(variable));
  const auto library = state_->library();
  std::string refusal;
  for (const auto& symbol : candidates) {
    try {
      return detail::library_global(library, symbol);
    } catch (const CudaError& error) {
      if (refusal.empty()) refusal = error.what();
      continue;  // not under this spelling: try the next
    }
  }
  if (!lowered.empty())
    throw Error(fmt::format("the name expression for '{}' in '{}' lowered to '{}', but the loaded module has no "
                            "such __device__ or __constant__ variable ({}); check that the expression names a "
                            "variable, not a kernel", name, state_->source_name, lowered.front(), refusal));
  throw Error(fmt::format("'{}' has no __device__ or __constant__ variable '{}'; for a variable in a template or "
                          "with an unusual name, add \"&{}\" to CompileOptions::name_expressions",
                          state_->source_name, name, variable));
}

std::vector<std::byte> Module::read_global(std::string_view name) const {
  const auto [address, bytes] = global_address(name);
  std::vector<std::byte> value(bytes);
  detail::copy_device_to_host(value.data(), address, bytes);
  return value;
}

void Module::write_global(std::string_view name, std::span<const std::byte> bytes) const {
  const auto [address, size] = global_address(name);
  if (bytes.size() != size)
    throw ArgumentError(fmt::format("global '{}' in '{}' is {} bytes but {} bytes were given to write; write exactly "
                                    "its size (Module::global_address gives it)",
                                    name, state_->source_name, size, bytes.size()));
  detail::copy_host_to_device(address, bytes.data(), size);
}

std::string Module::global_symbol(std::string_view name_expression) const {
  const std::string wanted = without_address_of(detail::squeeze_spaces(name_expression));
  if (const auto lowered = lowered_variables(*state_, wanted); !lowered.empty()) return lowered.front();
  std::vector<std::string> given;
  for (const auto& [expression, symbol] : state_->name_expressions) given.push_back(expression);
  throw Error(fmt::format("'{}' was not a name expression of '{}' ({}); add \"{}\" to "
                          "CompileOptions::name_expressions to have NVRTC lower it",
                          name_expression, state_->source_name,
                          given.empty() ? std::string("it was compiled with none")
                                        : fmt::format("it was compiled with: {}", fmt::join(given, ", ")),
                          name_expression));
}

void Module::load() const {
  (void)state_->library();
  for (std::size_t i = 0; i < state_->kernels.size(); ++i) (void)state_->kernel_handle(i);
}

void Module::check_global_size(std::string_view name, std::size_t actual, std::size_t wanted) const {
  if (actual != wanted)
    throw ArgumentError(fmt::format("global '{}' in '{}' is {} bytes but the type asked for is {} bytes; ask for a "
                                    "type of {} bytes (an array of N T as std::array<T, N>)",
                                    name, state_->source_name, actual, wanted, actual));
}

bool Module::has_kernel(std::string_view name) const {
  std::string why;
  return detail::resolve(*state_, name, why).has_value();
}

std::vector<std::string> Module::kernel_names() const { return detail::readable_names(*state_); }
std::string Module::ptx() const { return state_->ptx(); }
const std::string& Module::log() const { return state_->log(); }
const std::string& Module::arch() const { return state_->arch; }
std::string Module::cache_key() const { return state_->key.hex(); }
std::filesystem::path Module::cache_path() const {
  const auto* disk = state_->store ? state_->store->disk() : nullptr;
  return disk ? disk->entry_dir(state_->key) : std::filesystem::path();
}
Origin Module::origin() const { return origin_; }
double Module::compile_ms() const { return state_->compile_ms; }

}  // namespace jitcu
