#include <jitcu/cache/record.hpp>

#include "fast_checksum.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>

namespace jitcu::cache {
namespace {

constexpr std::string_view k_magic = "jitcu-record ";
constexpr std::string_view k_checksum_tag = "xxh3 ";
constexpr std::size_t k_checksum_line = k_checksum_tag.size() + detail::k_xxh3_hex_digits + 1;

/// Appends "tag <size>:<value>\n": a length prefix, so any bytes may follow.
class Writer {
 public:
  void field(std::string_view tag, std::string_view value) {
    text_.append(tag).append(" ").append(std::to_string(value.size())).append(":");
    text_.append(value).append("\n");
  }
  void count(std::string_view tag, std::size_t n) { field(tag, std::to_string(n)); }
  std::string finish() && {
    // Hashed before the tag is appended: the checksum covers the fields only, as the reader
    // checks it (in one chained expression the append would run first).
    const std::string checksum = detail::xxh3_hex(text_);
    text_.append(k_checksum_tag).append(checksum).append("\n");
    return std::move(text_);
  }
  explicit Writer(std::string text) : text_(std::move(text)) {}

 private:
  std::string text_;
};

template <class Number>
bool parse_number(std::string_view text, Number& value) {
  const auto [after, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && after == text.data() + text.size();
}

/// Reads the fields Writer wrote, in order; the first problem sticks and later reads give "".
class Reader {
 public:
  explicit Reader(std::string_view body) : rest_(body) {}

  std::string_view field(std::string_view tag) {
    if (!problem_.empty()) return {};
    if (!rest_.starts_with(tag) || rest_.size() <= tag.size() || rest_[tag.size()] != ' ')
      return fail(fmt::format("expected the field '{}'", tag));
    rest_.remove_prefix(tag.size() + 1);
    std::size_t size = 0;
    const auto [after, error] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), size);
    if (error != std::errc() || after == rest_.data() + rest_.size() || *after != ':')
      return fail(fmt::format("field '{}' has no length", tag));
    rest_.remove_prefix(static_cast<std::size_t>(after - rest_.data()) + 1);
    if (size >= rest_.size() || rest_[size] != '\n') return fail(fmt::format("field '{}' is cut short", tag));
    const std::string_view value = rest_.substr(0, size);
    rest_.remove_prefix(size + 1);
    return value;
  }

  template <class Number>
  Number number(std::string_view tag) {
    const std::string_view text = field(tag);
    Number value{};
    if (!problem_.empty()) return value;
    if (!parse_number(text, value)) fail(fmt::format("field '{}' is not a number", tag));
    return value;
  }

  /// A list's length, bounded by the bytes left (each item takes more than one), so a damaged
  /// count cannot ask for a huge allocation.
  std::size_t count(std::string_view tag) {
    const auto n = number<std::size_t>(tag);
    if (n > rest_.size()) fail(fmt::format("field '{}' counts more items than the record holds", tag));
    return problem_.empty() ? n : 0;
  }

  /// Splits "a b c" into exactly `Parts` words; the last takes the rest.
  template <std::size_t Parts>
  std::array<std::string_view, Parts> words(std::string_view tag) {
    std::string_view text = field(tag);
    std::array<std::string_view, Parts> out;
    for (std::size_t i = 0; problem_.empty() && i + 1 < Parts; ++i) {
      const auto space = text.find(' ');
      if (space == std::string_view::npos) {
        fail(fmt::format("field '{}' has too few parts", tag));
        break;
      }
      out[i] = text.substr(0, space);
      text.remove_prefix(space + 1);
    }
    out.back() = text;
    return out;
  }

  std::string_view fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
    return {};
  }
  const std::string& problem() const { return problem_; }
  bool at_end() const { return rest_.empty(); }

 private:
  std::string_view rest_;
  std::string problem_;
};

/// Room for `n` items up front, but not more than a real record holds: a damaged count is
/// found item by item, not by a huge allocation.
template <class Items>
void reserve_some(Items& items, std::size_t n) {
  items.reserve(std::min<std::size_t>(n, 64));
}

std::string resources_text(const std::optional<KernelResources>& r) {
  if (!r) return "-";
  return fmt::format("{} {} {} {} {}", r->registers, r->spill_store_bytes, r->spill_load_bytes, r->stack_frame_bytes,
                     r->shared_bytes);
}

std::optional<KernelResources> read_resources(Reader& in) {
  std::string_view text = in.field("resources");
  if (text == "-" || !in.problem().empty()) return std::nullopt;
  KernelResources r;
  std::int64_t* fields[] = {&r.registers, &r.spill_store_bytes, &r.spill_load_bytes, &r.stack_frame_bytes,
                            &r.shared_bytes};
  for (std::int64_t* field : fields) {
    const auto space = text.find(' ');
    if (!parse_number(text.substr(0, space), *field)) {
      in.fail("field 'resources' is malformed");
      return std::nullopt;
    }
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  }
  return r;
}

KernelRecord read_kernel(Reader& in) {
  KernelRecord kernel;
  kernel.symbol = in.field("symbol");
  kernel.name = in.field("name");
  const std::size_t params = in.count("params");
  reserve_some(kernel.params, params);
  for (std::size_t i = 0; i < params; ++i) {
    const auto parts = in.words<3>("param");
    ParamRecord param;
    unsigned kind = 0;
    if (in.problem().empty() && (!parse_number(parts[0], param.size_bytes) || !parse_number(parts[1], kind) || kind > 255))
      in.fail("field 'param' is malformed");
    param.kind = static_cast<std::uint8_t>(kind);
    param.ptx_type = parts.back();
    kernel.params.push_back(std::move(param));
  }
  kernel.resources = read_resources(in);
  return kernel;
}

BlobRef read_blob_ref(Reader& in) {
  const auto parts = in.words<3>("blob");
  BlobRef blob;
  if (!in.problem().empty()) return blob;
  if (!parse_number(parts[0], blob.size_bytes) || parts[1].size() != detail::k_xxh3_hex_digits ||
      !detail::is_lower_hex(parts[1]))
    in.fail("field 'blob' is malformed");
  blob.xxh3 = parts[1];
  blob.name = parts[2];
  if (!is_valid_blob_name(blob.name)) in.fail(fmt::format("blob name '{}' is not allowed", blob.name));
  return blob;
}

EntryRecord read_fields(Reader& in) {
  EntryRecord record;
  if (auto key = Key::from_hex(in.field("key"))) record.key = *key;
  else in.fail("field 'key' is not 64 hex digits");
  record.created_unix_ns = in.number<std::int64_t>("created");
  record.source_name = in.field("source_name");
  record.arch = in.field("arch");
  record.image = in.field("image");
  record.compile_ms = static_cast<double>(in.number<std::int64_t>("compile_ns")) / 1e6;
  const std::size_t key_fields = in.count("key_fields");
  reserve_some(record.key_fields, key_fields);
  for (std::size_t i = 0; i < key_fields; ++i) {
    std::string name(in.field("field_name"));
    record.key_fields.emplace_back(std::move(name), std::string(in.field("field_value")));
  }
  for (std::size_t i = 0, n = in.count("name_expressions"); i < n; ++i) {
    std::string expression(in.field("expression"));
    record.name_expressions[std::move(expression)] = std::string(in.field("symbol"));
  }
  const std::size_t kernels = in.count("kernels");
  reserve_some(record.kernels, kernels);
  for (std::size_t i = 0; i < kernels; ++i) record.kernels.push_back(read_kernel(in));
  const std::size_t blobs = in.count("blobs");
  reserve_some(record.blobs, blobs);
  for (std::size_t i = 0; i < blobs; ++i) record.blobs.push_back(read_blob_ref(in));
  if (in.problem().empty() && !in.at_end()) in.fail("unexpected bytes after the last field");
  if (in.problem().empty() && !record.image.empty() && !record.blob(record.image))
    in.fail(fmt::format("its image '{}' is not one of its blobs", record.image));
  return record;
}

}  // namespace

std::string checksum_hex(std::string_view bytes) { return detail::xxh3_hex(bytes); }

std::string blob_problem(const BlobRef& ref, std::string_view bytes) {
  if (bytes.size() < ref.size_bytes) return fmt::format("{}: truncated ({} of {} bytes)", ref.name, bytes.size(), ref.size_bytes);
  if (bytes.size() > ref.size_bytes) return fmt::format("{}: {} bytes, expected {}", ref.name, bytes.size(), ref.size_bytes);
  if (detail::xxh3_hex(bytes) != ref.xxh3) return fmt::format("{}: checksum mismatch", ref.name);
  return {};
}

std::string encode_record(const EntryRecord& record) {
  Writer out(fmt::format("{}{}\n", k_magic, k_record_version));
  out.field("key", record.key.hex());
  out.field("created", std::to_string(record.created_unix_ns));
  out.field("source_name", record.source_name);
  out.field("arch", record.arch);
  out.field("image", record.image);
  out.field("compile_ns", std::to_string(static_cast<std::int64_t>(record.compile_ms * 1e6 + 0.5)));
  out.count("key_fields", record.key_fields.size());
  for (const auto& [name, value] : record.key_fields) {
    out.field("field_name", name);
    out.field("field_value", value);
  }
  out.count("name_expressions", record.name_expressions.size());
  for (const auto& [expression, symbol] : record.name_expressions) {
    out.field("expression", expression);
    out.field("symbol", symbol);
  }
  out.count("kernels", record.kernels.size());
  for (const auto& kernel : record.kernels) {
    out.field("symbol", kernel.symbol);
    out.field("name", kernel.name);
    out.count("params", kernel.params.size());
    for (const auto& p : kernel.params) out.field("param", fmt::format("{} {} {}", p.size_bytes, p.kind, p.ptx_type));
    out.field("resources", resources_text(kernel.resources));
  }
  out.count("blobs", record.blobs.size());
  for (const auto& blob : record.blobs) out.field("blob", fmt::format("{} {} {}", blob.size_bytes, blob.xxh3, blob.name));
  return std::move(out).finish();
}

DecodedRecord decode_record(std::string_view bytes, const Key* expected) {
  if (!bytes.starts_with(k_magic)) return {std::nullopt, "record: not a jitcu entry record", false};
  const auto first_line = bytes.find('\n');
  int version = 0;
  if (first_line == std::string_view::npos ||
      !parse_number(bytes.substr(k_magic.size(), first_line - k_magic.size()), version))
    return {std::nullopt, "record: malformed first line", false};
  if (version != k_record_version)
    return {std::nullopt, fmt::format("record: format version {}, this jitcu reads {}", version, k_record_version), true};
  if (bytes.size() < first_line + 1 + k_checksum_line) return {std::nullopt, "record: cut short", false};
  const std::string_view trailer = bytes.substr(bytes.size() - k_checksum_line);
  const std::string_view covered = bytes.substr(0, bytes.size() - k_checksum_line);
  if (!trailer.starts_with(k_checksum_tag) || trailer.back() != '\n' ||
      trailer.substr(k_checksum_tag.size(), detail::k_xxh3_hex_digits) != detail::xxh3_hex(covered))
    return {std::nullopt, "record: checksum mismatch", false};
  Reader in(covered.substr(first_line + 1));
  EntryRecord record = read_fields(in);
  if (!in.problem().empty()) return {std::nullopt, "record: " + in.problem(), false};
  if (expected && record.key != *expected)
    return {std::nullopt, fmt::format("record: it is the record of key {}, not of its folder", record.key.short_hex()), false};
  return {std::move(record), {}, false};
}

}  // namespace jitcu::cache
