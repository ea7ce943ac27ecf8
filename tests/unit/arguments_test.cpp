// The launch argument check, without a GPU: Kernel::check throws exactly what launch would,
// before anything touches CUDA; a launch with good arguments and no driver is a CudaError.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// The host mirror of jitcu_kernels::Affine in kernels/vector_ops.cu.
struct Affine {
  float scale;
  float offset;
  int clamp_to_zero;
};
static_assert(sizeof(Affine) == 12);

struct TwoFloats {
  float a;
  float b;
};

enum class Count : int { some = 3 };

const float* const k_in = nullptr;
float* const k_out = nullptr;

/// One compile of the seed (with both scales) per test case.
struct Seed {
  TempDir cache;
  Engine engine = engine_in(cache);
  Module module = engine.compile(seed_source(), {.name_expressions = {"scale<float>", "scale<double>"}});
};

}  // namespace

TEST_CASE("matching argument packs pass the check") {
  const Seed seed;
  const Kernel dot = seed.module.kernel("dot_product");
  CHECK_NOTHROW(dot.check(k_in, k_in, k_out, 10000));
  CHECK_NOTHROW(dot.check(k_out, k_out, k_out, 10000u));                   // float* for const float*
  CHECK_NOTHROW(dot.check(k_in, k_in, k_out, std::int32_t{5}));
  CHECK_NOTHROW(dot.check(k_in, k_in, k_out, Count::some));                // an enum is an integer
  const int n = 3;
  CHECK_NOTHROW(dot.check(k_in, k_in, k_out, n));                          // const and references
  const DeviceBuffer<float> a, b;                                          // empty: no GPU needed
  DeviceBuffer<float> c;
  CHECK_NOTHROW(dot.check(a, b, c, n));
  std::vector<float> host(4);
  CHECK_NOTHROW(dot.check(in(host), in(host), out(host), n));
  CHECK_NOTHROW(dot.check(a, in(host), inout(host), n));

  const Kernel saxpy = seed.module.kernel("saxpy");
  CHECK_NOTHROW(saxpy.check(2.0f, k_in, k_out, n));
  CHECK_NOTHROW(seed.module.kernel("scale<float>").check(k_in, k_out, 2.0f, std::uint64_t{n}));
  CHECK_NOTHROW(seed.module.kernel("scale<double>").check(k_in, k_out, 2.0, std::size_t{3}));
  CHECK_NOTHROW(seed.module.kernel("jitcu_kernels::affine").check(Affine{2.0f, 1.0f, 1}, k_in, k_out, n));
  CHECK_NOTHROW(seed.module.kernel("affine").check(std::array<float, 3>{}, k_in, k_out, n));  // 12 bytes
}

TEST_CASE("a wrong argument count names the kernel and both counts") {
  const Seed seed;
  const Kernel dot = seed.module.kernel("dot_product");
  try {
    dot.check(k_in, k_in, k_out);
    FAIL("three arguments passed for four parameters");
  } catch (const ArgumentError& error) {
    const std::string what = error.what();
    INFO(what);
    CHECK(what.find("'dot_product'") != std::string::npos);
    CHECK(what.find("4 parameter") != std::string::npos);
    CHECK(what.find("3 argument") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(dot.check(k_in, k_in, k_out, 1, 2), doctest::Contains("5 argument"), ArgumentError);
  CHECK_THROWS_WITH_AS(dot.check(), doctest::Contains("0 argument"), ArgumentError);
  CHECK_THROWS_WITH_AS(dot.launch(1, 1), doctest::Contains("0 argument"), ArgumentError);
}

TEST_CASE("double where the kernel takes float names parameter 0 and both sizes") {
  const Seed seed;
  const Kernel saxpy = seed.module.kernel("saxpy");
  try {
    saxpy.check(2.0, k_in, k_out, 10);
    FAIL("a double passed for a float");
  } catch (const ArgumentError& error) {
    const std::string what = error.what();
    INFO(what);
    CHECK(what.find("'saxpy'") != std::string::npos);
    CHECK(what.find("parameter 0") != std::string::npos);
    CHECK(what.find("4 bytes") != std::string::npos);
    CHECK(what.find("8 bytes") != std::string::npos);
    CHECK(what.find("double") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(seed.module.kernel("scale<float>").check(k_in, k_out, 2.0, std::uint64_t{1}),
                       doctest::Contains("parameter 2"), ArgumentError);
  CHECK_THROWS_WITH_AS(seed.module.kernel("scale<double>").check(k_in, k_out, 2.0f, std::uint64_t{1}),
                       doctest::Contains("parameter 2"), ArgumentError);
}

TEST_CASE("a 64-bit integer where the kernel takes int names the parameter") {
  const Seed seed;
  const Kernel dot = seed.module.kernel("dot_product");
  CHECK_THROWS_WITH_AS(dot.check(k_in, k_in, k_out, std::size_t{10}), doctest::Contains("parameter 3"), ArgumentError);
  CHECK_THROWS_WITH_AS(dot.check(k_in, k_in, k_out, 10L), doctest::Contains("parameter 3"), ArgumentError);
  CHECK_THROWS_WITH_AS(dot.check(k_in, k_in, k_out, 10L), doctest::Contains("8 bytes"), ArgumentError);
  // and the other way: int where scale<T> takes unsigned long long
  CHECK_THROWS_WITH_AS(seed.module.kernel("scale<float>").check(k_in, k_out, 1.0f, 10),
                       doctest::Contains("parameter 3"), ArgumentError);
}

TEST_CASE("same size, wrong kind: int for float, float for int, double for a pointer") {
  const Seed seed;
  CHECK_THROWS_WITH_AS(seed.module.kernel("saxpy").check(2, k_in, k_out, 10), doctest::Contains("parameter 0"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(seed.module.kernel("saxpy").check(2, k_in, k_out, 10), doctest::Contains("floating"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(seed.module.kernel("dot_product").check(k_in, k_in, k_out, 10.0f),
                       doctest::Contains("parameter 3"), ArgumentError);
  CHECK_THROWS_WITH_AS(seed.module.kernel("dot_product").check(1.0, k_in, k_out, 10),
                       doctest::Contains("parameter 0"), ArgumentError);
  // a float pointer where saxpy takes float alpha: 8 bytes for 4
  CHECK_THROWS_WITH_AS(seed.module.kernel("saxpy").check(k_in, k_in, k_out, 10), doctest::Contains("parameter 0"),
                       ArgumentError);
}

TEST_CASE("a struct by value: the right size passes, a wrong size names the parameter") {
  const Seed seed;
  const Kernel affine = seed.module.kernel("jitcu_kernels::affine");
  CHECK_NOTHROW(affine.check(Affine{1.0f, 0.0f, 0}, k_in, k_out, 1));
  try {
    affine.check(TwoFloats{1.0f, 0.0f}, k_in, k_out, 1);
    FAIL("an 8-byte struct passed for a 12-byte one");
  } catch (const ArgumentError& error) {
    const std::string what = error.what();
    INFO(what);
    CHECK(what.find("parameter 0") != std::string::npos);
    CHECK(what.find("12 bytes") != std::string::npos);
    CHECK(what.find("8 bytes") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(affine.check(k_in, k_in, k_out, 1), doctest::Contains("parameter 0"), ArgumentError);
  CHECK_THROWS_WITH_AS(affine.check(Affine{}, Affine{}, k_out, 1), doctest::Contains("parameter 1"), ArgumentError);
}

TEST_CASE("a pack that passed once does not let a different pack through") {
  const Seed seed;
  const Kernel dot = seed.module.kernel("dot_product");
  const Kernel copy = dot;  // copies share what they learned
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    CHECK_NOTHROW(dot.check(k_in, k_in, k_out, 1));
    CHECK_THROWS_AS(dot.check(k_in, k_in, k_out, 1.0f), ArgumentError);
    CHECK_NOTHROW(copy.check(k_in, k_in, k_out, 1));
    CHECK_THROWS_AS(copy.check(k_in, k_in, k_out), ArgumentError);
    CHECK_THROWS_AS(copy.check(), ArgumentError);
  }
  // saxpy's good pack is not dot_product's
  CHECK_NOTHROW(seed.module.kernel("saxpy").check(1.0f, k_in, k_out, 1));
  CHECK_THROWS_AS(dot.check(1.0f, k_in, k_out, 1), ArgumentError);
}

TEST_CASE("a zero or oversized grid or block dimension is a LaunchConfigError naming it") {
  const Seed seed;
  const Kernel dot = seed.module.kernel("dot_product");
  CHECK_THROWS_WITH_AS(dot.launch(Dim3(4, 0, 1), 256, k_in, k_in, k_out, 1), doctest::Contains("grid dimension y"),
                       LaunchConfigError);
  CHECK_THROWS_WITH_AS(dot.launch(0, 256, k_in, k_in, k_out, 1), doctest::Contains("grid dimension x"), LaunchConfigError);
  CHECK_THROWS_WITH_AS(dot.launch(1, Dim3(32, 1, 0), k_in, k_in, k_out, 1), doctest::Contains("block dimension z"),
                       LaunchConfigError);
  CHECK_THROWS_WITH_AS(dot.launch(Dim3(1ull << 32), 256, k_in, k_in, k_out, 1),
                       doctest::Contains("grid dimension x is 4294967296"), LaunchConfigError);
  CHECK(grid_for(0, 256).x == 1);  // never a zero grid from grid_for
  CHECK(grid_for(10000, 256).x == 40);
  CHECK(grid_for(10001, 256).x == 40);
  CHECK(grid_for(10241, 256).x == 41);
}

TEST_CASE("with no CUDA driver a good launch is a CudaError; a bad one is still an ArgumentError") {
  if (cuda_available()) {
    MESSAGE("a CUDA device is present: the no-driver launch is not tested here");
    return;
  }
  const Seed seed;
  const Kernel dot = seed.module.kernel("dot_product");
  CHECK(message_of<CudaError>([&] { dot.launch(grid_for(100, 256), 256, k_in, k_in, k_out, 100); })
            .starts_with("no CUDA driver found"));
  std::vector<float> a(100, 1.0f), b(100, 2.0f);
  std::vector<float> c(100, std::numeric_limits<float>::quiet_NaN());
  CHECK(message_of<CudaError>([&] { dot.launch(grid_for(100, 256), 256, in(a), in(b), out(c), 100); })
            .starts_with("no CUDA driver found"));
  CHECK_THROWS_AS(DeviceBuffer<float>(16), CudaError);
  // the argument check comes first: nothing reaches the (missing) driver
  CHECK_THROWS_AS(dot.launch(grid_for(100, 256), 256, in(a), in(b), out(c), 100.0), ArgumentError);
  CHECK_THROWS_AS(seed.module.kernel("saxpy").launch(1, 1, 2.0, k_in, k_out, 1), ArgumentError);
  CHECK(std::isnan(c[0]));
  CHECK(std::isnan(c[99]));
}
