// Compile errors and refused options: the message says what and where (file:line, an excerpt
// with a '>' marker, the option or define by name); CompileError keeps NVRTC's log.
#include "engine_support.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

// Line 4 has the syntax error.
const char* const k_broken = R"(// a kernel with one syntax error
extern "C" __global__ void broken(float* out) {
  const int i = threadIdx.x;
  out[i] = 1.0f +;
}
)";

/// The CompileError `call` throws; fails the test case if it throws anything else or nothing.
template <class Call>
CompileError compile_error_of(Call&& call) {
  try {
    call();
  } catch (const CompileError& error) {
    return error;
  } catch (const std::exception& other) {
    FAIL("expected a CompileError, got: " << other.what());
  }
  FAIL("expected a CompileError, nothing was thrown");
  throw std::logic_error("not reached");
}

}  // namespace

TEST_CASE("a syntax error: its line, file:line, the line's text and a '>' marker, NVRTC's log") {
  TempDir cache;
  auto engine = engine_in(cache);
  const auto error = compile_error_of([&] { engine.compile(Source::string(k_broken, "broken.cu")); });
  const std::string what = error.what();
  INFO(what);
  CHECK(error.line() == 4);
  CHECK(error.source_name() == "broken.cu");
  CHECK(what.find("broken.cu:4") != std::string::npos);
  CHECK(what.find("out[i] = 1.0f +;") != std::string::npos);
  CHECK(what.find(">     4 | ") != std::string::npos);
  CHECK(what.find(">     3 | ") == std::string::npos);  // the marker is on the error's line only
  CHECK(error.log().find("broken.cu(4): error") != std::string::npos);
  REQUIRE_FALSE(error.diagnostics().empty());
  CHECK(error.diagnostics().front().file == "broken.cu");
  CHECK(error.diagnostics().front().line == 4);
  CHECK(error.diagnostics().front().severity == "error");
  CHECK_FALSE(error.diagnostics().front().message.empty());
}

TEST_CASE("a syntax error in a file source names the file's path") {
  TempDir tmp, cache;
  write_file(tmp / "broken.cu", k_broken);
  auto engine = engine_in(cache);
  const auto error = compile_error_of([&] { engine.compile(Source::file(tmp / "broken.cu")); });
  INFO(error.what());
  CHECK(error.line() == 4);
  CHECK(std::string(error.what()).find((tmp / "broken.cu").string() + ":4") != std::string::npos);
}

TEST_CASE("an error inside an included header names the header's path and line") {
  TempDir tmp, cache;
  write_file(tmp / "main.cu", "#include \"inc/bad.h\"\nextern \"C\" __global__ void k(int* p) { *p = f(); }\n");
  write_file(tmp / "inc/bad.h", "#pragma once\n__device__ int f() {\n  return undeclared_name;\n}\n");
  auto engine = engine_in(cache);
  const auto error = compile_error_of([&] { engine.compile(Source::file(tmp / "main.cu")); });
  const std::string what = error.what();
  INFO(what);
  CHECK(error.line() == 3);
  CHECK(what.find("bad.h:3") != std::string::npos);
  CHECK(what.find("return undeclared_name;") != std::string::npos);
  CHECK(what.find(">     3 | ") != std::string::npos);
  REQUIRE_FALSE(error.diagnostics().empty());
  CHECK(error.diagnostics().front().file.ends_with("bad.h"));
}

TEST_CASE("a failed compile is not remembered: fixing the header makes it compile") {
  TempDir tmp, cache;
  write_file(tmp / "main.cu", "#include \"h.h\"\nextern \"C\" __global__ void k(int* p) { *p = VALUE; }\n");
  write_file(tmp / "h.h", "#define VALUE oops\n");
  auto engine = engine_in(cache);
  const Source source = Source::file(tmp / "main.cu");
  CHECK_THROWS_AS(engine.compile(source), CompileError);
  CHECK_THROWS_AS(engine.compile(source), CompileError);
  CHECK(engine.store().disk()->stats().entries == 0);
  write_file(tmp / "h.h", "#define VALUE 42\n");
  const Module fixed = engine.compile(source);
  CHECK(fixed.origin() == Origin::compiled);
  CHECK(engine.store().disk()->stats().entries == 1);
}

TEST_CASE("an option NVRTC refuses is an Error naming exactly that option") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string("extern \"C\" __global__ void k() {}\n", "k.cu");
  const std::string what = message_of<Error>(
      [&] { engine.compile(source, {.defines = {{"A", "1"}}, .extra = {"-lineinfo", "--no-such-option"}}); });
  INFO(what);
  CHECK(what.find("'--no-such-option'") != std::string::npos);
  CHECK(what.find("'-lineinfo'") == std::string::npos);
  CHECK(what.find("'-DA=1'") == std::string::npos);
  CHECK(what.find("k.cu") != std::string::npos);
  // a known option with a bad value
  CHECK_THROWS_WITH_AS(engine.compile(source, {.extra = {"-ftz=maybe"}}), doctest::Contains("'-ftz=maybe'"), Error);
}

TEST_CASE("a bad arch, standard or define is an Error naming it") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string("extern \"C\" __global__ void k() {}\n", "k.cu");
  CHECK_THROWS_WITH_AS(engine.compile(source, {.arch = "sm_abc"}), doctest::Contains("'sm_abc'"), Error);
  CHECK_THROWS_WITH_AS(engine.compile(source, {.extra = {"-arch=sm_abc"}}), doctest::Contains("'sm_abc'"), Error);
  CHECK_THROWS_WITH_AS(engine.compile(source, {.std = "c++99"}), doctest::Contains("'c++99'"), Error);
  CHECK_THROWS_WITH_AS(engine.compile(source, {.defines = {{"1BAD", "2"}}}), doctest::Contains("'1BAD'"), Error);
  CHECK_THROWS_WITH_AS(engine.compile(source, {.extra = {"-D1BAD=2"}}), doctest::Contains("'1BAD'"), Error);
  CHECK_THROWS_WITH_AS(engine.compile(source, {.defines = {{"A B", ""}}}), doctest::Contains("'A B'"), Error);
  // key_record validates the same way
  CHECK_THROWS_WITH_AS(engine.key_record(source, {.arch = "sm_abc"}), doctest::Contains("'sm_abc'"), Error);
}

TEST_CASE("an arch of the right shape that NVRTC does not know is blamed on the arch") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string("extern \"C\" __global__ void k() {}\n", "k.cu");
  const std::string what =
      message_of<Error>([&] { engine.compile(source, {.defines = {{"A", "1"}}, .arch = "sm_10"}); });
  INFO(what);
  CHECK(what.find("sm_10") != std::string::npos);
  CHECK(what.find("'-DA=1'") == std::string::npos);  // not the define's fault
}

TEST_CASE("a source with a warning compiles and keeps the warning in its log") {
  TempDir cache;
  const Module module = engine_in(cache).compile(
      Source::string("extern \"C\" __global__ void k(int* p) { int unused_variable; *p = 1; }\n", "warn.cu"));
  CHECK(module.origin() == Origin::compiled);
  CHECK(module.has_kernel("k"));
  CHECK(module.log().find("warning") != std::string::npos);
  CHECK(module.log().find("unused_variable") != std::string::npos);
}
