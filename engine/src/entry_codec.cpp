#include "entry_codec.hpp"

#include "names.hpp"
#include "ptx.hpp"
#include "ptxas_info.hpp"

#include <jitcu/cache/disk_tier.hpp>

#include <chrono>

namespace jitcu::detail {
namespace {

constexpr const char* k_ptx_blob = "program.ptx";

cache::KernelRecord kernel_record(const KernelRecord& kernel,
                                  const std::map<std::string, cache::KernelResources>& resources) {
  const auto found = resources.find(kernel.symbol);
  cache::KernelRecord record{kernel.symbol, kernel.name, {},
                             found == resources.end() ? std::nullopt : std::optional(found->second)};
  for (const auto& p : kernel.params)
    record.params.push_back({p.size_bytes, static_cast<std::uint8_t>(p.kind), p.ptx_type});
  return record;
}

KernelRecord kernel_from_record(cache::KernelRecord&& record) {
  KernelRecord kernel{std::move(record.symbol), std::move(record.name), {}};
  kernel.params.reserve(record.params.size());
  for (auto& p : record.params)
    kernel.params.push_back({p.size_bytes, static_cast<ValueKind>(p.kind), std::move(p.ptx_type)});
  return kernel;
}

}  // namespace

std::shared_ptr<ModuleState> module_from_output(const cache::Key& key, std::string source_name, const std::string& arch,
                                                NvrtcOutput output) {
  auto module = std::make_shared<ModuleState>();
  module->key = key;
  module->source_name = std::move(source_name);
  module->arch = arch;
  module->name_expressions = std::move(output.lowered_names);
  for (auto& entry : parse_ptx_entries(output.ptx))
    module->kernels.push_back({entry.symbol, qualified_name(demangle(entry.symbol)), std::move(entry.params)});
  module->image_is_ptx = output.cubin.empty();
  module->image = module->image_is_ptx ? output.ptx + '\0' : std::move(output.cubin);
  module->ptx_text = std::move(output.ptx);
  module->log_text = std::move(output.log);
  module->log_known = true;
  module->compile_ms = output.milliseconds;
  module->handles = std::make_unique<std::atomic<KernelHandle>[]>(module->kernels.size());
  return module;
}

cache::Entry entry_from_module(const ModuleState& module, const std::string& source_text,
                               const cache::KeyRecord& key_record) {
  cache::EntryRecord record;
  record.key = module.key;
  record.created_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  record.source_name = module.source_name;
  record.arch = module.arch;
  record.image = module.image_is_ptx ? k_ptx_blob : image_name_for(module.arch);
  record.compile_ms = module.compile_ms;
  record.key_fields = key_record.fields();
  record.name_expressions = module.name_expressions;
  const auto resources = parse_ptxas_info(module.log_text);
  for (const auto& kernel : module.kernels) record.kernels.push_back(kernel_record(kernel, resources));
  std::map<std::string, std::string> blobs{{k_ptx_blob, module.ptx_text}, {"log.txt", module.log_text},
                                           {"source.cu", source_text}};
  if (!module.image_is_ptx) blobs[record.image] = module.image;
  return cache::make_entry(std::move(record), std::move(blobs));
}

std::shared_ptr<ModuleState> module_from_entry(cache::Entry entry, std::shared_ptr<cache::TieredStore> store) {
  auto& record = entry.record;
  const auto image = entry.blobs.find(record.image);
  if (image == entry.blobs.end()) return nullptr;
  auto module = std::make_shared<ModuleState>();
  module->key = record.key;
  module->source_name = std::move(record.source_name);
  module->arch = std::move(record.arch);
  module->compile_ms = record.compile_ms;
  module->name_expressions = std::move(record.name_expressions);
  module->kernels.reserve(record.kernels.size());
  for (auto& kernel : record.kernels) module->kernels.push_back(kernel_from_record(std::move(kernel)));
  module->image_is_ptx = record.image == k_ptx_blob;
  module->image = std::move(image->second);
  if (module->image_is_ptx) {
    module->ptx_text = module->image;
    module->image.push_back('\0');
  }
  module->store = std::move(store);
  module->handles = std::make_unique<std::atomic<KernelHandle>[]>(module->kernels.size());
  return module;
}

std::string image_name_for(const std::string& arch) { return arch.starts_with("sm_") ? arch + ".cubin" : k_ptx_blob; }

}  // namespace jitcu::detail
