#include "entry_index.hpp"

#include "fast_checksum.hpp"
#include "meta.hpp"
#include "posix_io.hpp"

#include <jitcu/cache/sha256.hpp>

#include <charconv>

#include <fmt/format.h>

// The format (docs/cache-format.md), one record a line, the summary as counted bytes:
//   jitcu-index 2
//   key <64 hex>
//   created_unix_ns <integer>
//   blob <name> <size> <64 hex sha256> <32 hex xxh3-128>     one line per blob
//   summary <byte count>
//   <the engine's summary bytes>
//   xxh3 <32 hex xxh3-128 of every byte before this line>
// Version 1, which jitcu wrote before, has no xxh3 on its blob lines and ends in
// "sha256 <64 hex>"; it is still read.
namespace jitcu::cache::detail {
namespace {

constexpr std::string_view k_magic_v1 = "jitcu-index 1\n";
constexpr std::string_view k_magic = "jitcu-index 2\n";
constexpr std::size_t k_digest_hex = 64;

/// What differs between the versions: the checksum of the whole index and of each blob.
struct IndexVersion {
  std::string_view magic;
  std::string_view checksum_field;  // the last line's
  std::size_t checksum_hex;
  std::string (*checksum)(std::string_view);
  bool blob_xxh3;  // blob lines end in an XXH3 after the SHA-256
};

constexpr IndexVersion k_version_1{k_magic_v1, "sha256", k_digest_hex, &sha256_hex, false};
constexpr IndexVersion k_version_2{k_magic, "xxh3", k_xxh3_hex_digits, &xxh3_hex, true};

bool is_lower_hex(std::string_view text) {
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

/// Reads the index line by line; every accessor returns nullopt on a malformed line.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}

  /// The value of the next line if it starts with "<field> ".
  std::optional<std::string_view> field(std::string_view name) {
    const std::size_t end = rest_.find('\n');
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view line = rest_.substr(0, end);
    if (line.size() <= name.size() || line.substr(0, name.size()) != name || line[name.size()] != ' ')
      return std::nullopt;
    rest_.remove_prefix(end + 1);
    return line.substr(name.size() + 1);
  }

  bool next_is(std::string_view name) const {
    return rest_.size() > name.size() && rest_.substr(0, name.size()) == name && rest_[name.size()] == ' ';
  }

  /// `count` raw bytes followed by a newline.
  std::optional<std::string_view> bytes(std::uint64_t count) {
    if (count >= rest_.size() || rest_[count] != '\n') return std::nullopt;
    const std::string_view taken = rest_.substr(0, count);
    rest_.remove_prefix(count + 1);
    return taken;
  }

  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

template <class Integer>
std::optional<Integer> to_integer(std::string_view text) {
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

/// A blob line's fields, viewed in the index's text.
struct BlobLine {
  std::string_view name;
  std::uint64_t size = 0;
  std::string_view sha256;
  std::string_view xxh3;  // empty in a version-1 index
};

bool is_digest(std::string_view text, std::size_t hex_digits) { return text.size() == hex_digits && is_lower_hex(text); }

/// "<name> <size> <sha256>[ <xxh3>]" of a blob line.
std::optional<BlobLine> parse_blob(std::string_view value, const IndexVersion& version) {
  const std::size_t first = value.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : value.find(' ', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const std::string_view name = value.substr(0, first);
  const auto size = to_integer<std::uint64_t>(value.substr(first + 1, second - first - 1));
  std::string_view digest = value.substr(second + 1), xxh3;
  if (version.blob_xxh3) {
    const std::size_t third = digest.find(' ');
    if (third == std::string_view::npos) return std::nullopt;
    xxh3 = digest.substr(third + 1);
    digest = digest.substr(0, third);
    if (!is_digest(xxh3, k_xxh3_hex_digits)) return std::nullopt;
  }
  if (!is_valid_blob_name(name) || !size || !is_digest(digest, k_digest_hex)) return std::nullopt;
  return BlobLine{name, *size, digest, xxh3};
}

/// What walk_index() found; `problem` is empty when the index is intact.
struct IndexWalk {
  std::string problem;
  std::int64_t created_unix_ns = 0;
  std::string_view summary;
};

/// Verifies the index (checksum first, then every line) and hands each blob line to `on_blob`:
/// the one definition of the format that check_index() and view_index() share.
template <class OnBlob>
IndexWalk walk_index(std::string_view text, const Key& folder_key, OnBlob on_blob) {
  const auto damaged = [](std::string_view what) { return IndexWalk{fmt::format("{}: {}", k_index_file, what), 0, {}}; };
  const IndexVersion* version = text.starts_with(k_version_2.magic)   ? &k_version_2
                                : text.starts_with(k_version_1.magic) ? &k_version_1
                                                                      : nullptr;
  if (!version) return damaged("not a jitcu index (or another version)");
  // The checksum first: nothing below is trusted before it matches.
  const std::size_t trailer_size = version->checksum_field.size() + 1 + version->checksum_hex + 1;  // "<field> <hex>\n"
  if (text.size() < version->magic.size() + trailer_size) return damaged("truncated");
  const std::string_view body = text.substr(0, text.size() - trailer_size);
  LineReader trailer(text.substr(body.size()));
  const auto recorded = trailer.field(version->checksum_field);
  if (!recorded || !trailer.rest().empty()) return damaged("no checksum line at the end");
  if (version->checksum(body) != *recorded) return damaged("checksum mismatch");

  LineReader lines(body.substr(version->magic.size()));
  const auto key = lines.field("key");
  if (!key) return damaged("no key line");
  if (*key != folder_key.hex()) return damaged(fmt::format("key {} does not match the folder", *key));
  const auto created_text = lines.field("created_unix_ns");
  const auto created = created_text ? to_integer<std::int64_t>(*created_text) : std::nullopt;
  if (!created) return damaged("no created_unix_ns line");
  while (lines.next_is("blob")) {
    const auto blob = parse_blob(*lines.field("blob"), *version);
    if (!blob) return damaged("a malformed blob line");
    on_blob(*blob);
  }
  const auto count_text = lines.field("summary");
  const auto count = count_text ? to_integer<std::uint64_t>(*count_text) : std::nullopt;
  const auto summary = count ? lines.bytes(*count) : std::nullopt;
  if (!summary || !lines.rest().empty()) return damaged("a malformed summary");
  return IndexWalk{{}, *created, *summary};
}

}  // namespace

std::string make_index_text(const Key& key, const std::map<std::string, BlobInfo>& blobs,
                            const std::map<std::string, std::string>& blob_bytes, std::string_view summary,
                            std::int64_t created_unix_ns) {
  std::string text(k_magic);
  text += fmt::format("key {}\ncreated_unix_ns {}\n", key.hex(), created_unix_ns);
  for (const auto& [name, info] : blobs)
    text += fmt::format("blob {} {} {} {}\n", name, info.size_bytes, info.sha256, xxh3_hex(blob_bytes.at(name)));
  text += fmt::format("summary {}\n", summary.size());
  text += summary;
  text += '\n';
  text += fmt::format("xxh3 {}\n", xxh3_hex(text));
  return text;
}

IndexCheck check_index(std::string_view text, const Key& folder_key) {
  FoundEntry entry;
  const IndexWalk walk = walk_index(text, folder_key, [&](const BlobLine& blob) {
    entry.total_size_bytes += blob.size;
    entry.blobs.emplace(std::string(blob.name), BlobInfo{blob.size, std::string(blob.sha256)});
  });
  if (!walk.problem.empty()) return IndexCheck{std::nullopt, walk.problem};
  entry.key = folder_key;
  entry.created = from_unix_ns(walk.created_unix_ns);
  entry.summary = std::string(walk.summary);
  entry.total_size_bytes += text.size();
  return IndexCheck{std::move(entry), {}};
}

IndexView view_index(std::string_view text, const Key& folder_key, std::string_view blob_name) {
  IndexView view;
  const IndexWalk walk = walk_index(text, folder_key, [&](const BlobLine& blob) {
    if (blob.name == blob_name) view.blob = BlobView{blob.size, blob.sha256, blob.xxh3};
  });
  if (!walk.problem.empty()) return IndexView{std::nullopt, {}, walk.problem};
  view.summary = walk.summary;
  return view;
}

}  // namespace jitcu::cache::detail
