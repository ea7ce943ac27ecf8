#include "entry_view.hpp"

#include "command.hpp"
#include "format.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::tool {
namespace {

using nlohmann::json;

constexpr std::size_t k_min_prefix_digits = 4;   // fewer collide too often to be useful
constexpr std::size_t k_max_candidates_shown = 8;

long long number_or_zero(const json& object, const char* field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_number() ? it->get<long long>() : 0;
}

std::optional<KernelResources> resources_of(const json& kernel) {
  const auto it = kernel.find("resources");
  if (it == kernel.end() || !it->is_object()) return std::nullopt;
  return KernelResources{number_or_zero(*it, "registers"), number_or_zero(*it, "spill_store_bytes"),
                         number_or_zero(*it, "spill_load_bytes"), number_or_zero(*it, "stack_frame_bytes"),
                         number_or_zero(*it, "shared_bytes")};
}

std::string param_text(const json& param) {
  if (!param.is_object()) return "?";
  if (meta_text(param, "kind") == "pointer") return "ptr";
  std::string type = meta_text(param, "ptx_type");
  if (type.starts_with('.')) type.erase(0, 1);
  return type.empty() ? fmt::format("{} B", number_or_zero(param, "size")) : type;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string candidate_line(const cache::FoundEntry& entry) {
  return fmt::format("  {}  {}  {}", entry.key.short_hex(), meta_text(entry.meta, "source_name"),
                     meta_text(entry.meta, "arch"));
}

}  // namespace

std::string meta_text(const json& meta, std::string_view field) {
  if (!meta.is_object()) return {};
  const auto it = meta.find(std::string(field));
  return it != meta.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<KernelView> kernels_of(const json& meta) {
  std::vector<KernelView> kernels;
  const auto list = meta.find("kernels");
  if (list == meta.end() || !list->is_array()) return kernels;
  for (const json& item : *list) {
    if (!item.is_object()) continue;
    KernelView kernel{meta_text(item, "symbol"), meta_text(item, "name"), {}, resources_of(item)};
    if (kernel.name.empty()) kernel.name = kernel.symbol;
    if (const auto params = item.find("params"); params != item.end() && params->is_array()) {
      for (const json& param : *params) kernel.params.push_back(param_text(param));
    }
    kernels.push_back(std::move(kernel));
  }
  return kernels;
}

std::vector<std::string> kernel_names(const json& meta) {
  std::vector<std::string> names;
  for (const KernelView& kernel : kernels_of(meta)) names.push_back(kernel.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<cache::KeyRecord> key_record_of(const json& meta) {
  const auto list = meta.find("key_record");
  if (list == meta.end() || !list->is_array()) return std::nullopt;
  std::vector<cache::KeyRecord::Field> fields;
  for (const json& pair : *list) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return std::nullopt;
    }
    fields.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return cache::KeyRecord::from_fields(std::move(fields));
}

std::optional<std::string> field_value(const cache::KeyRecord& record, std::string_view name) {
  for (const auto& [field, value] : record.fields()) {
    if (field == name) return value;
  }
  return std::nullopt;
}

std::string param_list(const KernelView& kernel) {
  return fmt::format("({})", fmt::join(kernel.params, ", "));
}

std::string kernel_table(const std::vector<KernelView>& kernels, std::size_t indent, bool with_params) {
  std::vector<std::string> header{"kernel", "registers", "spill stores", "spill loads", "shared", "stack"};
  if (with_params) header.emplace_back("params");
  Table table(std::move(header));
  for (std::size_t column = 1; column <= 5; ++column) table.right_align(column);
  const auto bytes = [](long long n) { return human_size(static_cast<std::uint64_t>(n < 0 ? 0 : n)); };
  for (const KernelView& kernel : kernels) {
    std::vector<std::string> row{kernel.name};
    if (const auto& r = kernel.resources) {
      row.insert(row.end(), {std::to_string(r->registers), bytes(r->spill_store_bytes),
                             bytes(r->spill_load_bytes), bytes(r->shared_bytes), bytes(r->stack_frame_bytes)});
    } else {
      row.insert(row.end(), {"?", "?", "?", "?", "?"});
    }
    if (with_params) row.push_back(param_list(kernel));
    table.add_row(std::move(row));
  }
  return table.render(indent);
}

json kernels_json(const std::vector<KernelView>& kernels) {
  json list = json::array();
  for (const KernelView& kernel : kernels) {
    json item = {{"symbol", kernel.symbol}, {"name", kernel.name}, {"params", kernel.params}};
    if (const auto& r = kernel.resources) {
      item["resources"] = {{"registers", r->registers},
                           {"spill_store_bytes", r->spill_store_bytes},
                           {"spill_load_bytes", r->spill_load_bytes},
                           {"stack_frame_bytes", r->stack_frame_bytes},
                           {"shared_bytes", r->shared_bytes}};
    } else {
      item["resources"] = nullptr;
    }
    list.push_back(std::move(item));
  }
  return list;
}

bool is_key_prefix(std::string_view text) {
  return text.size() >= k_min_prefix_digits && text.size() <= 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

cache::FoundEntry find_by_prefix(cache::Store& store, std::string_view prefix) {
  if (!is_key_prefix(prefix)) {
    throw ToolError(fmt::format("'{}' is not a key prefix: give at least {} hex digits of a key "
                                "that `jitcu cache ls` shows",
                                prefix, k_min_prefix_digits));
  }
  const std::string wanted = lower(prefix);
  std::vector<cache::FoundEntry> matches;
  for (cache::FoundEntry& entry : store.list()) {
    if (entry.key.hex().starts_with(wanted)) matches.push_back(std::move(entry));
  }
  if (matches.size() == 1) return std::move(matches.front());
  if (matches.empty()) {
    throw ToolError(fmt::format("no cache entry's key starts with '{}'; `jitcu cache ls` lists the "
                                "keys (a damaged entry is not listed: `jitcu cache verify` reports it)",
                                wanted));
  }
  std::string lines;
  for (std::size_t i = 0; i < matches.size() && i < k_max_candidates_shown; ++i) {
    lines += "\n" + candidate_line(matches[i]);
  }
  if (matches.size() > k_max_candidates_shown) {
    lines += fmt::format("\n  … and {} more", matches.size() - k_max_candidates_shown);
  }
  throw ToolError(fmt::format("key prefix '{}' is ambiguous: {} entries match; give more digits:{}",
                              wanted, matches.size(), lines));
}

}  // namespace jitcu::tool
