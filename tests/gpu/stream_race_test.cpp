// Upload-then-launch on a jitcu::Stream: a synchronous copy from pageable memory must be
// complete when it returns, whatever stream the next kernel runs on. Sizes include the ones
// that went wrong most often when streams were non-blocking (100,000 and 1,048,576 floats).
#include "engine_support.hpp"

#include <jitcu/stream.hpp>

#include <doctest/doctest.h>

#include <limits>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// Index of the first element where c != a * b, or -1.
long first_wrong(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c) {
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c[i] != a[i] * b[i]) return static_cast<long>(i);
  return -1;
}

/// Fresh pageable inputs, copied in with copy_from, multiplied at once on `stream`, read back.
void upload_launch_check(const Kernel& multiply, Stream& stream, std::mt19937& rng, std::size_t n, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    const auto a = random_floats(rng, n);
    const auto b = random_floats(rng, n);
    DeviceBuffer<float> da(n), db(n), dc(n);
    dc.fill_bytes(0xFF);  // NaN poison
    da.copy_from(a);
    db.copy_from(b);
    multiply.launch({.grid = grid_for(n, 256), .block = 256, .stream = stream}, da, db, dc, static_cast<int>(n));
    stream.synchronize();
    std::vector<float> c(n, 0.0f);
    dc.copy_to(c);
    const long wrong = first_wrong(a, b, c);
    INFO("n=" << n << " round=" << round << " first wrong element=" << wrong);
    REQUIRE(wrong == -1);
  }
}

}  // namespace

TEST_CASE("a kernel on a jitcu::Stream sees data copied in just before, for any stream kind") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Kernel multiply = engine.compile(seed_source()).kernel("dot_product");
  for (const StreamSync sync : {StreamSync::blocking, StreamSync::non_blocking}) {
    CAPTURE(static_cast<int>(sync));
    Stream stream(sync);
    for (const std::size_t n : {std::size_t{4096}, std::size_t{100'000}, std::size_t{1'048'576}})
      upload_launch_check(multiply, stream, rng, n, n > 200'000 ? 60 : 150);
  }
}

TEST_CASE("to_device then a launch on a new stream, twice in one process, as the seed does") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir cache;
  auto engine = engine_in(cache);
  const Kernel multiply = engine.compile(seed_source()).kernel("dot_product");
  for (int run = 0; run < 2; ++run) {
    const std::size_t n = 10'000;
    const auto a = random_floats(rng, n), b = random_floats(rng, n);
    auto da = to_device(a), db = to_device(b);
    DeviceBuffer<float> dc(n);
    dc.fill_bytes(0xFF);
    Stream stream;
    multiply.launch({.grid = grid_for(n, 256), .block = 256, .stream = stream}, da, db, dc, static_cast<int>(n));
    stream.synchronize();
    const auto c = dc.to_host();
    INFO("run=" << run);
    REQUIRE(first_wrong(a, b, c) == -1);
  }
}
