// Compile errors and refused options: the message says what and where (file:line, an excerpt
// with a '>' marker, the option or define by name); CompileError keeps NVRTC's log.
#include "engine_support.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include <fmt/format.h>

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

TEST_CASE("an option NVRTC refuses is an InvalidOptionError naming exactly that option") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string("extern \"C\" __global__ void k() {}\n", "k.cu");
  const std::string what = message_of<InvalidOptionError>(
      [&] { engine.compile(source, {.defines = {{"A", "1"}}, .extra = {"-lineinfo", "--no-such-option"}}); });
  INFO(what);
  CHECK(what.find("'--no-such-option'") != std::string::npos);
  CHECK(what.find("'-lineinfo'") == std::string::npos);
  CHECK(what.find("'-DA=1'") == std::string::npos);
  CHECK(what.find("k.cu") != std::string::npos);
  // a known option with a bad value
  CHECK_THROWS_WITH_AS(engine.compile(source, {.extra = {"-ftz=maybe"}}), doctest::Contains("'-ftz=maybe'"),
                       InvalidOptionError);
  try {
    engine.compile(source, {.extra = {"-lineinfo", "--no-such-option"}});
    FAIL("an unknown option compiled");
  } catch (const InvalidOptionError& error) {
    CHECK(error.option() == "--no-such-option");
  }
  const Error& as_base = InvalidOptionError("m", "o");  // a handler for Error still catches it
  CHECK(std::string(as_base.what()) == "m");
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
  // and says which targets would do: every NVRTC since 12.8 knows sm_90 and sm_100
  CHECK(what.find("compiles for sm_") != std::string::npos);
  CHECK(what.find("sm_90, ") != std::string::npos);
  CHECK(what.find("sm_100") != std::string::npos);
  CHECK(what.find("check its spelling") == std::string::npos);
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

TEST_CASE("the first error in a header two folders deep: file(), line(), column() and the excerpt are the header's") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const int blank_lines = static_cast<int>(rng() % 30);
  const int indent = 1 + static_cast<int>(rng() % 12);
  std::string header = "#pragma once\n";
  for (int i = 0; i < blank_lines; ++i) header += "// filler " + std::to_string(rng()) + "\n";
  header += "__device__ int f() {\n" + std::string(static_cast<std::size_t>(indent), ' ') + "return undeclared_in_header;\n}\n";
  const int error_line = blank_lines + 3;
  TempDir tmp, cache;
  write_file(tmp / "inc/deep/h.cuh", header);
  // The source has an error of its own, after the header's: the header's comes first.
  write_file(tmp / "main.cu", "#include \"inc/deep/h.cuh\"\nextern \"C\" __global__ void k(int* p) {\n  *p = f() + undeclared_in_source;\n}\n");
  auto engine = engine_in(cache);
  const auto error = compile_error_of([&] { engine.compile(Source::file(tmp / "main.cu")); });
  const std::string what = error.what();
  INFO(what);
  const std::string header_path = (tmp / "inc/deep/h.cuh").string();
  CHECK(error.file() == header_path);
  CHECK(error.line() == error_line);
  const int column = indent + 8;  // the identifier after "return "
  CHECK(error.column() == column);
  CHECK(error.source_name() == (tmp / "main.cu").string());
  CHECK(what.find(fmt::format("{}:{}:{}", header_path, error_line, column)) != std::string::npos);
  CHECK(what.find(fmt::format(">{:>6} | {}return undeclared_in_header;", error_line, std::string(static_cast<std::size_t>(indent), ' '))) !=
        std::string::npos);
  CHECK(what.find("| " + std::string(static_cast<std::size_t>(column - 1), ' ') + "^\n") != std::string::npos);
  REQUIRE(error.diagnostics().size() >= 2);
  CHECK(error.diagnostics()[0].file == header_path);
  CHECK(error.diagnostics()[0].column == column);
  const auto in_source = std::find_if(error.diagnostics().begin(), error.diagnostics().end(),
                                      [](const Diagnostic& d) { return d.message.find("undeclared_in_source") != std::string::npos; });
  REQUIRE(in_source != error.diagnostics().end());
  CHECK(in_source->file == (tmp / "main.cu").string());
  CHECK(in_source->line == 3);
}

TEST_CASE("a string source's header named relative to its folder is reported by a path that opens") {
  TempDir tmp, cache;
  write_file(tmp / "sub/two/bad.cuh", "#pragma once\n__device__ int g() { return nope; }\n");
  const std::string name = (tmp / "main.cu").string();  // its folder is where quoted includes start
  auto engine = engine_in(cache);
  const auto error = compile_error_of([&] {
    engine.compile(Source::string("#include \"sub/two/bad.cuh\"\nextern \"C\" __global__ void k(int* p) { *p = g(); }\n", name));
  });
  INFO(error.what());
  CHECK(error.file() == (tmp / "sub/two/bad.cuh").string());
  CHECK(std::filesystem::exists(error.file()));
  CHECK(error.line() == 2);
  CHECK(error.column() == 29);  // the 'n' of nope
}

TEST_CASE("a source's own error has its column; an error without a location falls back to the source") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const std::size_t indent = 1 + rng() % 20;
  TempDir cache;
  auto engine = engine_in(cache);
  const std::string text = "extern \"C\" __global__ void k(int* p) {\n" + std::string(indent, ' ') + "*p = 1 +;\n}\n";
  const auto error = compile_error_of([&] { engine.compile(Source::string(text, "col.cu")); });
  INFO(error.what());
  CHECK(error.file() == "col.cu");
  CHECK(error.line() == 2);
  CHECK(error.column() == static_cast<int>(indent) + 9);  // the ';' after "*p = 1 +"
  const CompileError bare("m", "name.cu", "", {});
  CHECK(bare.file() == "name.cu");
  CHECK(bare.line() == 0);
  CHECK(bare.column() == 0);
}
