// read_all: every byte of files of any size, with or without a reserve, up to a limit.
#include "cache_test_util.hpp"

#include "posix_io.hpp"

#include <fcntl.h>
#include <unistd.h>

using namespace jitcu::cache::detail;
using namespace jitcu::test;
namespace fs = std::filesystem;

TEST_CASE("read_all reads whole files of random sizes, reserved or not, and stops at the limit") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  TempDir dir("posix-io");
  const std::size_t sizes[] = {0, 1, 15, 16, 4095, 4096, 4097, 65535, 65536, 65537, 300'000, 1'500'000};
  for (const std::size_t size : sizes) {
    for (int variant = 0; variant < 4; ++variant) {
      const std::string bytes = random_bytes(rng, size + rng() % 3);
      const fs::path file = dir.path() / "data";
      {
        UniqueFd out = open_path(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        REQUIRE(out);
        write_all(out.get(), bytes, file);
      }
      UniqueFd in = open_path(file, O_RDONLY);
      REQUIRE(in);
      std::string text = variant == 3 ? "prefix" : "";
      const std::string before = text;
      if (variant == 1) text.reserve(bytes.size() + 1);  // the cache's own pattern: size + 1
      if (variant == 2) text.reserve(bytes.size() / 2);  // a reserve that is too small
      const std::uint64_t limit = variant == 3 ? before.size() + bytes.size() / 2 : bytes.size() + 100;
      INFO("size " << bytes.size() << ", variant " << variant);
      REQUIRE(read_all(in.get(), text, limit) == 0);
      const std::string expected = variant == 3 ? before + bytes.substr(0, bytes.size() / 2) : bytes;
      CHECK(text.size() == expected.size());
      CHECK(text == expected);
    }
  }
}

TEST_CASE("read_all reports the error of a read that fails") {
  UniqueFd directory = open_path("/", O_RDONLY | O_DIRECTORY);
  REQUIRE(directory);
  std::string text = "kept";
  CHECK(read_all(directory.get(), text, 100) == EISDIR);
  CHECK(text == "kept");
}
