#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/record.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace jitcu::cache {
namespace {

bool is_blob_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

const BlobRef* EntryRecord::blob(std::string_view name) const {
  for (const BlobRef& ref : blobs)
    if (ref.name == name) return &ref;
  return nullptr;
}

std::uint64_t EntryRecord::blob_bytes() const {
  std::uint64_t total = 0;
  for (const BlobRef& ref : blobs) total += ref.size_bytes;
  return total;
}

bool BlobSelection::wants(std::string_view name) const {
  return every || std::find(names.begin(), names.end(), name) != names.end();
}

bool is_valid_blob_name(std::string_view name) {
  // "record", "meta.json" and "signature" are the disk tier's own files.
  if (name.empty() || name == "." || name == ".." || name == "record" || name == "meta.json" || name == "signature")
    return false;
  return std::all_of(name.begin(), name.end(), is_blob_name_char);
}

Entry make_entry(EntryRecord record, std::map<std::string, std::string> blobs) {
  record.blobs.clear();
  for (const auto& [name, bytes] : blobs) {
    if (!is_valid_blob_name(name)) throw std::invalid_argument(fmt::format("bad cache blob name '{}'", name));
    record.blobs.push_back(BlobRef{name, bytes.size(), checksum_hex(bytes)});
  }
  if (!record.image.empty() && !blobs.count(record.image))
    throw std::invalid_argument(fmt::format("cache entry's image '{}' is not one of its blobs", record.image));
  return Entry{std::move(record), std::move(blobs)};
}

}  // namespace jitcu::cache
