// How the generators read what users write: parameter lists, placeholders, how the code
// uses each name, type names; and the host stand-ins for __half and __nv_bfloat16.
#include "syntax.hpp"

#include <doctest/doctest.h>
#include <jitcu/error.hpp>
#include <jitcu/kernels/type_names.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace jk = jitcu::kernels;
namespace jd = jitcu::kernels::detail;

TEST_CASE("parameter lists split at top-level commas and resolve placeholders") {
  const auto params = jd::parse_params("const T *a, float* __restrict__ b,T  alpha, Pair<int, float> p, const void* raw",
                                       {jk::bind<double>("T")}, "test");
  REQUIRE(params.size() == 5);
  CHECK(params[0].name == "a");
  CHECK(params[0].base == "T");
  CHECK(params[0].resolved == "double");
  CHECK(params[0].pointer_depth == 1);
  CHECK(params[0].pointee_const);
  CHECK(params[0].element == jk::ScalarType::f64);
  CHECK(params[1].name == "b");
  CHECK(params[1].element == jk::ScalarType::f32);
  CHECK_FALSE(params[1].pointee_const);
  CHECK(params[2].pointer_depth == 0);
  CHECK(params[2].element == jk::ScalarType::f64);
  CHECK(params[3].name == "p");
  CHECK(params[3].element == jk::ScalarType::unknown);
  CHECK(params[4].element == jk::ScalarType::void_);
  CHECK(jd::parse_params("  ", {}, "test").empty());
}

TEST_CASE("malformed parameter lists are errors that name the generator and the parameter") {
  CHECK_THROWS_WITH_AS(jd::parse_params("float* a,, float* b", {}, "elementwise 'k'"),
                       doctest::Contains("elementwise 'k': parameter 2 is empty"), jitcu::Error);
  CHECK_THROWS_WITH_AS(jd::parse_params("float*", {}, "g"), doctest::Contains("needs a type and a name"), jitcu::Error);
  CHECK_THROWS_WITH_AS(jd::parse_params("float* n", {}, "g"), doctest::Contains("reserved name"), jitcu::Error);
  CHECK_THROWS_WITH_AS(jd::parse_params("int i", {}, "g"), doctest::Contains("reserved name"), jitcu::Error);
  CHECK_THROWS_WITH_AS(jd::parse_params("float* jitcu_x", {}, "g"), doctest::Contains("reserved name"), jitcu::Error);
  CHECK_THROWS_WITH_AS(jd::parse_params("float* a, int a", {}, "g"), doctest::Contains("'a' appears twice"),
                       jitcu::Error);
  CHECK_THROWS_WITH_AS(jd::parse_params("float& a", {}, "g"), doctest::Contains("not a plain value or pointer"),
                       jitcu::Error);
  CHECK_THROWS_WITH_AS(jd::parse_params("float a[4]", {}, "g"), doctest::Contains("not a plain value or pointer"),
                       jitcu::Error);
}

TEST_CASE("use_of tells reads, writes and raw uses of a name apart") {
  auto use = jd::use_of("c[i] = a[i] * b[i];", "c");
  CHECK(use.used);
  CHECK(use.only_indexed);
  CHECK(use.written);
  CHECK_FALSE(use.read);
  use = jd::use_of("c[i] = a[i] * b[i];", "a");
  CHECK(use.read);
  CHECK_FALSE(use.written);
  use = jd::use_of("y[i] += x[i]", "y");
  CHECK(use.read);
  CHECK(use.written);
  use = jd::use_of("y[i]++", "y");
  CHECK((use.read && use.written));
  use = jd::use_of("if (y[i] == 0) y[i] = 1;", "y");
  CHECK((use.read && use.written && use.only_indexed));
  use = jd::use_of("y[i] = x[i + 1] - x[i]", "x");
  CHECK_FALSE(use.only_indexed);
  use = jd::use_of("f(&x[i])", "x");
  CHECK_FALSE(use.only_indexed);
  use = jd::use_of("y[i] = s.x[i] + t->x + ns::x", "x");
  CHECK_FALSE(use.used);
  use = jd::use_of("y[i] = 1; // x[i] = 2\n/* x */ const char* s = \"x[i]\";", "x");
  CHECK_FALSE(use.used);
  use = jd::use_of("y[i] = 1", "x");
  CHECK_FALSE(use.used);
  CHECK_FALSE(use.only_indexed);
}

TEST_CASE("type names map to scalar types, qualifiers and spellings aside") {
  CHECK(jk::scalar_type_of("float") == jk::ScalarType::f32);
  CHECK(jk::scalar_type_of("const  float") == jk::ScalarType::f32);
  CHECK(jk::scalar_type_of("unsigned") == jk::ScalarType::u32);
  CHECK(jk::scalar_type_of("long long int") == jk::ScalarType::i64);
  CHECK(jk::scalar_type_of("int64_t") == jk::ScalarType::i64);
  CHECK(jk::scalar_type_of("std::uint8_t") == jk::ScalarType::u8);
  CHECK(jk::scalar_type_of("__half") == jk::ScalarType::f16);
  CHECK(jk::scalar_type_of("__nv_bfloat16") == jk::ScalarType::bf16);
  CHECK(jk::scalar_type_of("MyStruct") == jk::ScalarType::unknown);
  CHECK(jk::size_of(jk::ScalarType::f16) == 2);
  CHECK(jk::size_of(jk::ScalarType::unknown) == 0);
  CHECK(jd::resolve_type("const T", {jk::bind<unsigned>("T")}) == "const unsigned int");
}

TEST_CASE("host types name their CUDA types") {
  static_assert(jk::cuda_type<float>() == "float");
  static_assert(jk::cuda_type<const double>() == "double");
  static_assert(jk::cuda_type<unsigned>() == "unsigned int");
  static_assert(jk::cuda_type<std::int64_t>() == "long long");
  static_assert(jk::cuda_type<jk::Half>() == "__half");
  static_assert(jk::cuda_type<jk::BFloat16>() == "__nv_bfloat16");
  static_assert(jk::scalar_type<std::uint16_t>() == jk::ScalarType::u16);
  static_assert(jk::scalar_type<jk::Half>() == jk::ScalarType::f16);
  CHECK(jk::bind<jk::Half>("H") == std::pair<std::string, std::string>{"H", "__half"});
  for (const auto& name : {jk::cuda_type<int>(), jk::cuda_type<long long>(), jk::cuda_type<unsigned long long>(),
                           jk::cuda_type<signed char>(), jk::cuda_type<short>(), jk::cuda_type<double>()})
    CHECK(jk::scalar_type_of(name) != jk::ScalarType::unknown);
}

TEST_CASE("Half converts like CUDA's __float2half_rn and __half2float") {
  CHECK(jk::to_half(0.0f).bits == 0x0000);
  CHECK(jk::to_half(-0.0f).bits == 0x8000);
  CHECK(jk::to_half(1.0f).bits == 0x3c00);
  CHECK(jk::to_half(-2.0f).bits == 0xc000);
  CHECK(jk::to_half(65504.0f).bits == 0x7bff);
  CHECK(jk::to_half(65519.0f).bits == 0x7bff);  // rounds down to the largest half
  CHECK(jk::to_half(65520.0f).bits == 0x7c00);  // a tie, to even: infinity
  CHECK(jk::to_half(std::numeric_limits<float>::infinity()).bits == 0x7c00);
  CHECK(jk::to_half(std::ldexp(1.0f, -24)).bits == 0x0001);  // the smallest subnormal
  CHECK(jk::to_half(std::ldexp(1.0f, -25)).bits == 0x0000);  // a tie, to even: zero
  CHECK(jk::to_half(std::ldexp(3.0f, -26)).bits == 0x0001);  // above the tie
  CHECK(jk::to_half(1.0f + std::ldexp(1.0f, -11)).bits == 0x3c00);  // tie between 1 and next: even
  CHECK(jk::to_half(1.0f + std::ldexp(3.0f, -11)).bits == 0x3c02);  // tie: to even (up)
  CHECK(std::isnan(jk::to_float(jk::to_half(std::numeric_limits<float>::quiet_NaN()))));
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const jk::Half h{static_cast<std::uint16_t>(bits)};
    const float f = jk::to_float(h);
    if (std::isnan(f)) continue;
    REQUIRE(jk::to_half(f).bits == h.bits);  // every half survives the round trip
  }
}

TEST_CASE("BFloat16 rounds to nearest even and widens exactly") {
  CHECK(jk::to_bfloat16(1.0f).bits == 0x3f80);
  CHECK(jk::to_float(jk::BFloat16{0x3f80}) == 1.0f);
  CHECK(jk::to_bfloat16(std::bit_cast<float>(0x3f808000u)).bits == 0x3f80);  // tie: to even
  CHECK(jk::to_bfloat16(std::bit_cast<float>(0x3f818000u)).bits == 0x3f82);  // tie: to even (up)
  CHECK(jk::to_bfloat16(std::bit_cast<float>(0x3f808001u)).bits == 0x3f81);
  CHECK(std::isnan(jk::to_float(jk::to_bfloat16(std::numeric_limits<float>::quiet_NaN()))));
}
