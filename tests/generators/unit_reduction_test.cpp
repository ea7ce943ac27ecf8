// Reduction generation with real NVRTC for sm_90, no GPU: source, PTX, parameter list, type
// sizes from the compiled code, errors in each part of the spec, argument and output checks.
#include "generator_test_util.hpp"

#include <doctest/doctest.h>
#include <jitcu/kernels/reduction.hpp>

namespace jk = jitcu::kernels;
using namespace jitcu;
using namespace jitcu::test;

namespace {

jk::ReductionSpec half_sum_spec() {
  return {.params = "const __half* x", .map = "x[i]", .reduce = "a + b", .neutral = "0", .reduce_type = "float",
          .name = "half_sum", .options = sm90()};
}

std::string compile_error_text(Engine& engine, const jk::ReductionSpec& spec) {
  try {
    jk::Reduction made(engine, spec);
  } catch (const CompileError& error) {
    return error.what();
  }
  FAIL("the spec compiled");
  return {};
}

}  // namespace

TEST_CASE("the reduction source holds every part of the spec") {
  auto spec = half_sum_spec();
  spec.post = "a / n";
  spec.output_type = "double";
  const std::string text = jk::Reduction::generate(spec);
  CHECK(text.find("#include <cuda_fp16.h>") != std::string::npos);
  CHECK(text.find("typedef float jitcu_R;") != std::string::npos);
  CHECK(text.find("typedef double jitcu_O;") != std::string::npos);
  CHECK(text.find("  return (x[i]);") != std::string::npos);
  CHECK(text.find("  return (a + b);") != std::string::npos);
  CHECK(text.find("  return (a / n);") != std::string::npos);
  CHECK(text.find("jitcu_detail::In<__half, 8> jitcu_s_x(x, jitcu_base);") != std::string::npos);
  CHECK(text.find("atomicAdd(jitcu_counter, 1u) == gridDim.x - 1") != std::string::npos);
}

TEST_CASE("a half sum into float compiles to 16-byte loads, one kernel, known type sizes") {
  TestEngine t;
  jk::Reduction sum(t.engine, half_sum_spec());
  CHECK(sum.vector_width() == 8);
  CHECK(sum.reduce_type_bytes() == 4);
  CHECK(sum.output_type_bytes() == 4);
  const std::string ptx = sum.module().ptx();
  CHECK(ptx_has(ptx, R"(ld\.global(\.nc)?\.v4\.(u32|b32))"));
  CHECK(ptx_has(ptx, R"(atom\.global\.add\.u32)"));
  CHECK_FALSE(ptx_has(ptx, R"(\.local)"));
  CHECK(sum.module().log().find("warning") == std::string::npos);
  CHECK(sum.kernel().params().size() == 5);  // x, out, partials, counter, n
}

TEST_CASE("counts into int64, struct results, and a max with -INFINITY compile") {
  TestEngine t;
  jk::Reduction count(t.engine, {.params = "const double* x, double threshold", .map = "x[i] > threshold",
                                 .reduce = "a + b", .neutral = "0", .reduce_type = "long long", .name = "count",
                                 .options = sm90()});
  CHECK(count.reduce_type_bytes() == 8);
  CHECK(count.vector_width() == 2);
  jk::Reduction min_max(t.engine, {.params = "const float* x", .map = "MinMax{x[i], x[i]}",
                                   .reduce = "MinMax{fminf(a.lo, b.lo), fmaxf(a.hi, b.hi)}",
                                   .neutral = "MinMax{INFINITY, -INFINITY}", .post = "a.hi - a.lo",
                                   .reduce_type = "MinMax", .output_type = "float",
                                   .preamble = "struct MinMax { float lo, hi; };", .name = "range", .options = sm90()});
  CHECK(min_max.reduce_type_bytes() == 8);
  CHECK(min_max.output_type_bytes() == 4);
  jk::Reduction maximum(t.engine, {.params = "const T* x", .map = "x[i]", .reduce = "max(a, b)", .neutral = "-INFINITY",
                                   .reduce_type = "T", .name = "maximum", .types = {jk::bind<double>("T")},
                                   .options = sm90()});
  CHECK(maximum.output_type_bytes() == 8);
  for (const auto* k : {&count, &min_max, &maximum}) CHECK(k->module().log().find("warning") == std::string::npos);
}

TEST_CASE("errors in the map, reduce, neutral, post and types name their part") {
  TestEngine t;
  auto spec = half_sum_spec();
  spec.map = "x[i] +";
  CHECK(compile_error_text(t.engine, spec).starts_with("reduction 'half_sum': the map expression 'x[i] +' does not compile"));
  spec = half_sum_spec();
  spec.reduce = "a +* b";
  CHECK(compile_error_text(t.engine, spec).find("the reduce expression 'a +* b' does not compile") != std::string::npos);
  spec = half_sum_spec();
  spec.neutral = "zero";
  CHECK(compile_error_text(t.engine, spec).find("the neutral element 'zero' does not compile") != std::string::npos);
  spec = half_sum_spec();
  spec.post = "sqrt(a";
  CHECK(compile_error_text(t.engine, spec).find("the post-processing expression 'sqrt(a' does not compile") !=
        std::string::npos);
  spec = half_sum_spec();
  spec.reduce_type = "flaot";
  CHECK(compile_error_text(t.engine, spec).find("the reduce type 'flaot' does not compile") != std::string::npos);
  spec = half_sum_spec();
  spec.reduce = " ";
  CHECK_THROWS_WITH_AS(jk::Reduction(t.engine, spec), doctest::Contains("the reduce expression is empty"), Error);
}

TEST_CASE("reduction arguments and the output are checked before anything is allocated") {
  TestEngine t;
  jk::Reduction sum(t.engine, half_sum_spec());
  const std::vector<jk::Half> halves(10);
  const std::vector<float> floats(10);
  CHECK_NOTHROW(sum.check(10, in(halves)));
  CHECK_THROWS_WITH_AS(sum.check(10, in(floats)), doctest::Contains("points to __half"), ArgumentError);
  CHECK_THROWS_WITH_AS(sum.check(11, in(halves)), doctest::Contains("holds 10 element(s)"), ArgumentError);
  const DeviceBuffer<double> wrong_out;
  CHECK_THROWS_WITH_AS(sum(10, wrong_out, in(halves)), doctest::Contains("the output 'float* out' points to float"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS((void)sum.value<double>(10, in(halves)), doctest::Contains("whose elements are double"),
                       ArgumentError);
}
