// Headers given as text (CompileOptions::headers): NVRTC finds them by exact name before any
// folder, they key the cache and the in-process cache, travel to worker processes, and name
// themselves in errors. Real NVRTC compiles to PTX; no GPU needed.
#include "engine_support.hpp"

#include "compile_request.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// A kernel storing VALUE, which the header it includes must define.
std::string kernel_including(const std::string& include_line) {
  return include_line + "\nextern \"C\" __global__ void k(int* out) { out[0] = VALUE; }\n";
}

std::string defines_value(int value) { return "#pragma once\n#define VALUE " + std::to_string(value) + "\n"; }

bool ptx_stores(const Module& module, int value) { return module.ptx().find(std::to_string(value)) != std::string::npos; }

std::string key_of(Engine& engine, const Source& source, const CompileOptions& options) {
  return engine.key_record(source, options).key().hex();
}

}  // namespace

TEST_CASE("an in-memory header's constant reaches the PTX, through a quoted and an angle include") {
  TempDir cache;
  auto engine = engine_in(cache);
  std::mt19937 rng(test_seed());
  INFO("seed=" << test_seed());
  const int value = fresh_value(rng);
  const CompileOptions options{.headers = {{"my/util.cuh", defines_value(value)}}, .arch = "sm_90"};
  for (const char* line : {"#include \"my/util.cuh\"", "#include <my/util.cuh>"}) {
    CAPTURE(line);
    const Module module = engine.compile(Source::string(kernel_including(line), "k.cu"), options);
    CHECK(module.origin() == Origin::compiled);
    CHECK(ptx_stores(module, value));
  }
}

TEST_CASE("an in-memory header wins over a same-named file in the source's folder and in an include folder") {
  // Each disk file stops NVRTC with its own #error: the header NVRTC reads must be the one in memory.
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  write_file(tmp / "src/util.cuh", "#error read src/util.cuh\n");
  write_file(tmp / "inc/util.cuh", "#error read inc/util.cuh\n");
  write_file(tmp / "src/quoted.cu", kernel_including("#include \"util.cuh\""));
  write_file(tmp / "src/angle.cu", kernel_including("#include <util.cuh>"));
  const CompileOptions options{.include_dirs = {(tmp / "inc").string()},
                               .headers = {{"util.cuh", defines_value(4242421)}},
                               .arch = "sm_90"};
  for (const char* file : {"src/quoted.cu", "src/angle.cu"}) {
    CAPTURE(file);
    const Source source = Source::file(tmp / file);
    CHECK(ptx_stores(engine.compile(source, options), 4242421));
    // The scanner does not resolve the include to a disk file: neither is in the key.
    CHECK(key_field_values(engine, source, options, "header").empty());
    const auto memory = key_field_values(engine, source, options, "memory_header");
    REQUIRE(memory.size() == 1);
    CHECK(memory.front().starts_with("util.cuh\t"));
  }
  SUBCASE("without it, the disk file is read and keyed") {
    CompileOptions on_disk = options;
    on_disk.headers.clear();
    const Source source = Source::file(tmp / "src/quoted.cu");
    CHECK_THROWS_WITH_AS(engine.compile(source, on_disk), doctest::Contains("read src/util.cuh"), CompileError);
    CHECK(key_field_values(engine, source, on_disk, "header").size() == 1);
  }
}

TEST_CASE("in-memory headers include each other by exact name, and disk headers both ways") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  std::mt19937 rng(test_seed());
  INFO("seed=" << test_seed());
  const int value = fresh_value(rng);
  // memory my/util.cuh -> memory my/detail.cuh (by its full name) -> disk inc/disk.cuh -> memory value.cuh
  write_file(tmp / "inc/disk.cuh", "#pragma once\n#include \"value.cuh\"\n#define DISK_SEEN 1\n");
  write_file(tmp / "inc/value.cuh", "#error read inc/value.cuh\n");  // beside disk.cuh: shadowed by memory
  const CompileOptions options{
      .include_dirs = {(tmp / "inc").string()},
      .headers = {{"my/util.cuh", "#pragma once\n#include \"my/detail.cuh\"\n"},
                  {"my/detail.cuh", "#pragma once\n#include <disk.cuh>\n"},
                  {"value.cuh", defines_value(value)}},
      .arch = "sm_90"};
  const Source source = Source::string(kernel_including("#include \"my/util.cuh\""), "k.cu");
  const Module module = engine.compile(source, options);
  CHECK(ptx_stores(module, value));
  const auto disk = key_field_values(engine, source, options, "header");
  REQUIRE(disk.size() == 1);  // disk.cuh, reached through two in-memory headers; never inc/value.cuh
  CHECK(disk.front().starts_with((tmp / "inc/disk.cuh").lexically_normal().string() + "\t"));

  SUBCASE("editing the disk header an in-memory one includes changes the key") {
    const std::string before = key_of(engine, source, options);
    write_file(tmp / "inc/disk.cuh", "#pragma once\n#include \"value.cuh\"\n#define DISK_SEEN 2\n");
    CHECK(key_of(engine, source, options) != before);
  }
  SUBCASE("a name relative to the including in-memory header is not another in-memory header (NVRTC matches exactly)") {
    CompileOptions relative = options;
    relative.headers[0].text = "#pragma once\n#include \"detail.cuh\"\n";  // not "my/detail.cuh"
    CHECK_THROWS_WITH_AS(engine.compile(source, relative), doctest::Contains("detail.cuh"), CompileError);
  }
}

TEST_CASE("the key: same texts give the same key, one byte or a name changes it, the order does not") {
  TempDir cache;
  auto engine = engine_in(cache);
  std::mt19937 rng(test_seed());
  INFO("seed=" << test_seed());
  const Source source = Source::string(kernel_including("#include \"a.cuh\"\n#include \"b.cuh\""), "k.cu");
  std::string a_text = defines_value(fresh_value(rng));
  const std::string b_text = "#pragma once\n#define OTHER " + std::to_string(rng()) + "\n";
  const CompileOptions base{.headers = {{"a.cuh", a_text}, {"b.cuh", b_text}}, .arch = "sm_90"};
  const std::string key = key_of(engine, source, base);

  CHECK(key_of(engine, source, base) == key);
  CHECK(key_of(engine, source, CompileOptions{.headers = {{"b.cuh", b_text}, {"a.cuh", a_text}}, .arch = "sm_90"}) == key);

  std::string changed = a_text;
  changed[rng() % changed.size()] ^= 1;  // one bit of one byte
  CHECK(key_of(engine, source, CompileOptions{.headers = {{"a.cuh", changed}, {"b.cuh", b_text}}, .arch = "sm_90"}) != key);
  CHECK(key_of(engine, source, CompileOptions{.headers = {{"a.cuh", a_text + " "}, {"b.cuh", b_text}}, .arch = "sm_90"}) != key);
  CHECK(key_of(engine, source, CompileOptions{.headers = {{"A.cuh", a_text}, {"b.cuh", b_text}}, .arch = "sm_90"}) != key);
  CHECK(key_of(engine, source, CompileOptions{.headers = {{"a.cuh", a_text}}, .arch = "sm_90"}) != key);
  // An unused one counts too: the key, like the in-process cache, covers every header given.
  CHECK(key_of(engine, source,
               CompileOptions{.headers = {{"a.cuh", a_text}, {"b.cuh", b_text}, {"unused.cuh", ""}}, .arch = "sm_90"}) != key);

  const auto fields = key_field_values(engine, source, base, "memory_header");
  CHECK(fields == std::vector<std::string>{"a.cuh\t" + cache::sha256_hex(a_text), "b.cuh\t" + cache::sha256_hex(b_text)});
  CHECK(engine.compile(source, base).cache_key() == key);  // the key compile() uses
}

TEST_CASE("two compiles differing only in a header's text never share a module, in this process or the cache") {
  TempDir cache;
  auto engine = engine_in(cache);
  std::mt19937 rng(test_seed());
  INFO("seed=" << test_seed());
  const Source source = Source::string(kernel_including("#include \"v.cuh\""), "k.cu");
  const int first = fresh_value(rng), second = first + 1;  // texts of the same length
  const CompileOptions one{.headers = {{"v.cuh", defines_value(first)}}, .arch = "sm_90"};
  const CompileOptions two{.headers = {{"v.cuh", defines_value(second)}}, .arch = "sm_90"};

  const Module a = engine.compile(source, one);
  const Module b = engine.compile(source, two);
  CHECK(a.cache_key() != b.cache_key());
  CHECK(ptx_stores(a, first));
  CHECK(ptx_stores(b, second));
  CHECK_FALSE(ptx_stores(b, first));
  const Module a_again = engine.compile(source, one);
  CHECK(a_again.origin() == Origin::process_cache);
  CHECK(ptx_stores(a_again, first));
  CHECK(engine.compile(source, two).cache_key() == b.cache_key());

  auto fresh = engine_in(cache);  // a new process's view: only the disk cache
  const Module from_disk = fresh.compile(source, two);
  CHECK(from_disk.origin() == Origin::disk_cache);
  CHECK(ptx_stores(from_disk, second));
}

TEST_CASE("compile_async and compile_many carry the header texts to worker processes") {
  TempDir cache;
  Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 2});
  std::mt19937 rng(test_seed());
  INFO("seed=" << test_seed());
  const int value = fresh_value(rng);
  // Bytes JSON could not carry (not UTF-8) in the text: the protocol sends texts as frames.
  const std::string name = "gen/Grüße util.cuh";
  const CompileOptions options{.headers = {{name, "// \x01\xc3\x28 not UTF-8\n" + defines_value(value)}}, .arch = "sm_90"};
  const Source source = Source::string(kernel_including("#include \"" + name + "\""), "async.cu");
  const Module async = engine.compile_async(source, options).get();
  CHECK(async.origin() == Origin::compiled);
  CHECK(ptx_stores(async, value));

  std::vector<Source> sources;
  for (int i = 0; i < 3; ++i)
    sources.push_back(Source::string(kernel_including("#include <" + name + ">") + "// " + std::to_string(i),
                                     "many" + std::to_string(i) + ".cu"));
  for (const Module& module : engine.compile_many(sources, options)) CHECK(ptx_stores(module, value));

  // An error inside an in-memory header comes back from the worker with the header's name and line.
  const CompileOptions broken{.headers = {{"bad.cuh", "#pragma once\n#define VALUE 1\n__device__ int f() { return nope; }\n"}},
                              .arch = "sm_90"};
  const Source uses = Source::string(kernel_including("#include \"bad.cuh\""), "uses_bad.cu");
  try {
    engine.compile_async(uses, broken).get();
    FAIL("compiled a broken header");
  } catch (const CompileError& error) {
    CHECK(error.file() == "bad.cuh");
    CHECK(error.line() == 3);
    CHECK(std::string(error.what()).find("return nope") != std::string::npos);
  }
}

TEST_CASE("a compile error inside an in-memory header names the header and its line, with an excerpt of its text") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  // A same-named file beside the source must not be shown: the error is in the in-memory text.
  write_file(tmp / "src/my/util.cuh", "// the disk file, never read\n");
  write_file(tmp / "src/k.cu", kernel_including("#include \"my/util.cuh\""));
  const CompileOptions options{
      .headers = {{"my/util.cuh", "#pragma once\n#define VALUE 1\n__device__ int broken() { return undefined_thing; }\n"}},
      .arch = "sm_90"};
  try {
    engine.compile(Source::file(tmp / "src/k.cu"), options);
    FAIL("compiled a broken header");
  } catch (const CompileError& error) {
    CHECK(error.file() == "my/util.cuh");
    CHECK(error.line() == 3);
    const std::string what = error.what();
    CHECK(what.find("my/util.cuh:3") != std::string::npos);
    CHECK(what.find("undefined_thing") != std::string::npos);
    CHECK(what.find("return undefined_thing") != std::string::npos);  // the excerpt, from the text
    CHECK(what.find("never read") == std::string::npos);
  }
}

TEST_CASE("a header with an empty, repeated or unusable name, or a NUL in its text, is refused with what to do") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string(kernel_including("#include \"a.cuh\""), "k.cu");
  const auto refusal = [&](std::vector<HeaderText> headers) {
    return message_of<InvalidOptionError>([&] { engine.compile(source, {.headers = std::move(headers), .arch = "sm_90"}); });
  };
  const std::string empty = refusal({{"a.cuh", defines_value(1)}, {"", "x"}});
  CHECK(empty.find("k.cu") != std::string::npos);
  CHECK(empty.find("#2") != std::string::npos);
  CHECK(empty.find("empty name") != std::string::npos);

  const std::string twice = refusal({{"a.cuh", defines_value(1)}, {"b.cuh", ""}, {"a.cuh", defines_value(2)}});
  CHECK(twice.find("'a.cuh' is given twice") != std::string::npos);
  CHECK(twice.find("give each name once") != std::string::npos);

  const std::string nul_name = refusal({{std::string("a.c\0uh", 6), defines_value(1)}});
  CHECK(nul_name.find("'a.c\\x00uh'") != std::string::npos);
  CHECK(nul_name.find("NUL byte in its name") != std::string::npos);

  CHECK(refusal({{"a\n.cuh", ""}}).find("line break") != std::string::npos);

  const std::string nul_text = refusal({{"a.cuh", std::string("#define VALUE 1\0", 16)}});
  CHECK(nul_text.find("'a.cuh'") != std::string::npos);
  CHECK(nul_text.find("NUL byte in its text (offset 15)") != std::string::npos);

  try {
    engine.compile(source, {.headers = {{"a.cuh", ""}, {"a.cuh", ""}}, .arch = "sm_90"});
  } catch (const InvalidOptionError& error) {
    CHECK(error.option() == "a.cuh");
  }
}
