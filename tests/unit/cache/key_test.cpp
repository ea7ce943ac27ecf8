// Keys, key records and SHA-256.
#include "cache_test_util.hpp"

#include <jitcu/cache/key.hpp>
#include <jitcu/cache/sha256.hpp>

#include <set>
#include <unordered_set>

using namespace jitcu::cache;
using namespace jitcu::test;

TEST_CASE("sha256 matches the FIPS 180-2 test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex(std::string(1'000'000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  const std::uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  CHECK(to_hex(bytes, 4) == "000fa5ff");
}

TEST_CASE("a key survives hex and back; upper case is normalized") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 100; ++i) {
    const Key key = random_key(rng);
    const std::string hex = key.hex();
    REQUIRE(hex.size() == 64);
    CHECK(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(Key::from_hex(hex) == key);
    std::string upper = hex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    REQUIRE(Key::from_hex(upper).has_value());
    CHECK(Key::from_hex(upper)->hex() == hex);
    CHECK(key.short_hex() == hex.substr(0, 12));
  }
}

TEST_CASE("from_hex refuses everything but 64 hex digits") {
  const std::string good(64, 'a');
  CHECK(Key::from_hex(good).has_value());
  CHECK_FALSE(Key::from_hex("").has_value());
  CHECK_FALSE(Key::from_hex(good.substr(1)).has_value());
  CHECK_FALSE(Key::from_hex(good + "a").has_value());
  CHECK_FALSE(Key::from_hex(std::string(63, 'a') + "g").has_value());
  CHECK_FALSE(Key::from_hex(std::string(63, 'a') + " ").has_value());
  CHECK_FALSE(Key::from_hex(" " + std::string(63, 'a')).has_value());
  CHECK_FALSE(Key::from_hex("../" + std::string(61, 'a')).has_value());
  CHECK_FALSE(Key::from_hex(std::string(62, 'a') + "/a").has_value());
  CHECK_FALSE(Key::from_hex(std::string(63, 'a') + std::string(1, '\0')).has_value());
}

TEST_CASE("a key record hashes its canonical, length-prefixed serialization") {
  KeyRecord record;
  REQUIRE(record.fields().size() == 1);
  CHECK(record.fields()[0] == KeyRecord::Field{"key_format", std::to_string(k_key_format_version)});
  record.add("source", "hello");
  record.add("arch", "sm_90");
  const std::string canonical = "jitcu-key\nkey_format\t1\t" + std::to_string(k_key_format_version) +
                                "\nsource\t5\thello\narch\t5\tsm_90\n";
  CHECK(record.key().hex() == sha256_hex(canonical));
  CHECK(record.key() == record.key());
  CHECK(KeyRecord::from_fields(record.fields()).key() == record.key());
}

TEST_CASE("each field's name and value changes the key") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  std::vector<KeyRecord::Field> fields;
  for (int i = 0; i < 8; ++i) {
    fields.emplace_back("field" + std::to_string(i), random_bytes(rng, 1 + rng() % 40));
  }
  auto build = [](const std::vector<KeyRecord::Field>& list) {
    KeyRecord record;
    for (const auto& [name, value] : list) record.add(name, value);
    return record.key();
  };
  const Key base = build(fields);
  CHECK(build(fields) == base);  // equal records, equal keys
  std::set<Key> seen{base};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto changed_value = fields;
    changed_value[i].second[rng() % changed_value[i].second.size()] ^= 1;
    CHECK(seen.insert(build(changed_value)).second);
    auto changed_name = fields;
    changed_name[i].first += "x";
    CHECK(seen.insert(build(changed_name)).second);
    auto dropped = fields;
    dropped.erase(dropped.begin() + static_cast<std::ptrdiff_t>(i));
    CHECK(seen.insert(build(dropped)).second);
    auto empty_value = fields;
    empty_value[i].second.clear();
    CHECK(seen.insert(build(empty_value)).second);
  }
  auto swapped = fields;
  std::swap(swapped[0], swapped[1]);
  CHECK(seen.insert(build(swapped)).second);  // the order is part of the record
}

TEST_CASE("length prefixes keep shifted boundaries apart") {
  KeyRecord ab_c;
  ab_c.add("x", "ab");
  ab_c.add("y", "c");
  KeyRecord a_bc;
  a_bc.add("x", "a");
  a_bc.add("y", "bc");
  CHECK(ab_c.key() != a_bc.key());
  // A value that looks like a serialized field does not forge one.
  KeyRecord one;
  one.add("x", "a\n" "y\t1\tb");
  KeyRecord two;
  two.add("x", "a");
  two.add("y", "b");
  CHECK(one.key() != two.key());
}

TEST_CASE("field names with separators are refused") {
  KeyRecord record;
  CHECK_THROWS_AS(record.add("a\tb", "v"), std::invalid_argument);
  CHECK_THROWS_AS(record.add("a\nb", "v"), std::invalid_argument);
  CHECK_THROWS_AS(record.add("", "v"), std::invalid_argument);
  CHECK_NOTHROW(record.add("name", std::string("\t\n\0", 3)));  // values are stored as given
}

TEST_CASE("keys hash and order") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  std::unordered_set<Key> keys;
  for (int i = 0; i < 1000; ++i) keys.insert(random_key(rng));
  CHECK(keys.size() == 1000);
  const Key a = *Key::from_hex(std::string(63, '0') + "1");
  const Key b = *Key::from_hex(std::string(63, '0') + "2");
  CHECK(a < b);
}
