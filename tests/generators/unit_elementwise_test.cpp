// Elementwise generation with real NVRTC for sm_90, no GPU: the source, the PTX (16-byte
// vector loads, no local memory), the parameter list, the cache entry, errors reported against
// the user's text, and argument checks.
#include "generator_test_util.hpp"

#include <doctest/doctest.h>
#include <jitcu/kernels/elementwise.hpp>

#include <regex>

namespace jk = jitcu::kernels;
using namespace jitcu;
using namespace jitcu::test;

namespace {

jk::ElementwiseSpec multiply_spec() {
  return {.params = "const float* a, const float* b, float* c", .operation = "c[i] = a[i] * b[i]",
          .name = "multiply", .options = sm90()};
}

// Compiles `spec` expecting a CompileError; returns it.
CompileError compile_error(Engine& engine, const jk::ElementwiseSpec& spec) {
  try {
    jk::Elementwise made(engine, spec);
  } catch (const CompileError& error) {
    return error;
  }
  FAIL("the spec compiled");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("the generated source holds the operation, the parameters and a vector path") {
  const std::string text = jk::Elementwise::generate(multiply_spec());
  CHECK(text.find("extern \"C\" __global__ void __launch_bounds__(256) multiply(") != std::string::npos);
  CHECK(text.find("  c[i] = a[i] * b[i];") != std::string::npos);
  CHECK(text.find("    const float* a,") != std::string::npos);
  CHECK(text.find("    const long long n) {") != std::string::npos);
  CHECK(text.find("jitcu_detail::In<float, 4> jitcu_s_a(a, jitcu_base);") != std::string::npos);
  CHECK(text.find("jitcu_detail::Out<float, 4> jitcu_s_c(jitcu_base);") != std::string::npos);
  CHECK(text.find("a (read), b (read), c (written)") != std::string::npos);
  CHECK(text.find("cuda_fp16.h") == std::string::npos);  // only when half types appear
}

TEST_CASE("placeholders become typedefs and resolve the checked parameter types") {
  const jk::ElementwiseSpec spec{.params = "T alpha, const T* x, T* y", .operation = "y[i] = alpha * x[i] + y[i]",
                                 .name = "axpy", .types = {jk::bind<double>("T")}, .options = sm90()};
  const std::string text = jk::Elementwise::generate(spec);
  CHECK(text.find("typedef double T;") != std::string::npos);
  CHECK(text.find("jitcu_detail::InOut<T, 2> jitcu_s_y(y, jitcu_base);") != std::string::npos);
  TestEngine t;
  jk::Elementwise axpy(t.engine, spec);
  CHECK(axpy.vector_width() == 2);
  const auto& params = axpy.kernel().params();
  REQUIRE(params.size() == 4);  // alpha, x, y, n
  CHECK(params[0].size_bytes == 8);
  CHECK(params[0].kind == ValueKind::floating);
  CHECK(params[3].size_bytes == 8);
  const std::vector<double> x(100);
  std::vector<double> y(100);
  CHECK_NOTHROW(axpy.check(100, 2.0, in(x), out(y)));
  CHECK_THROWS_WITH_AS(axpy.check(100, 2.0f, in(x), out(y)),
                       doctest::Contains("parameter 'T alpha' is double but got 'float'"), ArgumentError);
}

TEST_CASE("NVRTC compiles the multiply kernel to 16-byte loads and stores with no local memory") {
  TestEngine t;
  jk::Elementwise mul(t.engine, multiply_spec());
  CHECK(mul.vector_width() == 4);
  const std::string ptx = mul.module().ptx();
  CHECK(ptx_has(ptx, R"(ld\.global(\.nc)?\.v4\.f32)"));
  CHECK(ptx_has(ptx, R"(st\.global\.v4\.f32)"));
  CHECK_FALSE(ptx_has(ptx, R"(\.local)"));
  CHECK(mul.module().log().find("warning") == std::string::npos);
  CHECK(mul.kernel().params().size() == 4);
  CHECK(mul.kernel().name() == "multiply");
}

TEST_CASE("half, double, int64 and mixed kernels compile with the widest vectors they allow") {
  TestEngine t;
  jk::Elementwise half(t.engine, {.params = "const __half* x, __half* y",
                                  .operation = "y[i] = __hmul(x[i], __float2half(2.0f))", .name = "half_twice",
                                  .options = sm90()});
  CHECK(half.vector_width() == 8);
  CHECK(half.source().find("#include <cuda_fp16.h>") != std::string::npos);
  CHECK(ptx_has(half.module().ptx(), R"(ld\.global(\.nc)?\.v4\.(u32|b32))"));
  jk::Elementwise mixed(t.engine, {.params = "const __half* x, double* y", .operation = "y[i] = __half2float(x[i])",
                                   .name = "widen", .options = sm90()});
  CHECK(mixed.vector_width() == 8);  // 8 halves in; 64 bytes of doubles out
  CHECK(ptx_has(mixed.module().ptx(), R"(st\.global\.v2\.f64)"));
  jk::Elementwise ints(t.engine, {.params = "long long* x", .operation = "x[i] += i", .name = "add_index",
                                  .options = sm90()});
  CHECK(ints.vector_width() == 2);
  for (const auto* k : {&half, &mixed, &ints}) {
    CHECK_FALSE(ptx_has(k->module().ptx(), R"(\.local)"));
    CHECK(k->module().log().find("warning") == std::string::npos);
  }
}

TEST_CASE("raw indexing, scalars only and a preamble keep the scalar path where needed") {
  TestEngine t;
  jk::Elementwise shift(t.engine, {.params = "const float* x, float* y", .operation = "y[i] = i > 0 ? x[i - 1] : 0.0f",
                                   .name = "shift", .options = sm90()});
  CHECK(shift.vector_width() == 4);  // y is vectorized; x is read raw
  CHECK(shift.source().find("jitcu_s_x") == std::string::npos);
  jk::Elementwise fill(t.engine, {.params = "float* y, float value", .operation = "y[n - 1 - i] = helper(value)",
                                  .preamble = "__device__ float helper(float v) { return v + 1.0f; }", .name = "fill",
                                  .options = sm90()});
  CHECK(fill.vector_width() == 1);
  CHECK(fill.source().find("// preamble") != std::string::npos);
}

TEST_CASE("a syntax error is reported against the operation the user wrote") {
  TestEngine t;
  auto spec = multiply_spec();
  spec.name = "broken";
  spec.operation = "c[i] = a[i] *+* b[i]";
  const auto error = compile_error(t.engine, spec);
  const std::string message = error.what();
  INFO(message);
  CHECK(message.starts_with("elementwise 'broken': the operation 'c[i] = a[i] *+* b[i]' does not compile: "));
  CHECK(message.find("at line") != std::string::npos);
  REQUIRE_FALSE(error.diagnostics().empty());
  CHECK(error.diagnostics()[0].file == "operation");
  CHECK(error.diagnostics()[0].line == 1);
  CHECK(error.line() == 1);
  CHECK(std::regex_match(error.source_name(), std::regex(R"(elementwise_[0-9a-f]{16}\.cu)")));
  CHECK(error.log().find("--- generated source " + error.source_name()) != std::string::npos);
  CHECK(error.log().find("c[i] = a[i] *+* b[i];") != std::string::npos);  // the generated source, numbered
}

TEST_CASE("errors on a later line, in the preamble, in a placeholder or a parameter name their part") {
  TestEngine t;
  auto spec = multiply_spec();
  spec.operation = "float p = a[i] * b[i];\nc[i] = p +;";
  auto error = compile_error(t.engine, spec);
  CHECK(std::string(error.what()).find("the operation, line 2: 'c[i] = p +;'") != std::string::npos);
  CHECK(error.diagnostics()[0].line == 2);

  spec = multiply_spec();
  spec.preamble = "__device__ float twice(float v) { return v * 2.0f }";
  spec.operation = "c[i] = twice(a[i]) * b[i]";
  error = compile_error(t.engine, spec);
  CHECK(std::string(error.what()).find("the preamble '__device__ float twice") != std::string::npos);

  spec = multiply_spec();
  spec.params = "const T* a, const T* b, T* c";
  error = compile_error(t.engine, spec);
  INFO(error.what());
  CHECK(std::string(error.what()).find("the parameter 1 'const T* a' does not compile") != std::string::npos);
  CHECK(std::string(error.what()).find("bind<float>(\"T\")") != std::string::npos);

  spec.types = {{"T", "floatt"}};
  error = compile_error(t.engine, spec);
  CHECK(std::string(error.what()).find("the type placeholder 1 'T = floatt' does not compile") != std::string::npos);

  spec = multiply_spec();
  spec.operation = "c[i] = a[i] * undefined_helper(b[i])";
  error = compile_error(t.engine, spec);
  CHECK(std::string(error.what()).find("define it in the preamble") != std::string::npos);
}

TEST_CASE("malformed specs are errors before any compile") {
  TestEngine t;
  auto spec = multiply_spec();
  spec.name = "2fast";
  CHECK_THROWS_WITH_AS(jk::Elementwise(t.engine, spec), doctest::Contains("not a C identifier"), Error);
  spec = multiply_spec();
  spec.operation = "  ";
  CHECK_THROWS_WITH_AS(jk::Elementwise(t.engine, spec), doctest::Contains("the operation is empty"), Error);
  spec = multiply_spec();
  spec.block = 100;
  CHECK_THROWS_WITH_AS(jk::Elementwise(t.engine, spec), doctest::Contains("multiple of 32"), Error);
  spec = multiply_spec();
  spec.types = {{"T", "float"}, {"T", "int"}};
  CHECK_THROWS_WITH_AS(jk::Elementwise(t.engine, spec), doctest::Contains("bound twice"), Error);
}

TEST_CASE("arguments are checked against the declared parameters, without a GPU") {
  TestEngine t;
  jk::Elementwise mul(t.engine, multiply_spec());
  const std::vector<float> floats(100);
  std::vector<float> result(100);
  CHECK_NOTHROW(mul.check(100, in(floats), in(floats), out(result)));
  CHECK_NOTHROW(mul.check(100, DevicePtr{0x1000}, DevicePtr{0x2000}, DevicePtr{0x3000}));  // raw addresses
  CHECK_THROWS_WITH_AS(mul.check(100, in(floats), in(std::vector<double>(100)), out(result)),
                       doctest::Contains("argument 2 for parameter 'const float* b' points to float"), ArgumentError);
  CHECK_THROWS_WITH_AS(mul.check(100, in(floats), DeviceBuffer<double>{}, out(result)),
                       doctest::Contains("whose elements are double"), ArgumentError);
  CHECK_THROWS_WITH_AS(mul.check(100, in(floats), in(floats)), doctest::Contains("takes 3 argument(s)"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(mul.check(100, in(floats), 1.0f, out(result)),
                       doctest::Contains("is a pointer (const float*) but got the value 'float'"), ArgumentError);
  CHECK_THROWS_WITH_AS(mul.check(101, in(floats), in(floats), out(result)),
                       doctest::Contains("i < n = 101 but"), ArgumentError);
  CHECK_THROWS_WITH_AS(mul(1ull << 63, in(floats), in(floats), out(result)), doctest::Contains("long long index"),
                       ArgumentError);
  CHECK_NOTHROW(mul(0, in(floats), in(floats), out(result)));  // n = 0 launches nothing
}

TEST_CASE("a struct parameter is checked by the engine by size") {
  TestEngine t;
  jk::Elementwise k(t.engine, {.params = "const float* x, float* y, Scale s", .operation = "y[i] = x[i] * s.factor + s.offset",
                               .preamble = "struct Scale { float factor, offset; };", .name = "scaled", .options = sm90()});
  struct Scale {
    float factor, offset;
  };
  struct Wrong {
    double factor, offset;  // 16 bytes where the kernel takes 8
  };
  std::vector<float> x(10), y(10);
  CHECK_NOTHROW(k.check(10, in(x), out(y), Scale{2, 1}));
  CHECK_THROWS_AS(k.check(10, in(x), out(y), Wrong{2, 1}), ArgumentError);
}

TEST_CASE("a generated kernel is cached like any other: a second engine loads it from disk") {
  TestEngine t;
  std::string source;
  {
    jk::Elementwise first(t.engine, multiply_spec());
    CHECK(first.module().origin() == Origin::compiled);
    source = first.source();
  }
  Engine second(EngineOptions{.cache_dir = t.dir.path()});
  jk::Elementwise again(second, multiply_spec());
  CHECK(again.module().origin() == Origin::disk_cache);
  CHECK(again.source() == source);
  const auto entry = again.module().cache_path();
  REQUIRE_FALSE(entry.empty());
  CHECK(read_file(entry / "source.cu") == source);
  CHECK(read_file(entry / "meta.json").find("elementwise_") != std::string::npos);
}
