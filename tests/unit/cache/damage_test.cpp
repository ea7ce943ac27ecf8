// Damaged entries: every kind of file, every kind of damage, is a logged miss and a fresh put.
#include "cache_test_util.hpp"

#include <jitcu/cache/disk_store.hpp>

#include <nlohmann/json.hpp>

using namespace jitcu::cache;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_big_cap = 1ull << 30;

enum class Damage { flip_byte, truncate, remove };

const char* damage_name(Damage damage) {
  switch (damage) {
    case Damage::flip_byte: return "flip a byte";
    case Damage::truncate: return "truncate";
    case Damage::remove: return "delete";
  }
  return "?";
}

void damage_file(const fs::path& path, Damage damage, std::mt19937_64& rng) {
  std::string bytes = read_file(path);
  switch (damage) {
    case Damage::flip_byte: {
      REQUIRE_FALSE(bytes.empty());
      std::size_t at = rng() % bytes.size();
      // Whitespace between JSON tokens carries no meaning; damage something that does.
      if (path.filename() == "meta.json") {
        while (std::isspace(static_cast<unsigned char>(bytes[at]))) at = rng() % bytes.size();
      }
      bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + rng() % 255));
      write_file(path, bytes);
      break;
    }
    case Damage::truncate:
      fs::resize_file(path, rng() % bytes.size());
      break;
    case Damage::remove:
      fs::remove(path);
      break;
  }
}

// What verify() must say about the damaged file.
std::string expected_problem(const std::string& file, Damage damage) {
  if (file == "meta.json") {
    return damage == Damage::remove ? "meta.json: missing" : "meta.json: ";
  }
  switch (damage) {
    case Damage::flip_byte: return file + ": checksum mismatch";
    case Damage::truncate: return file + ": truncated (";
    case Damage::remove: return file + ": missing";
  }
  return "?";
}

}  // namespace

TEST_CASE("each kind of damage to each kind of file is reported, missed, removed and replaced") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (const std::string file : {"meta.json", "program.ptx", "sm_90.cubin"}) {
    for (const Damage damage : {Damage::flip_byte, Damage::truncate, Damage::remove}) {
      INFO(file << ": " << damage_name(damage));
      TempDir dir;
      DiskStore store(dir / "cache", k_big_cap);
      const Key key = random_key(rng);
      const Key bystander = random_key(rng);
      const NewEntry entry = make_entry(rng, 1 + rng() % 50'000);
      REQUIRE(store.put(key, entry));
      REQUIRE(store.put(bystander, make_entry(rng)));
      const std::optional<FoundEntry> found_before = store.find(key);
      REQUIRE(found_before);
      const fs::path entry_dir = store.entry_dir(key);
      damage_file(entry_dir / file, damage, rng);

      // verify() names the file and what is wrong, and leaves the entry where it is.
      const auto results = store.verify();
      REQUIRE(results.size() == 2);
      for (const VerifyResult& result : results) {
        if (result.key == bystander) {
          CHECK(result.ok);
          continue;
        }
        CHECK_FALSE(result.ok);
        INFO("problem: " << result.problem);
        CHECK(result.problem.rfind(expected_problem(file, damage), 0) == 0);
      }
      REQUIRE(fs::exists(entry_dir));

      // Reading it: a miss with one warning naming the entry; the entry is gone.
      clear_log();
      if (file == "meta.json") {
        CHECK_FALSE(store.find(key).has_value());
      } else {
        const std::optional<FoundEntry> found = store.find(key);
        REQUIRE(found);
        CHECK(store.read_blob(*found, "log.txt") == "");  // intact blobs still read
        CHECK(store.read_blob(*found, file) == std::nullopt);
      }
      const auto logged = warnings();
      REQUIRE(logged.size() == 1);
      CHECK(logged[0].find(key.hex()) != std::string::npos);
      CHECK(logged[0].find(file) != std::string::npos);
      CHECK_FALSE(fs::exists(entry_dir));
      CHECK_FALSE(store.find(key).has_value());
      // A reader still holding the old entry now just misses, without another warning.
      CHECK(store.read_blob(*found_before, "program.ptx") == std::nullopt);
      CHECK(warnings().size() == 1);

      // The caller recompiles and puts again: that works and reads back.
      REQUIRE(store.put(key, entry));
      const std::optional<FoundEntry> found_after = store.find(key);
      REQUIRE(found_after);
      CHECK(reads_back(store, *found_after, entry));
      CHECK(store.find(bystander).has_value());
      for (const VerifyResult& result : store.verify()) CHECK(result.ok);
    }
  }
}

TEST_CASE("put replaces a damaged entry it finds in its way") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));
  write_file(store.entry_dir(key) / "meta.json", "{ not json");
  clear_log();
  const NewEntry entry = make_entry(rng);
  REQUIRE(store.put(key, entry));
  const auto found = store.find(key);
  REQUIRE(found);
  CHECK(reads_back(store, *found, entry));
  const auto logged = warnings();
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("meta.json: not valid JSON") != std::string::npos);
  CHECK(count_children(dir / "cache" / "tmp") == 0);

  // An empty folder (an interrupted manual copy, say) is no entry either.
  const Key empty_key = random_key(rng);
  fs::create_directories(store.entry_dir(empty_key));
  CHECK_FALSE(store.find(empty_key).has_value());
  REQUIRE(store.put(empty_key, entry));
  CHECK(store.find(empty_key).has_value());
}

TEST_CASE("meta.json must belong to its folder and to this format version") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));

  SUBCASE("an entry copied into another key's folder") {
    const Key other = random_key(rng);
    fs::create_directories(store.entry_dir(other).parent_path());
    fs::copy(store.entry_dir(key), store.entry_dir(other));
    const auto results = store.verify();
    for (const auto& result : results) {
      if (result.key != other) continue;
      CHECK_FALSE(result.ok);
      CHECK(result.problem == "meta.json: store.key " + key.hex() + " does not match the folder");
    }
    clear_log();
    CHECK_FALSE(store.find(other).has_value());
    CHECK(warnings().size() == 1);
    CHECK(store.find(key).has_value());
  }
  SUBCASE("an entry of another format version") {
    nlohmann::json meta = nlohmann::json::parse(read_file(store.entry_dir(key) / "meta.json"));
    meta["store"]["format_version"] = k_entry_format_version + 1;
    meta.erase("meta_sha256");
    meta["meta_sha256"] = sha256_hex(meta.dump());
    write_file(store.entry_dir(key) / "meta.json", meta.dump());
    const auto results = store.verify();
    REQUIRE(results.size() == 1);
    CHECK(results[0].problem == "meta.json: format version " +
                                    std::to_string(k_entry_format_version + 1) + ", expected " +
                                    std::to_string(k_entry_format_version));
    CHECK_FALSE(store.find(key).has_value());
  }
  SUBCASE("a hand-edited engine field") {
    nlohmann::json meta = nlohmann::json::parse(read_file(store.entry_dir(key) / "meta.json"));
    meta["source_name"] = "other.cu";
    write_file(store.entry_dir(key) / "meta.json", meta.dump(2));
    const auto results = store.verify();
    REQUIRE(results.size() == 1);
    CHECK(results[0].problem == "meta.json: checksum mismatch");
    CHECK(store.list().empty());  // listings show only entries whose meta verifies
  }
  SUBCASE("a blob that grew") {
    const fs::path ptx = store.entry_dir(key) / "program.ptx";
    write_file(ptx, read_file(ptx) + "// more");
    const auto results = store.verify();
    REQUIRE(results.size() == 1);
    CHECK(results[0].problem.find("program.ptx: ") == 0);
    CHECK(results[0].problem.find("bytes, expected") != std::string::npos);
  }
  SUBCASE("several damaged blobs are all reported") {
    fs::remove(store.entry_dir(key) / "program.ptx");
    fs::remove(store.entry_dir(key) / "sm_90.cubin");
    const auto results = store.verify();
    REQUIRE(results.size() == 1);
    CHECK(results[0].problem == "program.ptx: missing; sm_90.cubin: missing");
  }
}

TEST_CASE("a reader whose entry was replaced meanwhile misses without removing the new one") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir;
  DiskStore store(dir / "cache", k_big_cap);
  const Key key = random_key(rng);
  REQUIRE(store.put(key, make_entry(rng)));
  const auto old_found = store.find(key);
  REQUIRE(old_found);
  store.remove(key);
  const NewEntry replacement = make_entry(rng);
  REQUIRE(store.put(key, replacement));  // same key, other bytes (a log with timings, say)
  clear_log();
  CHECK(store.read_blob(*old_found, "sm_90.cubin") == std::nullopt);
  CHECK(warnings().empty());
  const auto found = store.find(key);
  REQUIRE(found);
  CHECK(reads_back(store, *found, replacement));
}
