// The entry record's one codec: every record round-trips exactly, every damaged one is refused
// with a problem (never read as another record), and the helpers of entry.hpp.
#include "cache_test_util.hpp"

#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/record.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <limits>
#include <stdexcept>

using namespace jitcu::cache;
using namespace jitcu::test;

namespace {

/// Bytes of every value, with the ones a text format trips on (newline, NUL, space, colon,
/// digits) much more often than chance would give them.
std::string random_text(std::mt19937_64& rng, std::size_t max_size) {
  static constexpr char k_awkward[] = {'\n', '\0', ' ', ':', '\r', '\t', '0', '9', '-', '\xff'};
  std::string text(rng() % (max_size + 1), '\0');
  for (char& c : text)
    c = rng() % 3 == 0 ? k_awkward[rng() % sizeof k_awkward] : static_cast<char>(rng() & 0xff);
  return text;
}

std::string random_blob_name(std::mt19937_64& rng) {
  static constexpr std::string_view k_chars = "abcxyzABCXYZ0189._-";
  for (;;) {
    std::string name(1 + rng() % 24, 'a');
    for (char& c : name) c = k_chars[rng() % k_chars.size()];
    if (is_valid_blob_name(name)) return name;
  }
}

std::string random_hex(std::mt19937_64& rng, std::size_t digits) {
  std::string hex(digits, '0');
  for (char& c : hex) c = "0123456789abcdef"[rng() % 16];
  return hex;
}

/// Counts of 0 come up often: empty lists are where codecs go wrong.
std::size_t random_count(std::mt19937_64& rng, std::size_t max) { return rng() % 3 == 0 ? 0 : rng() % (max + 1); }

template <class Int>
Int random_int(std::mt19937_64& rng) {
  return static_cast<Int>(rng());
}

/// Any record the codec must carry: every string any bytes, every number its full range
/// (compile_ms in whole microseconds, well inside the nanoseconds the record keeps).
EntryRecord random_record(std::mt19937_64& rng) {
  EntryRecord record;
  record.key = random_key(rng);
  record.created_unix_ns = random_int<std::int64_t>(rng);
  record.source_name = random_text(rng, 40);
  record.arch = random_text(rng, 12);
  record.compile_ms = static_cast<double>(rng() % 1'000'000'000'000ull) / 1000.0;
  for (std::size_t i = 0, n = random_count(rng, 8); i < n; ++i)
    record.key_fields.emplace_back(random_text(rng, 20), random_text(rng, 60));
  for (std::size_t i = 0, n = random_count(rng, 5); i < n; ++i)
    record.name_expressions[random_text(rng, 30)] = random_text(rng, 30);
  for (std::size_t i = 0, n = random_count(rng, 5); i < n; ++i) {
    KernelRecord kernel{random_text(rng, 30), random_text(rng, 30), {}, std::nullopt};
    for (std::size_t p = 0, params = random_count(rng, 6); p < params; ++p)
      kernel.params.push_back({random_int<std::uint32_t>(rng), random_int<std::uint8_t>(rng), random_text(rng, 10)});
    if (rng() % 2)
      kernel.resources = KernelResources{random_int<std::int64_t>(rng), random_int<std::int64_t>(rng),
                                         random_int<std::int64_t>(rng), random_int<std::int64_t>(rng),
                                         random_int<std::int64_t>(rng)};
    record.kernels.push_back(std::move(kernel));
  }
  for (std::size_t i = 0, n = random_count(rng, 6); i < n; ++i)
    record.blobs.push_back(BlobRef{random_blob_name(rng), random_int<std::uint64_t>(rng), random_hex(rng, 32)});
  if (!record.blobs.empty() && rng() % 4 != 0) record.image = record.blobs[rng() % record.blobs.size()].name;
  return record;
}

/// XXH3-128 straight from xxHash, big-endian hex, as xxh128sum prints it.
std::string xxh128_of(std::string_view bytes) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.data(), bytes.size()));
  return to_hex(canonical.digest, sizeof canonical.digest);
}

constexpr std::size_t k_trailer_size = 5 + 32 + 1;  // "xxh3 " + 32 hex digits + "\n"

/// `record`'s bytes without the checksum line, for hand edits.
std::string body_of(const std::string& record) { return record.substr(0, record.size() - k_trailer_size); }
/// `body` with a valid checksum line: what someone who knows the format could write.
std::string sealed(const std::string& body) { return body + "xxh3 " + xxh128_of(body) + "\n"; }

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("random records round-trip exactly through encode_record and decode_record") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 300; ++round) {
    INFO("round " << round);
    const EntryRecord record = random_record(rng);
    const std::string bytes = encode_record(record);
    const DecodedRecord decoded = decode_record(bytes);
    INFO("problem: " << decoded.problem);
    REQUIRE(decoded.record.has_value());
    CHECK(decoded.problem.empty());
    CHECK_FALSE(decoded.other_version);
    CHECK(*decoded.record == record);
    CHECK(encode_record(*decoded.record) == bytes);  // one encoding per record
    const DecodedRecord checked = decode_record(bytes, &record.key);
    REQUIRE(checked.record.has_value());
    CHECK(*checked.record == record);
  }
}

TEST_CASE("an encoded record starts with its version and ends in its own XXH3-128") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  const std::string bytes = encode_record(random_record(rng));
  CHECK(bytes.starts_with("jitcu-record " + std::to_string(k_record_version) + "\n"));
  REQUIRE(bytes.size() > k_trailer_size);
  CHECK(bytes.substr(bytes.size() - k_trailer_size) == "xxh3 " + xxh128_of(body_of(bytes)) + "\n");
}

TEST_CASE("every single-byte flip and every truncation of a record is refused with a problem") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  const std::string version_line = "jitcu-record " + std::to_string(k_record_version) + "\n";
  for (int round = 0; round < 6; ++round) {
    const EntryRecord record = random_record(rng);
    const std::string bytes = encode_record(record);
    INFO("round " << round << ", " << bytes.size() << " bytes");
    for (std::size_t at = 0; at < bytes.size(); ++at) {
      std::string flipped = bytes;
      const auto mask = static_cast<char>(1 + rng() % 255);
      flipped[at] = static_cast<char>(flipped[at] ^ mask);
      const DecodedRecord decoded = decode_record(flipped, &record.key);
      if (decoded.record || decoded.problem.empty()) {
        FAIL_CHECK("a flip at byte " << at << " (mask " << int(static_cast<unsigned char>(mask))
                                     << ") was not refused; problem '" << decoded.problem << "'");
      }
      // Only the version digits can make it read as another version (a miss, not damage).
      if (decoded.other_version) CHECK(at < version_line.size() - 1);
    }
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      const DecodedRecord decoded = decode_record(std::string_view(bytes).substr(0, size), &record.key);
      if (decoded.record || decoded.problem.empty() || decoded.other_version)
        FAIL_CHECK("a record cut to " << size << " bytes was not refused as damage; problem '" << decoded.problem << "'");
    }
    CHECK_FALSE(decode_record(bytes + "\n").record.has_value());  // a byte more is damage too
    CHECK_FALSE(decode_record(bytes + bytes).record.has_value());
  }
}

TEST_CASE("each problem is named: format, checksum, version, key, and fields a forger could write") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  const Key key = random_key(rng);
  const EntryRecord record = random_entry(rng, key).record;  // known text: hand edits find their place
  const std::string bytes = encode_record(record);
  const std::string body = body_of(bytes);
  const auto problem = [&](std::string_view text) {
    const DecodedRecord decoded = decode_record(text, &key);
    CHECK_FALSE(decoded.record.has_value());
    CHECK_FALSE(decoded.other_version);
    return decoded.problem;
  };

  CHECK(problem("") == "record: not a jitcu entry record");
  CHECK(problem("{\"key\": 1}\n") == "record: not a jitcu entry record");
  CHECK(problem("jitcu-record 1") == "record: malformed first line");
  CHECK(problem("jitcu-record x\n") == "record: malformed first line");
  CHECK(problem("jitcu-record 1\nkey 3:abc\n") == "record: cut short");
  CHECK(problem(replaced(bytes, "source_name 13:vector_ops.cu", "source_name 13:vector_ops.cU")) ==
        "record: checksum mismatch");
  CHECK(problem(bytes.substr(0, bytes.size() - 1) + "x") == "record: checksum mismatch");

  // A record for another key (an entry copied into another key's folder).
  const Key other = random_key(rng);
  CHECK(decode_record(bytes, &other).problem ==
        "record: it is the record of key " + key.short_hex() + ", not of its folder");
  CHECK(decode_record(bytes).record.has_value());  // no key expected: any key will do

  // Checksummed, but not what this codec writes.
  CHECK(problem(sealed(replaced(body, "source_name 13:", "sourcename 13:"))) ==
        "record: expected the field 'source_name'");
  CHECK(problem(sealed(replaced(body, "arch 5:sm_90", "arch 9999:sm_90"))) == "record: field 'arch' is cut short");
  CHECK(problem(sealed(replaced(body, "arch 5:", "arch five:"))) == "record: field 'arch' has no length");
  CHECK(problem(sealed(replaced(body, "kernels 1:2\n", "kernels 10:9999999999\n"))) ==
        "record: field 'kernels' counts more items than the record holds");
  CHECK(problem(sealed(replaced(body, "compile_ns 9:125250000", "compile_ns 9:12525000x"))) ==
        "record: field 'compile_ns' is not a number");
  CHECK(problem(sealed(body + "extra 1:x\n")) == "record: unexpected bytes after the last field");
  CHECK(problem(sealed(replaced(body, "key 64:" + key.hex(), "key 64:" + std::string(64, 'g')))) ==
        "record: field 'key' is not 64 hex digits");

  EntryRecord escaping = record;
  escaping.blobs.push_back(BlobRef{"../../secret.txt", 6, checksum_hex("secret")});
  CHECK(problem(encode_record(escaping)) == "record: blob name '../../secret.txt' is not allowed");
  escaping.blobs.back().name = "record";  // the disk tier's own file
  CHECK(problem(encode_record(escaping)) == "record: blob name 'record' is not allowed");
  EntryRecord bad_checksum = record;
  bad_checksum.blobs.front().xxh3 = "XYZ";
  CHECK(problem(encode_record(bad_checksum)) == "record: field 'blob' is malformed");
  EntryRecord no_image = record;
  no_image.image = "sm_80.cubin";
  CHECK(problem(encode_record(no_image)) == "record: its image 'sm_80.cubin' is not one of its blobs");
}

TEST_CASE("a record of another format version is a miss, not damage, whatever follows its first line") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  const EntryRecord record = random_record(rng);
  const std::string bytes = encode_record(record);
  const std::string ours = "jitcu-record " + std::to_string(k_record_version) + "\n";
  REQUIRE(bytes.starts_with(ours));
  for (const int version : {0, k_record_version + 1, 1000}) {
    INFO("version " << version);
    for (const std::string& rest : {bytes.substr(ours.size()), random_text(rng, 200), std::string()}) {
      const DecodedRecord decoded = decode_record("jitcu-record " + std::to_string(version) + "\n" + rest, &record.key);
      CHECK_FALSE(decoded.record.has_value());
      CHECK(decoded.other_version);
      CHECK(decoded.problem == "record: format version " + std::to_string(version) + ", this jitcu reads " +
                                   std::to_string(k_record_version));
    }
  }
}

TEST_CASE("compile_ms is kept to the nanosecond") {
  std::mt19937_64 rng(test_seed());
  EntryRecord record = random_entry(rng, random_key(rng)).record;
  record.compile_ms = 1.23456789;
  const DecodedRecord decoded = decode_record(encode_record(record));
  REQUIRE(decoded.record);
  CHECK(decoded.record->compile_ms == 1.234568);
}

TEST_CASE("checksum_hex is XXH3-128 as xxh128sum prints it; blob_problem says what is wrong") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  CHECK(checksum_hex("") == "99aa06d3014798d86001c324468d497f");  // xxHash's own test vector
  const std::string bytes = random_bytes(rng, 1 + rng() % 100'000);
  CHECK(checksum_hex(bytes) == xxh128_of(bytes));
  std::string flipped = bytes;
  flipped[rng() % flipped.size()] ^= static_cast<char>(1 + rng() % 255);
  CHECK(checksum_hex(flipped) != checksum_hex(bytes));

  const BlobRef ref{"sm_90.cubin", bytes.size(), checksum_hex(bytes)};
  CHECK(blob_problem(ref, bytes).empty());
  CHECK(blob_problem(ref, flipped) == "sm_90.cubin: checksum mismatch");
  const std::size_t cut = rng() % bytes.size();
  CHECK(blob_problem(ref, bytes.substr(0, cut)) ==
        "sm_90.cubin: truncated (" + std::to_string(cut) + " of " + std::to_string(bytes.size()) + " bytes)");
  CHECK(blob_problem(ref, bytes + "x") ==
        "sm_90.cubin: " + std::to_string(bytes.size() + 1) + " bytes, expected " + std::to_string(bytes.size()));
}

TEST_CASE("make_entry fills the blob list; bad names and a missing image are programming errors") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  const Key key = random_key(rng);
  const Entry entry = random_entry(rng, key);
  REQUIRE(entry.record.blobs.size() == entry.blobs.size());
  std::uint64_t total = 0;
  auto ref = entry.record.blobs.begin();
  for (const auto& [name, bytes] : entry.blobs) {  // sorted by name, as the map is
    CHECK(ref->name == name);
    CHECK(ref->size_bytes == bytes.size());
    CHECK(ref->xxh3 == xxh128_of(bytes));
    CHECK(entry.record.blob(name) == &*ref);
    total += bytes.size();
    ++ref;
  }
  CHECK(entry.record.blob("sm_80.cubin") == nullptr);
  CHECK(entry.record.blob_bytes() == total);

  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "record", "meta.json", "../escape", "a/b",
                                                         "/abs", "sp ace", std::string("nul\0", 4), "ü.ptx", "a\n"}) {
    INFO("name='" << bad << "'");
    CHECK_FALSE(is_valid_blob_name(bad));
    std::map<std::string, std::string> blobs = entry.blobs;
    blobs[bad] = "x";
    CHECK_THROWS_WITH_AS(make_entry(entry.record, blobs), doctest::Contains("bad cache blob name"),
                         std::invalid_argument);
  }
  for (const char* good : {"A-z_0.9", "index", "sm_90.cubin", "...", "-"}) CHECK(is_valid_blob_name(good));
  std::map<std::string, std::string> no_cubin = entry.blobs;
  no_cubin.erase("sm_90.cubin");
  CHECK_THROWS_WITH_AS(make_entry(entry.record, no_cubin),
                       "cache entry's image 'sm_90.cubin' is not one of its blobs", std::invalid_argument);
}

TEST_CASE("a blob selection wants all, some or none") {
  CHECK(BlobSelection::all().wants("sm_90.cubin"));
  CHECK(BlobSelection::all().wants("anything"));
  CHECK(BlobSelection::only("program.ptx").wants("program.ptx"));
  CHECK_FALSE(BlobSelection::only("program.ptx").wants("sm_90.cubin"));
  CHECK_FALSE(BlobSelection::none().wants("sm_90.cubin"));
  const BlobSelection two{{"log.txt", "source.cu"}, false};
  CHECK(two.wants("log.txt"));
  CHECK(two.wants("source.cu"));
  CHECK_FALSE(two.wants("program.ptx"));
}
