#include "redis_value.hpp"

#include <jitcu/cache/record.hpp>
#include <jitcu/cache/signature.hpp>

#include <cstdint>

#include <fmt/format.h>

namespace jitcu::cache::detail {
namespace {

//   magic "jitcu-redis\n", one byte: 0 plain, 1 signed
//   u64 record size, record (encode_record)
//   u32 blob count, then per blob: u32 name size, name, u64 size, bytes
//   signed: sign_entry(secret, record, entry) (signature.hpp), 64 hex digits: the HMAC-SHA256 a
//   shared disk folder's entries carry too, over the record and every blob
// Integers are little-endian.
constexpr std::string_view k_magic = "jitcu-redis\n";
constexpr char k_plain = 0;
constexpr char k_signed = 1;
constexpr std::size_t k_signature_chars = 64;

template <class Number>
void append_number(std::string& out, Number value) {
  for (std::size_t i = 0; i < sizeof(Number); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void append_sized(std::string& out, std::string_view bytes) {
  append_number<std::uint64_t>(out, bytes.size());
  out.append(bytes);
}

/// Reads what encode_value wrote, in order; the first problem sticks.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  template <class Number>
  Number number(std::string_view what) {
    if (!ok() || rest_.size() < sizeof(Number)) return fail<Number>(fmt::format("cut short in {}", what));
    Number value = 0;
    for (std::size_t i = 0; i < sizeof(Number); ++i)
      value |= static_cast<Number>(static_cast<unsigned char>(rest_[i])) << (8 * i);
    rest_.remove_prefix(sizeof(Number));
    return value;
  }

  std::string_view bytes(std::uint64_t size, std::string_view what) {
    if (!ok() || rest_.size() < size) return fail<std::string_view>(fmt::format("cut short in {}", what));
    const std::string_view taken = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return taken;
  }

  template <class Result>
  Result fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
    return {};
  }
  bool ok() const { return problem_.empty(); }
  bool at_end() const { return rest_.empty(); }
  const std::string& problem() const { return problem_; }

 private:
  std::string_view rest_;
  std::string problem_;
};

DecodedValue refused(std::string problem) { return {std::nullopt, std::move(problem)}; }

/// The value without its signature, and the signature ("" when not signed).
std::pair<std::string_view, std::string_view> split_signature(std::string_view bytes) {
  const bool is_signed = bytes.size() > k_magic.size() + k_signature_chars && bytes[k_magic.size()] == k_signed;
  if (!is_signed) return {bytes, {}};
  return {bytes.substr(0, bytes.size() - k_signature_chars), bytes.substr(bytes.size() - k_signature_chars)};
}

}  // namespace

std::string encode_value(const Entry& entry, std::string_view secret) {
  std::string out(k_magic);
  out.push_back(secret.empty() ? k_plain : k_signed);
  const std::string record = encode_record(entry.record);
  append_sized(out, record);
  append_number<std::uint32_t>(out, static_cast<std::uint32_t>(entry.record.blobs.size()));
  for (const BlobRef& ref : entry.record.blobs) {
    const auto found = entry.blobs.find(ref.name);
    if (found == entry.blobs.end()) throw std::invalid_argument(fmt::format("entry has no blob '{}'", ref.name));
    append_number<std::uint32_t>(out, static_cast<std::uint32_t>(ref.name.size()));
    out.append(ref.name);
    append_sized(out, found->second);
  }
  if (!secret.empty()) out.append(sign_entry(secret, record, entry));
  return out;
}

DecodedValue decode_value(std::string_view bytes, const Key& key, std::string_view secret) {
  if (!bytes.starts_with(k_magic) || bytes.size() == k_magic.size()) return refused("not a jitcu value");
  const char kind = bytes[k_magic.size()];
  if (kind != k_plain && kind != k_signed) return refused("not a jitcu value");
  // Without a secret a signature is not checked (nothing to check it with); with one it must be right.
  const auto [body, signature] = split_signature(bytes);
  if (!secret.empty() && signature.empty()) return refused("not signed, and JITCU_CACHE_SECRET is set");

  Reader reader(body.substr(k_magic.size() + 1));
  const std::string_view record_bytes = reader.bytes(reader.number<std::uint64_t>("the record size"), "the record");
  if (!reader.ok()) return refused(reader.problem());
  DecodedRecord decoded = decode_record(record_bytes, &key);
  if (!decoded.record) return refused(decoded.other_version ? "a record of another format version" : decoded.problem);

  Entry entry{std::move(*decoded.record), {}};
  const auto count = reader.number<std::uint32_t>("the blob count");
  if (reader.ok() && count != entry.record.blobs.size()) return refused("its blobs are not the record's");
  for (const BlobRef& ref : entry.record.blobs) {
    const std::string_view name = reader.bytes(reader.number<std::uint32_t>("a blob name's size"), "a blob name");
    const std::string_view blob = reader.bytes(reader.number<std::uint64_t>("a blob's size"), "a blob");
    if (!reader.ok()) return refused(reader.problem());
    if (name != ref.name) return refused(fmt::format("blob '{}' where the record has '{}'", name, ref.name));
    if (std::string blob_trouble = blob_problem(ref, blob); !blob_trouble.empty()) return refused(blob_trouble);
    entry.blobs.emplace(ref.name, std::string(blob));
  }
  if (!reader.ok()) return refused(reader.problem());
  if (!reader.at_end()) return refused("bytes after the last blob");
  if (!secret.empty() && !same_signature(signature, sign_entry(secret, record_bytes, entry)))
    return refused("its HMAC does not match (another secret, or altered)");
  return {std::move(entry), {}};
}

}  // namespace jitcu::cache::detail
