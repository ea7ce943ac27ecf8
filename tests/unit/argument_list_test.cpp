// Run-time argument lists, without a GPU: a list built from Kernel::parameters() passes the
// check, a wrong one fails with the same message a typed pack gets; scalars parse exactly.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// The host mirror of jitcu_kernels::Affine in kernels/vector_ops.cu.
struct Affine {
  float scale;
  float offset;
  int clamp_to_zero;
};

const float* const k_in = nullptr;
float* const k_out = nullptr;

struct Seed {
  TempDir cache;
  Engine engine = engine_in(cache);
  Module module = engine.compile(seed_source(), {.name_expressions = {"scale<float>", "scale<double>"}});
};

/// A list that fits `parameters`, with random values, as a host program would build it.
ArgumentList list_for(const std::vector<KernelParameter>& parameters, std::mt19937& rng) {
  ArgumentList list;
  for (const auto& p : parameters) {
    if (p.kind == ValueKind::bytes) {
      std::vector<std::byte> bytes(p.size_bytes);
      for (auto& b : bytes) b = static_cast<std::byte>(rng());
      list.add_bytes(bytes, p.alignment);
    } else if (p.kind == ValueKind::floating) {
      list.add_scalar(p.size_bytes == 4 ? ScalarType::f32 : ScalarType::f64, std::to_string(rng() % 1000) + ".25");
    } else if (p.size_bytes == 8) {
      list.add_pointer(DevicePtr{rng()} << 8);
    } else {
      list.add_scalar(ScalarType::i32, std::to_string(static_cast<int>(rng() % 2000) - 1000));
    }
  }
  return list;
}

template <class T>
std::vector<std::byte> bytes_of(T value) {
  std::vector<std::byte> bytes(sizeof(T));
  std::memcpy(bytes.data(), &value, sizeof(T));
  return bytes;
}

}  // namespace

TEST_CASE("a list built from Kernel::parameters() passes the check for every kernel of the seed") {
  const unsigned seed_value = test_seed();
  INFO("seed=" << seed_value);
  std::mt19937 rng(seed_value);
  const Seed seed;
  for (const auto& info : seed.module.kernels()) {
    INFO("kernel " << info.signature);
    const Kernel kernel = seed.module.kernel(info.symbol);
    const auto parameters = kernel.parameters();
    REQUIRE(parameters.size() == kernel.params().size());
    const ArgumentList list = list_for(parameters, rng);
    CHECK(list.size() == parameters.size());
    CHECK_NOTHROW(kernel.check(list));
    CHECK(list.pointers().size() == list.size() + 1);
  }
  const auto affine = seed.module.kernel("jitcu_kernels::affine").parameters();
  REQUIRE(affine.size() == 4);
  CHECK(affine[0].kind == ValueKind::bytes);
  CHECK(affine[0].size_bytes == sizeof(Affine));
  CHECK(affine[0].alignment == alignof(Affine));
  CHECK(affine[0].ptx_type == ".b8[12]");
  CHECK(affine[1].size_bytes == 8);
  CHECK(affine[1].alignment == 8);
  CHECK(affine[3].kind == ValueKind::integer);
  CHECK(affine[3].alignment == 4);
}

TEST_CASE("parameters() keeps a struct's alignment after a disk-cache hit in a new Engine") {
  TempDir cache;
  const Source source = Source::string(R"(
struct alignas(16) Wide { double a; int b; };
__global__ void wide(Wide w, double* out) { *out = w.a + w.b; }
)", "wide.cu");
  (void)engine_in(cache).compile(source);
  const Module hit = engine_in(cache).compile(source);
  CHECK(hit.origin() == Origin::disk_cache);
  const auto parameters = hit.kernel("wide").parameters();
  REQUIRE(parameters.size() == 2);
  CHECK(parameters[0].size_bytes == 16);
  CHECK(parameters[0].alignment == 16);
  REQUIRE(hit.kernels().size() == 1);
  CHECK(hit.kernels().front().parameters.at(0).alignment == 16);
}

TEST_CASE("a list that does not fit fails with the message a typed pack gets, naming the parameter") {
  const Seed seed;
  const Kernel saxpy = seed.module.kernel("saxpy");
  const Kernel affine = seed.module.kernel("jitcu_kernels::affine");

  ArgumentList doubled;  // double where saxpy takes float
  doubled.add_scalar(ScalarType::f64, "2").add_pointer(0).add_pointer(0).add_scalar(ScalarType::i32, "5");
  const auto typed = message_of<ArgumentError>([&] { saxpy.check(2.0, k_in, k_out, 5); });
  CHECK(typed.find("parameter 0") != std::string::npos);
  CHECK(message_of<ArgumentError>([&] { saxpy.check(doubled); }) == typed);
  CHECK(message_of<ArgumentError>([&] { saxpy.launch(1, 1, doubled); }) == typed);

  ArgumentList short_list;  // one argument missing
  short_list.add(2.0f).add(k_in).add(k_out);
  CHECK_THROWS_WITH_AS(saxpy.check(short_list), doctest::Contains("takes 4 parameter(s) but the launch passed 3"),
                       ArgumentError);

  ArgumentList float_count;  // a float where an int goes: same size, wrong kind
  float_count.add(2.0f).add(k_in).add(k_out).add_scalar(ScalarType::f32, "5");
  CHECK_THROWS_WITH_AS(saxpy.check(float_count), doctest::Contains("parameter 3"), ArgumentError);

  const Affine map{2.0f, 1.0f, 0};
  ArgumentList small_struct;  // 8 bytes for a 12-byte struct
  small_struct.add_bytes(std::span(reinterpret_cast<const std::byte*>(&map), 8), 4).add(k_in).add(k_out).add(3);
  CHECK_THROWS_WITH_AS(affine.check(small_struct), doctest::Contains("parameter 0 takes 12 bytes (.b8[12])"),
                       ArgumentError);
  ArgumentList good_struct;
  good_struct.add_bytes(std::span(reinterpret_cast<const std::byte*>(&map), sizeof(map)), alignof(Affine))
      .add(k_in).add(k_out).add(3);
  CHECK_NOTHROW(affine.check(good_struct));
  ArgumentList typed_struct;
  typed_struct.add(map).add(k_in).add(k_out).add(3);
  CHECK_NOTHROW(affine.check(typed_struct));

  // A list that passed once is checked again after it changed: no cache by address.
  ArgumentList reused;
  reused.add(2.0f).add(k_in).add(k_out).add(5);
  CHECK_NOTHROW(saxpy.check(reused));
  reused.clear();
  reused.add(2.0).add(k_in).add(k_out).add(5);
  CHECK_THROWS_WITH_AS(saxpy.check(reused), doctest::Contains("parameter 0"), ArgumentError);
  CHECK_THROWS_WITH_AS(ArgumentList().add_bytes({}, 3), doctest::Contains("power of two"), ArgumentError);
}

TEST_CASE("scalars from text are exactly the values C++ would pass; bad text names the type") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 200; ++round) {
    const auto i32 = static_cast<std::int32_t>(rng());
    const auto u64 = static_cast<std::uint64_t>(rng());
    const auto i64 = static_cast<std::int64_t>(rng());
    const auto i8 = static_cast<std::int8_t>(rng());
    const float f32 = std::uniform_real_distribution<float>(-1e6f, 1e6f)(rng);
    const double f64 = std::uniform_real_distribution<double>(-1e300, 1e300)(rng);
    INFO("i32=" << i32 << " u64=" << u64 << " i64=" << i64);
    CHECK(scalar_bytes(ScalarType::i32, std::to_string(i32)) == bytes_of(i32));
    CHECK(scalar_bytes(ScalarType::u64, std::to_string(u64)) == bytes_of(u64));
    CHECK(scalar_bytes(ScalarType::u64, fmt::format("0x{:x}", u64)) == bytes_of(u64));
    CHECK(scalar_bytes(ScalarType::i64, std::to_string(i64)) == bytes_of(i64));
    CHECK(scalar_bytes(ScalarType::i8, std::to_string(int{i8})) == bytes_of(i8));
    CHECK(scalar_bytes(ScalarType::f32, fmt::format("{}", f32)) == bytes_of(f32));  // shortest round-trip text
    CHECK(scalar_bytes(ScalarType::f64, fmt::format("{}", f64)) == bytes_of(f64));
  }
  CHECK(scalar_bytes(ScalarType::i64, "-9223372036854775808") == bytes_of(std::numeric_limits<std::int64_t>::min()));
  CHECK(scalar_bytes(ScalarType::u8, "255") == bytes_of(std::uint8_t{255}));
  CHECK(scalar_bytes(ScalarType::f32, "0.1") == bytes_of(0.1f));
  CHECK_THROWS_WITH_AS(scalar_bytes(ScalarType::u8, "256"), doctest::Contains("outside 0..255"), ArgumentError);
  CHECK_THROWS_WITH_AS(scalar_bytes(ScalarType::i8, "-129"), doctest::Contains("outside -128..127"), ArgumentError);
  CHECK_THROWS_WITH_AS(scalar_bytes(ScalarType::u32, "-1"), doctest::Contains("unsigned"), ArgumentError);
  CHECK_THROWS_WITH_AS(scalar_bytes(ScalarType::i32, "1.5"), doctest::Contains("'1.5' is not a valid 'int'"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(scalar_bytes(ScalarType::f32, "abc"), doctest::Contains("'abc' is not a valid 'float'"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(scalar_bytes(ScalarType::f32, "1e50"), doctest::Contains("too large"), ArgumentError);
  CHECK_THROWS_AS(scalar_bytes(ScalarType::i32, ""), ArgumentError);

  CHECK(scalar_type_named("float") == ScalarType::f32);
  CHECK(scalar_type_named("unsigned long long") == ScalarType::u64);
  CHECK(scalar_type_named("std::uint32_t") == ScalarType::u32);
  CHECK(scalar_type_named("i16") == ScalarType::i16);
  CHECK_FALSE(scalar_type_named("float4").has_value());
  CHECK(scalar_type_name(ScalarType::u32) == "unsigned int");
  CHECK(scalar_size(ScalarType::f64) == 8);
}

TEST_CASE("with no CUDA driver a good list is a CudaError at launch; a bad one is still an ArgumentError") {
  if (cuda_available()) {
    MESSAGE("a CUDA device is present: the no-driver launch is not tested here");
    return;
  }
  const Seed seed;
  const Kernel saxpy = seed.module.kernel("saxpy");
  ArgumentList good;
  good.add_scalar(ScalarType::f32, "2").add_pointer(0).add_pointer(0).add_scalar(ScalarType::i32, "1");
  CHECK(message_of<CudaError>([&] { saxpy.launch(1, 1, good); }).starts_with("no CUDA driver found"));
  ArgumentList bad;
  bad.add_scalar(ScalarType::f64, "2").add_pointer(0).add_pointer(0).add_scalar(ScalarType::i32, "1");
  CHECK_THROWS_AS(saxpy.launch(1, 1, bad), ArgumentError);
}
