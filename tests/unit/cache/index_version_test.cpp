// The index's two versions: version 2 checks blobs (and itself) with XXH3-128 on a cache hit;
// version 1, which earlier jitcu wrote, checks them with SHA-256 and is still read.
#include "cache_test_util.hpp"
#include "fast_checksum.hpp"

#include <jitcu/cache/disk_store.hpp>
#include <jitcu/cache/sha256.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <sstream>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// XXH3-128 straight from xxHash, big-endian hex, as xxh128sum prints it.
std::string xxh128_of(const std::string& bytes) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.data(), bytes.size()));
  return to_hex(canonical.digest, sizeof canonical.digest);
}

/// Rewrites a version-2 index the way jitcu wrote version 1: blob lines without their XXH3,
/// and a SHA-256 of the rest as the last line. `blob_edit` may change a blob line first.
void rewrite_index(const fs::path& path, int version,
                   const std::function<void(std::vector<std::string>&)>& blob_edit = {}) {
  std::string text = read_file(path);
  const std::size_t trailer = text.rfind("\nxxh3 ");
  REQUIRE(trailer != std::string::npos);
  std::string body = text.substr(0, trailer + 1);
  std::string out;
  std::size_t at = 0;
  while (at < body.size()) {  // blob lines come before "summary"; the summary's bytes are copied as they are
    const std::size_t end = body.find('\n', at);
    std::string line = body.substr(at, end - at);
    at = end + 1;
    if (line.rfind("summary ", 0) == 0) {
      out += line + "\n" + body.substr(at);
      break;
    }
    if (line.rfind("blob ", 0) == 0) {
      std::istringstream fields(line);
      std::vector<std::string> parts;
      for (std::string part; fields >> part;) parts.push_back(part);
      REQUIRE(parts.size() == 5);
      if (blob_edit) blob_edit(parts);
      if (version == 1) parts.pop_back();
      line.clear();
      for (const auto& part : parts) line += (line.empty() ? "" : " ") + part;
    }
    if (line == "jitcu-index 2" && version == 1) line = "jitcu-index 1";
    out += line + "\n";
  }
  out += version == 1 ? "sha256 " + sha256_hex(out) + "\n" : "xxh3 " + xxh128_of(out) + "\n";
  write_file(path, out);
}

/// A disk store holding one random entry (a summary of any bytes) under a random key.
struct OneEntry {
  explicit OneEntry(std::mt19937_64& rng)
      : store(dir / "cache", k_big_cap), key(random_key(rng)), entry(make_entry(rng, 1 + rng() % 40'000)) {
    entry.summary = random_bytes(rng, rng() % 3000);
    REQUIRE(store.put(key, entry));
  }
  fs::path index() const { return store.entry_dir(key) / "index"; }

  TempDir dir;
  DiskStore store;
  Key key;
  NewEntry entry;
};

}  // namespace

TEST_CASE("xxh3_hex is XXH3-128 as xxh128sum prints it") {
  CHECK(detail::xxh3_hex("") == "99aa06d3014798d86001c324468d497f");  // xxHash's own test vector
  std::mt19937_64 rng(test_seed());
  const std::string bytes = random_bytes(rng, 1 + rng() % 100'000);
  CHECK(detail::xxh3_hex(bytes) == xxh128_of(bytes));
  std::string flipped = bytes;
  flipped[rng() % flipped.size()] ^= static_cast<char>(1 + rng() % 255);
  CHECK(detail::xxh3_hex(flipped) != detail::xxh3_hex(bytes));
}

TEST_CASE("a version-2 index lists each blob's SHA-256 and XXH3-128 and ends in its own XXH3-128") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  OneEntry one(rng);
  const auto& [dir, store, key, entry] = one;
  const std::string text = read_file(one.index());
  const auto lines = lines_of(text);
  REQUIRE(lines.size() > 3);
  CHECK(lines.front() == "jitcu-index 2");
  std::size_t blobs = 0;
  for (const auto& line : lines) {
    if (line.rfind("blob ", 0) != 0) continue;
    std::istringstream fields(line.substr(5));
    std::string name, sha, xxh;
    std::uint64_t size = 0;
    fields >> name >> size >> sha >> xxh;
    const std::string bytes = read_file(store.entry_dir(key) / name);
    CHECK(size == bytes.size());
    CHECK(sha == sha256_hex(bytes));
    CHECK(xxh == xxh128_of(bytes));
    ++blobs;
  }
  CHECK(blobs == entry.blobs.size());
  const std::size_t trailer = text.rfind("\nxxh3 ");
  REQUIRE(trailer != std::string::npos);
  CHECK(text.substr(trailer + 1) == "xxh3 " + xxh128_of(text.substr(0, trailer + 1)) + "\n");
}

TEST_CASE("an index of version 1 is still read, and a blob's damage under it still found") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  OneEntry one(rng);
  auto& [dir, store, key, entry] = one;
  rewrite_index(one.index(), 1);
  REQUIRE(read_file(one.index()).rfind("jitcu-index 1\n", 0) == 0);

  clear_log();
  const auto hit = store.find_blob(key, "sm_90.cubin");
  REQUIRE(hit);
  CHECK(hit->bytes == entry.blobs.at("sm_90.cubin"));
  CHECK(hit->summary == entry.summary);
  const auto quick = store.find_quick(key);
  REQUIRE(quick);
  CHECK(quick->summary == entry.summary);
  CHECK(reads_back(store, *quick, entry));
  const auto results = store.verify();
  REQUIRE(results.size() == 1);
  CHECK(results[0].ok);
  CHECK(warnings().empty());

  damage_file_bytes(store.entry_dir(key) / "sm_90.cubin", false, rng);  // same size, a byte flipped
  CHECK_FALSE(store.find_blob(key, "sm_90.cubin").has_value());
  CHECK(warnings().size() == 1);
  CHECK_FALSE(fs::exists(store.entry_dir(key)));
}

TEST_CASE("a blob whose XXH3 in an intact index is wrong is read the long way, where SHA-256 decides") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  OneEntry one(rng);
  auto& [dir, store, key, entry] = one;
  rewrite_index(one.index(), 2, [&](std::vector<std::string>& blob) {
    if (blob[1] == "sm_90.cubin") blob[4] = xxh128_of(random_bytes(rng, 64));
  });
  clear_log();
  const auto hit = store.find_blob(key, "sm_90.cubin");
  REQUIRE(hit);
  CHECK(hit->bytes == entry.blobs.at("sm_90.cubin"));
  CHECK(warnings().empty());
  damage_file_bytes(store.entry_dir(key) / "sm_90.cubin", false, rng);
  CHECK_FALSE(store.find_blob(key, "sm_90.cubin").has_value());
  CHECK(warnings().size() == 1);
}
