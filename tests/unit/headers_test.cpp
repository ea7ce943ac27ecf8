// Which user headers a compile depends on (the engine scans #include lines itself, since
// NVRTC does not say): where each is looked up, what counts, what does not.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// The user headers a key record names, sorted.
std::vector<std::string> headers_of(Engine& engine, const Source& source, const CompileOptions& options = {}) {
  std::vector<std::string> paths;
  const auto record = engine.key_record(source, options);
  for (const auto& [name, value] : record.fields())
    if (name == "header") paths.push_back(value.substr(0, value.rfind('\t')));  // "path<TAB>sha256"
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string normal(const std::filesystem::path& path) { return path.lexically_normal().string(); }

const CompileOptions k_sm90{.arch = "sm_90"};

}  // namespace

TEST_CASE("headers are followed transitively, through ../, recorded once by their normal path") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  write_file(tmp / "src/main.cu", "#include \"a/a.h\"\n#include \"a/../a/a.h\"\n__global__ void k() {}\n");
  write_file(tmp / "src/a/a.h", "#pragma once\n#include \"../b/deep/b.h\"\n");
  write_file(tmp / "src/b/deep/b.h", "#pragma once\n  #  include   \"c.h\"\n");
  write_file(tmp / "src/b/deep/c.h", "#pragma once\n");
  CHECK(headers_of(engine, Source::file(tmp / "src/main.cu"), k_sm90) ==
        std::vector<std::string>{normal(tmp / "src/a/a.h"), normal(tmp / "src/b/deep/b.h"),
                                 normal(tmp / "src/b/deep/c.h")});
}

TEST_CASE("a quoted include looks in the including file's folder first, then the -I folders") {
  // Each candidate stops NVRTC with its own #error: the one NVRTC reads must be the one recorded.
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  write_file(tmp / "src/main.cu", "#include \"a/a.h\"\n__global__ void k() {}\n");
  write_file(tmp / "src/a/a.h", "#pragma once\n#include \"common.h\"\n");
  write_file(tmp / "src/a/common.h", "#error read src/a/common.h\n");
  write_file(tmp / "inc/common.h", "#error read inc/common.h\n");
  const CompileOptions options{.include_dirs = {(tmp / "inc").string()}, .arch = "sm_90"};
  const Source source = Source::file(tmp / "src/main.cu");

  CHECK(headers_of(engine, source, options) ==
        std::vector<std::string>{normal(tmp / "src/a/a.h"), normal(tmp / "src/a/common.h")});
  CHECK_THROWS_WITH_AS(engine.compile(source, options), doctest::Contains("read src/a/common.h"), CompileError);

  std::filesystem::remove(tmp / "src/a/common.h");
  CHECK(headers_of(engine, source, options) ==
        std::vector<std::string>{normal(tmp / "inc/common.h"), normal(tmp / "src/a/a.h")});
  CHECK_THROWS_WITH_AS(engine.compile(source, options), doctest::Contains("read inc/common.h"), CompileError);

  // The source's own folder comes before the -I folders.
  write_file(tmp / "src/common.h", "#error read src/common.h\n");
  CHECK(headers_of(engine, source, options) ==
        std::vector<std::string>{normal(tmp / "src/a/a.h"), normal(tmp / "src/common.h")});
  CHECK_THROWS_WITH_AS(engine.compile(source, options), doctest::Contains("read src/common.h"), CompileError);
}

TEST_CASE("an angle include is looked up in the -I folders only, first folder first") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  write_file(tmp / "src/main.cu", "#include <lib.h>\n__global__ void k() {}\n");
  write_file(tmp / "src/nested.cu", "#include \"a/a.h\"\n__global__ void k() {}\n");
  write_file(tmp / "src/a/a.h", "#pragma once\n#include <sibling.h>\n");
  write_file(tmp / "src/a/sibling.h", "// beside a.h: not found by <sibling.h>\n");
  write_file(tmp / "one/lib.h", "#error read one/lib.h\n");
  write_file(tmp / "two/lib.h", "#error read two/lib.h\n");
  const Source source = Source::file(tmp / "src/main.cu");

  const CompileOptions one_two{.include_dirs = {(tmp / "one").string(), (tmp / "two").string()}, .arch = "sm_90"};
  const CompileOptions two_one{.include_dirs = {(tmp / "two").string(), (tmp / "one").string()}, .arch = "sm_90"};
  CHECK(headers_of(engine, source, one_two) == std::vector<std::string>{normal(tmp / "one/lib.h")});
  CHECK(headers_of(engine, source, two_one) == std::vector<std::string>{normal(tmp / "two/lib.h")});
  CHECK(engine.key_record(source, one_two).key() != engine.key_record(source, two_one).key());
  CHECK_THROWS_WITH_AS(engine.compile(source, one_two), doctest::Contains("read one/lib.h"), CompileError);
  CHECK_THROWS_WITH_AS(engine.compile(source, two_one), doctest::Contains("read two/lib.h"), CompileError);

  const Source nested = Source::file(tmp / "src/nested.cu");
  CHECK(headers_of(engine, nested, one_two) == std::vector<std::string>{normal(tmp / "src/a/a.h")});
  CHECK_THROWS_WITH_AS(engine.compile(nested, one_two), doctest::Contains("sibling.h"), CompileError);
}

TEST_CASE("an include inside #if 0 still counts (conservative)") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  write_file(tmp / "main.cu", "#if 0\n#include \"dead.h\"\n#endif\n__global__ void k() {}\n");
  write_file(tmp / "dead.h", "// version 1\n");
  const Source source = Source::file(tmp / "main.cu");
  CHECK(headers_of(engine, source, k_sm90) == std::vector<std::string>{normal(tmp / "dead.h")});
  const auto before = engine.key_record(source, k_sm90).key();
  write_file(tmp / "dead.h", "// version 2, longer\n");
  CHECK(engine.key_record(source, k_sm90).key() != before);
}

TEST_CASE("toolkit headers and missing headers are not user headers") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  write_file(tmp / "main.cu",
             "#include <cuda_fp16.h>\n#include <cuda/std/limits>\n#include \"mine.h\"\n__global__ void k() {}\n");
  write_file(tmp / "mine.h", "#pragma once\n");
  CHECK(headers_of(engine, Source::file(tmp / "main.cu"), k_sm90) == std::vector<std::string>{normal(tmp / "mine.h")});

  write_file(tmp / "missing.cu", "#include \"no_such_header.h\"\n__global__ void k() {}\n");
  const Source missing = Source::file(tmp / "missing.cu");
  CHECK(headers_of(engine, missing, k_sm90).empty());  // NVRTC reports it, the scan does not throw
  CHECK_THROWS_WITH_AS(engine.compile(missing), doctest::Contains("no_such_header.h"), CompileError);
}

TEST_CASE("a header cycle terminates and records each header once") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  write_file(tmp / "main.cu", "#include \"a.h\"\nextern \"C\" __global__ void k(int* p) { *p = A + B; }\n");
  write_file(tmp / "a.h", "#ifndef A_H\n#define A_H\n#define A 1\n#include \"b.h\"\n#include \"a.h\"\n#endif\n");
  write_file(tmp / "b.h", "#ifndef B_H\n#define B_H\n#define B 2\n#include \"a.h\"\n#endif\n");
  const Source source = Source::file(tmp / "main.cu");
  CHECK(headers_of(engine, source, k_sm90) == std::vector<std::string>{normal(tmp / "a.h"), normal(tmp / "b.h")});
  CHECK(engine.compile(source).has_kernel("k"));
}
