#include <jitcu/cache/key.hpp>

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace jitcu::cache {
namespace {

constexpr std::size_t k_short_hex_digits = 12;  // enough to tell entries apart in a listing

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Key> Key::from_hex(std::string_view hex) {
  Digest digest{};
  if (hex.size() != digest.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return Key(digest);
}

std::string Key::hex() const { return to_hex(digest_.data(), digest_.size()); }

std::string Key::short_hex() const { return hex().substr(0, k_short_hex_digits); }

KeyRecord::KeyRecord() {
  fields_.reserve(8);  // a compile's record has 7 fields and one per user header
  add("key_format", std::to_string(k_key_format_version));
}

void KeyRecord::add(std::string_view name, std::string_view value) {
  // The name is not length-prefixed, so it must not contain the separators.
  if (name.empty() || name.find_first_of("\t\n") != std::string_view::npos) {
    throw std::invalid_argument(
        fmt::format("key field name '{}' is empty or contains a tab or newline", name));
  }
  fields_.emplace_back(std::string(name), std::string(value));
}

Key KeyRecord::key() const {
  std::string canonical = "jitcu-key\n";
  for (const auto& [name, value] : fields_) {
    canonical += name;
    canonical += '\t';
    canonical += std::to_string(value.size());
    canonical += '\t';
    canonical += value;
    canonical += '\n';
  }
  return Key(sha256(canonical));
}

KeyRecord KeyRecord::from_fields(std::vector<Field> fields) {
  KeyRecord record;
  record.fields_ = std::move(fields);
  return record;
}

}  // namespace jitcu::cache
