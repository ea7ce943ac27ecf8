// Scan generation with real NVRTC for sm_90, no GPU: the two kinds, packed and unpacked tile
// status, 16-byte tile loads and stores, errors in the operator and neutral, argument checks.
#include "generator_test_util.hpp"

#include <doctest/doctest.h>
#include <jitcu/kernels/scan.hpp>

namespace jk = jitcu::kernels;
using namespace jitcu;
using namespace jitcu::test;

TEST_CASE("inclusive and exclusive scans differ only in where the running value is stored") {
  const jk::ScanSpec inclusive{.value_type = "float", .name = "cumsum", .options = sm90()};
  auto exclusive = inclusive;
  exclusive.kind = jk::ScanKind::exclusive;
  const std::string inc = jk::Scan::generate(inclusive), exc = jk::Scan::generate(exclusive);
  CHECK(inc.find("jitcu inclusive scan 'cumsum' kernel") != std::string::npos);
  CHECK(exc.find("jitcu exclusive scan 'cumsum' kernel") != std::string::npos);
  CHECK(inc.find("running = jitcu_op(running, jitcu_x[j * 4 + e]);") != std::string::npos);
  CHECK(exc.find("      jitcu_x[j * 4 + e] = running;\n      running = jitcu_op(running, x);") != std::string::npos);
  CHECK(inc.find("  return (a + b);") != std::string::npos);
  CHECK(inc.find("typedef float jitcu_T;") != std::string::npos);
  CHECK(inc.find("typedef float jitcu_In;") != std::string::npos);
}

TEST_CASE("a float scan compiles to 16-byte tile loads and stores and packed tile status") {
  TestEngine t;
  jk::Scan scan(t.engine, {.value_type = "float", .name = "cumsum", .options = sm90()});
  CHECK(scan.tile_elements() == 256 * 32);
  CHECK(scan.value_type_bytes() == 4);
  const std::string ptx = scan.module().ptx();
  CHECK(ptx_has(ptx, R"(ld\.global(\.nc)?\.v4\.f32)"));
  CHECK(ptx_has(ptx, R"(st\.global\.v4\.f32)"));
  CHECK(ptx_has(ptx, R"(ld\.global\.cg\.v2\.u64)"));
  CHECK(ptx_has(ptx, R"(st\.global\.cg\.v2\.u64)"));
  CHECK(ptx_has(ptx, R"(atom\.global\.add\.u64)"));
  CHECK_FALSE(ptx_has(ptx, R"(\.local)"));
  CHECK(scan.module().log().find("warning") == std::string::npos);
  CHECK(scan.kernel().params().size() == 9);
}

TEST_CASE("a struct value scans with acquire and release flags; mixed input types widen on load") {
  TestEngine t;
  jk::Scan compose(t.engine, {.value_type = "Affine", .op = "Affine{b.a * a.a, b.a * a.b + b.b}",
                              .neutral = "Affine{1, 0}", .preamble = "struct Affine { unsigned long long a, b; };",
                              .name = "compose", .options = sm90()});
  CHECK(compose.value_type_bytes() == 16);
  CHECK(compose.tile_elements() == 256 * 4);
  CHECK(ptx_has(compose.module().ptx(), R"(ld\.acquire\.gpu)"));
  CHECK(ptx_has(compose.module().ptx(), R"(st\.release\.gpu)"));
  jk::Scan widen(t.engine, {.value_type = "T", .input_type = "__half", .name = "half_cumsum",
                            .types = {jk::bind<float>("T")}, .options = sm90()});
  CHECK(widen.tile_elements() == 256 * 32);
  CHECK(widen.source().find("#include <cuda_fp16.h>") != std::string::npos);
  jk::Scan max(t.engine, {.value_type = "double", .op = "fmax(a, b)", .neutral = "-INFINITY",
                          .kind = jk::ScanKind::exclusive, .name = "running_max", .options = sm90()});
  CHECK(max.tile_elements() == 256 * 16);
  for (const auto* k : {&compose, &widen, &max}) {
    CHECK(k->module().log().find("warning") == std::string::npos);
    CHECK_FALSE(ptx_has(k->module().ptx(), R"(\.local)"));
  }
}

TEST_CASE("errors in the scan operator and the neutral element name their part") {
  TestEngine t;
  auto text_of = [&](const jk::ScanSpec& spec) -> std::string {
    try {
      jk::Scan made(t.engine, spec);
    } catch (const CompileError& error) {
      return error.what();
    }
    return "compiled";
  };
  CHECK(text_of({.value_type = "int", .op = "a +* b", .options = sm90()})
            .starts_with("inclusive scan 'scan': the scan operator 'a +* b' does not compile"));
  CHECK(text_of({.value_type = "int", .neutral = "nothing", .options = sm90()})
            .find("the neutral element 'nothing' does not compile") != std::string::npos);
  CHECK(text_of({.value_type = "Pair", .options = sm90()}).find("the value type 'Pair' does not compile") !=
        std::string::npos);
  CHECK_THROWS_WITH_AS(jk::Scan(t.engine, {.value_type = "int", .op = "", .options = sm90()}),
                       doctest::Contains("the scan operator is empty"), Error);
}

TEST_CASE("scan arguments are checked against the input and value types and n") {
  TestEngine t;
  jk::Scan scan(t.engine, {.value_type = "long long", .input_type = "int", .name = "widen", .options = sm90()});
  const std::vector<int> ints(10);
  std::vector<long long> sums(10);
  std::vector<int> wrong(10);
  CHECK_THROWS_WITH_AS(scan(10, in(sums), out(sums)), doctest::Contains("for parameter 'const int* input' points to int"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(scan(10, in(ints), out(wrong)), doctest::Contains("parameter 'long long* output'"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(scan(20, in(ints), out(sums)), doctest::Contains("holds 10 element(s)"), ArgumentError);
  CHECK_NOTHROW(scan(0, in(ints), out(sums)));  // nothing to do: no launch, no device needed
}
