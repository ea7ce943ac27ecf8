#pragma once
// Private: `index`, a disk entry's small record for the cache-hit path: the store's fields, the
// blob checksums and the engine's summary, in a line format that reads without a JSON parser.
#include "meta.hpp"

#include <jitcu/cache/entry.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace jitcu::cache::detail {

constexpr std::string_view k_index_file = "index";

/// The index text for an entry published under `key` with these blobs (records and bytes, by
/// name) and engine summary.
std::string make_index_text(const Key& key, const std::map<std::string, BlobInfo>& blobs,
                            const std::map<std::string, std::string>& blob_bytes, std::string_view summary,
                            std::int64_t created_unix_ns);

/// Outcome of reading an index: the entry (key, blobs, summary, created; meta left null) or
/// what is wrong with it ("index: ...").
using IndexCheck = MetaCheck;

/// Parses and verifies an index's text for the entry in the folder named `folder_key`.
IndexCheck check_index(std::string_view text, const Key& folder_key);

/// One blob's recorded size and checksums, viewed in an index's text.
struct BlobView {
  std::uint64_t size_bytes = 0;
  std::string_view sha256;
  std::string_view xxh3;  // what a hit checks; empty in an index of version 1, where it is sha256
};

/// What a cache hit needs from an index, as views into its text: one blob's record (nullopt
/// when the entry has no such blob) and the summary; `problem` says what is wrong, if anything.
struct IndexView {
  std::optional<BlobView> blob;
  std::string_view summary;
  std::string problem;
};

/// check_index() without building a FoundEntry: the same checks, one blob looked up.
IndexView view_index(std::string_view text, const Key& folder_key, std::string_view blob_name);

}  // namespace jitcu::cache::detail
