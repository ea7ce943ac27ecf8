#include "redis_value.hpp"

#include <jitcu/cache/record.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace jitcu::cache::detail {
namespace {

//   magic "jitcu-redis\n", one byte: 0 plain, 1 signed
//   u64 record size, record (encode_record)
//   u32 blob count, then per blob: u32 name size, name, u64 size, bytes
//   signed: 32 bytes of HMAC-SHA256(secret, everything before them)
// Integers are little-endian.
constexpr std::string_view k_magic = "jitcu-redis\n";
constexpr char k_plain = 0;
constexpr char k_signed = 1;
constexpr std::size_t k_mac_bytes = 32;

using Mac = std::array<unsigned char, k_mac_bytes>;

Mac hmac(std::string_view secret, std::string_view bytes) {
  Mac mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(bytes.data()),
       bytes.size(), mac.data(), &size);
  return mac;
}

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

/// The value without its trailer when it is signed and the trailer is right; else a problem.
std::optional<std::string_view> checked_body(std::string_view bytes, std::string_view secret, std::string* problem) {
  const bool is_signed = bytes.size() > k_magic.size() && bytes[k_magic.size()] == k_signed;
  if (secret.empty()) return is_signed && bytes.size() >= k_mac_bytes ? bytes.substr(0, bytes.size() - k_mac_bytes) : bytes;
  if (!is_signed || bytes.size() < k_magic.size() + 1 + k_mac_bytes) {
    *problem = "not signed, and JITCU_CACHE_SECRET is set";
    return std::nullopt;
  }
  const std::string_view body = bytes.substr(0, bytes.size() - k_mac_bytes);
  const Mac expected = hmac(secret, body);
  if (CRYPTO_memcmp(expected.data(), bytes.data() + body.size(), k_mac_bytes) != 0) {
    *problem = "its HMAC does not match (another secret, or altered)";
    return std::nullopt;
  }
  return body;
}

}  // namespace

std::string encode_value(const Entry& entry, std::string_view secret) {
  std::string out(k_magic);
  out.push_back(secret.empty() ? k_plain : k_signed);
  append_sized(out, encode_record(entry.record));
  append_number<std::uint32_t>(out, static_cast<std::uint32_t>(entry.record.blobs.size()));
  for (const BlobRef& ref : entry.record.blobs) {
    const auto found = entry.blobs.find(ref.name);
    if (found == entry.blobs.end()) throw std::invalid_argument(fmt::format("entry has no blob '{}'", ref.name));
    append_number<std::uint32_t>(out, static_cast<std::uint32_t>(ref.name.size()));
    out.append(ref.name);
    append_sized(out, found->second);
  }
  if (!secret.empty()) {
    const Mac mac = hmac(secret, out);
    out.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  }
  return out;
}

DecodedValue decode_value(std::string_view bytes, const Key& key, std::string_view secret) {
  if (!bytes.starts_with(k_magic) || bytes.size() == k_magic.size()) return refused("not a jitcu value");
  const char kind = bytes[k_magic.size()];
  if (kind != k_plain && kind != k_signed) return refused("not a jitcu value");
  std::string problem;
  const std::optional<std::string_view> body = checked_body(bytes, secret, &problem);
  if (!body) return refused(problem);

  Reader reader(body->substr(k_magic.size() + 1));
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
  return {std::move(entry), {}};
}

}  // namespace jitcu::cache::detail
