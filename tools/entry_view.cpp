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

constexpr const char* k_param_kinds[] = {"integer", "floating", "pointer", "bytes"};

std::string param_text(const cache::ParamRecord& param) {
  if (param.kind < 4 && std::string_view(k_param_kinds[param.kind]) == "pointer") return "ptr";
  std::string type = param.ptx_type;
  if (type.starts_with('.')) type.erase(0, 1);
  return type.empty() ? fmt::format("{} B", param.size_bytes) : type;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string candidate_line(const cache::ListedEntry& entry) {
  return fmt::format("  {}  {}  {}", entry.record.key.short_hex(), entry.record.source_name, entry.record.arch);
}

}  // namespace

std::vector<KernelView> kernels_of(const cache::EntryRecord& record) {
  std::vector<KernelView> kernels;
  for (const auto& kernel : record.kernels) {
    KernelView view{kernel.symbol, kernel.name.empty() ? kernel.symbol : kernel.name, {}, kernel.resources};
    for (const auto& param : kernel.params) view.params.push_back(param_text(param));
    kernels.push_back(std::move(view));
  }
  return kernels;
}

std::vector<std::string> kernel_names(const cache::EntryRecord& record) {
  std::vector<std::string> names;
  for (const KernelView& kernel : kernels_of(record)) names.push_back(kernel.name);
  std::sort(names.begin(), names.end());
  return names;
}

cache::KeyRecord key_record_of(const cache::EntryRecord& record) { return cache::KeyRecord::from_fields(record.key_fields); }

std::chrono::system_clock::time_point created_time(const cache::EntryRecord& record) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(record.created_unix_ns)));
}

std::vector<std::string> field_values(const cache::KeyRecord& record, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [field, value] : record.fields())
    if (field == name) values.push_back(value);
  return values;
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

cache::ListedEntry find_by_prefix(cache::DiskTier* disk, std::string_view prefix) {
  if (!is_key_prefix(prefix)) {
    throw ToolError(fmt::format("'{}' is not a key prefix: give at least {} hex digits of a key "
                                "that `jitcu cache ls` shows",
                                prefix, k_min_prefix_digits));
  }
  const std::string wanted = lower(prefix);
  std::vector<cache::ListedEntry> matches;
  if (disk) {
    for (cache::ListedEntry& entry : disk->list())
      if (entry.record.key.hex().starts_with(wanted)) matches.push_back(std::move(entry));
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
