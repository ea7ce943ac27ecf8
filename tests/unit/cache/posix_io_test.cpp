// read_all: every byte of files of any size, with or without a reserve, up to a limit.
#include "cache_test_util.hpp"

#include "posix_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

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
      // Half the runs say the file's size, as the cache does after fstat: same bytes either way.
      const bool sized = rng() % 2 == 0;
      INFO("size " << bytes.size() << ", variant " << variant << ", sized " << sized);
      REQUIRE(read_all(in.get(), text, limit, sized ? std::optional<std::uint64_t>(bytes.size()) : std::nullopt) == 0);
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

TEST_CASE("read_all with a file size reads on after a short read below it, and past it when the file grew") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  // A pipe delivers the bytes in two writes: the first read is short, below the size given.
  const std::string first = random_bytes(rng, 1 + rng() % 3000), second = random_bytes(rng, 1 + rng() % 3000);
  int ends[2] = {-1, -1};
  REQUIRE(::pipe(ends) == 0);
  UniqueFd reader(ends[0]), writer(ends[1]);
  std::thread feed([&] {
    write_all(writer.get(), first, "pipe");
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    write_all(writer.get(), second, "pipe");
    writer = UniqueFd();
  });
  std::string text;
  text.reserve(first.size() + second.size() + 1);
  const int error = read_all(reader.get(), text, first.size() + second.size() + 100, first.size() + second.size());
  feed.join();
  CHECK(error == 0);
  CHECK(text == first + second);

  // A regular file that grew after its size was taken: the read fills and goes on to the end.
  TempDir dir("posix-io-grow");
  const fs::path file = dir.path() / "data";
  const std::string old_part = random_bytes(rng, 100 + rng() % 5000), new_part = random_bytes(rng, 1 + rng() % 5000);
  {
    UniqueFd out = open_path(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(out);
    write_all(out.get(), old_part + new_part, file);
  }
  UniqueFd in = open_path(file, O_RDONLY);
  REQUIRE(in);
  std::string grown;
  grown.reserve(old_part.size() + 1);  // sized for the old file, as the cache reserves size + 1
  REQUIRE(read_all(in.get(), grown, 1u << 20, old_part.size()) == 0);
  CHECK(grown == old_part + new_part);
}
