// A name expression that does not compile: NVRTC blames a synthetic "__nv_name_map" file;
// the error must say which expression is wrong and why.
#include "engine_support.hpp"

#include <doctest/doctest.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

const char* const k_templates =
    "template <class T> __global__ void scale(T* x, T a) { x[threadIdx.x] *= a; }\n"
    "namespace ns { template <int N> __global__ void fill(int* x) { x[threadIdx.x] = N; } }\n";

std::string compile_error_of(Engine& engine, std::vector<std::string> expressions) {
  const CompileOptions options{.arch = "sm_90", .name_expressions = std::move(expressions)};
  return message_of<CompileError>([&] { engine.compile(Source::string(k_templates, "templates.cu"), options); });
}

}  // namespace

TEST_CASE("a misspelt name expression's error names it and gives NVRTC's reason, not __nv_name_map") {
  TempDir cache;
  auto engine = engine_in(cache);
  const std::string message = compile_error_of(engine, {"scale<float>", "scale<flaot>", "ns::fill<3>"});
  INFO(message);
  CHECK(message.starts_with("name expression 'scale<flaot>' does not compile: identifier \"flaot\" is undefined"));
  CHECK(message.find("ns::fill<3>'") == std::string::npos);   // the good ones are not blamed
  CHECK(message.find("'scale<float>'") == std::string::npos);
  CHECK(message.find("check the kernel's name, its namespace and its template arguments") != std::string::npos);
  CHECK_THROWS_WITH_AS(engine.compile(Source::string(k_templates, "templates.cu"),
                                      CompileOptions{.arch = "sm_90", .name_expressions = {"fill<3>"}}),
                       doctest::Contains("name expression 'fill<3>' does not compile: identifier \"fill\" is undefined"),
                       CompileError);
}

TEST_CASE("every bad name expression is named once; an error in the source itself still comes first") {
  TempDir cache;
  auto engine = engine_in(cache);
  const std::string message = compile_error_of(engine, {"nope", "scale<float>", "ns::fill<x>"});
  INFO(message);
  CHECK(message.find("name expression 'nope' does not compile: identifier \"nope\" is undefined") != std::string::npos);
  CHECK(message.find("name expression 'ns::fill<x>' does not compile: identifier \"x\" is undefined") != std::string::npos);
  CHECK(message.find("name expression 'nope'") == message.rfind("name expression 'nope'"));
  const std::string broken = std::string(k_templates) + "__global__ void broken() { undefined_thing(); }\n";
  CHECK_THROWS_WITH_AS(engine.compile(Source::string(broken, "broken.cu"),
                                      CompileOptions{.arch = "sm_90", .name_expressions = {"scale<flaot>"}}),
                       doctest::Contains("compile error in broken.cu:3"), CompileError);
}
