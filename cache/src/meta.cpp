#include "meta.hpp"

#include "entry_index.hpp"

#include "posix_io.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace jitcu::cache::detail {
namespace {

using nlohmann::json;

bool is_blob_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool is_lower_hex_digest(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string meta_problem(std::string_view what) { return fmt::format("{}: {}", k_meta_file, what); }

MetaCheck damaged(std::string_view what) { return MetaCheck{std::nullopt, meta_problem(what)}; }

std::optional<json> parse_json(std::string_view text, std::string& problem) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& error) {
    problem = meta_problem(fmt::format("not valid JSON (at byte {})", error.byte));
  } catch (const std::exception& error) {
    problem = meta_problem(fmt::format("not valid JSON ({})", error.what()));
  }
  return std::nullopt;
}

// Reads store.blobs into `blobs`; returns what is wrong, empty when fine.
std::string read_blob_records(const json& records, std::map<std::string, BlobInfo>& blobs) {
  if (!records.is_object()) return "store.blobs is not an object";
  for (const auto& [name, record] : records.items()) {
    if (!is_valid_blob_name(name)) return fmt::format("store.blobs has a bad name '{}'", name);
    if (!record.is_object() || !record.contains("size") || !record["size"].is_number_unsigned() ||
        !record.contains("sha256") || !record["sha256"].is_string() ||
        !is_lower_hex_digest(record["sha256"].get<std::string>())) {
      return fmt::format("store.blobs.{} is malformed", name);
    }
    blobs[name] = BlobInfo{record["size"].get<std::uint64_t>(), record["sha256"].get<std::string>()};
  }
  return {};
}

}  // namespace

bool is_valid_blob_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name == k_meta_file || name == k_index_file) return false;
  for (char c : name) {
    if (!is_blob_name_char(c)) return false;
  }
  return true;
}

void validate_new_entry(const NewEntry& entry) {
  if (!entry.meta.is_object()) {
    throw std::invalid_argument(fmt::format("cache entry metadata must be a JSON object, not {}",
                                            entry.meta.type_name()));
  }
  for (std::string_view reserved : {k_store_field, k_meta_sha256_field}) {
    if (entry.meta.contains(reserved)) {
      throw std::invalid_argument(fmt::format(
          "cache entry metadata must not use the field '{}': the store writes it", reserved));
    }
  }
  for (const auto& [name, bytes] : entry.blobs) {
    if (!is_valid_blob_name(name)) {
      throw std::invalid_argument(fmt::format(
          "bad cache blob name '{}': use [A-Za-z0-9._-]+, not '.', '..' or 'meta.json'", name));
    }
  }
}

std::string canonical_dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::map<std::string, BlobInfo> blob_records(const NewEntry& entry) {
  std::map<std::string, BlobInfo> records;
  for (const auto& [name, bytes] : entry.blobs) records[name] = BlobInfo{bytes.size(), sha256_hex(bytes)};
  return records;
}

std::string make_meta_text(const Key& key, const NewEntry& entry, const std::map<std::string, BlobInfo>& records,
                           std::chrono::system_clock::time_point created) {
  json blobs = json::object();
  for (const auto& [name, info] : records) blobs[name] = {{"size", info.size_bytes}, {"sha256", info.sha256}};
  json meta = entry.meta;
  meta[std::string(k_store_field)] = {
      {"format_version", k_entry_format_version},
      {"key", key.hex()},
      {"created", iso8601_utc(created)},
      {"created_unix_ns", unix_ns(created)},
      {"blobs", std::move(blobs)},
  };
  meta[std::string(k_meta_sha256_field)] = sha256_hex(canonical_dump(meta));
  return meta.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

MetaCheck check_meta(std::string_view text, const Key& folder_key) {
  std::string problem;
  std::optional<json> parsed = parse_json(text, problem);
  if (!parsed) return MetaCheck{std::nullopt, problem};
  json& meta = *parsed;
  if (!meta.is_object()) return damaged("not a JSON object");

  // The version first: a later format may checksum differently, and this is what to report.
  const auto store_it = meta.find(k_store_field);
  if (store_it == meta.end() || !store_it->is_object()) return damaged("no store fields");
  const json store = *store_it;
  const auto version = store.find("format_version");
  if (version == store.end() || !version->is_number_integer()) {
    return damaged("store.format_version is missing");
  }
  if (version->get<long long>() != k_entry_format_version) {
    return damaged(fmt::format("format version {}, expected {}", version->get<long long>(),
                               k_entry_format_version));
  }

  const auto recorded_sha = meta.find(k_meta_sha256_field);
  if (recorded_sha == meta.end() || !recorded_sha->is_string()) return damaged("no meta_sha256");
  const std::string recorded = recorded_sha->get<std::string>();
  meta.erase(std::string(k_meta_sha256_field));
  if (sha256_hex(canonical_dump(meta)) != recorded) return damaged("checksum mismatch");

  const auto key = store.find("key");
  if (key == store.end() || !key->is_string()) return damaged("store.key is missing");
  if (key->get<std::string>() != folder_key.hex()) {
    return damaged(fmt::format("store.key {} does not match the folder", key->get<std::string>()));
  }
  const auto created = store.find("created_unix_ns");
  if (created == store.end() || !created->is_number_integer()) {
    return damaged("store.created_unix_ns is missing");
  }
  const auto blobs = store.find("blobs");
  if (blobs == store.end()) return damaged("store.blobs is missing");

  FoundEntry entry;
  entry.key = folder_key;
  if (std::string wrong = read_blob_records(*blobs, entry.blobs); !wrong.empty()) {
    return damaged(wrong);
  }
  entry.created = from_unix_ns(created->get<std::int64_t>());
  entry.total_size_bytes = text.size();
  for (const auto& [name, info] : entry.blobs) entry.total_size_bytes += info.size_bytes;
  meta.erase(std::string(k_store_field));
  entry.meta = std::move(meta);
  return MetaCheck{std::move(entry), {}};
}

}  // namespace jitcu::cache::detail
