// Where a module comes from: NVRTC, this process, the disk cache (a new engine or a new
// process, which must not even load NVRTC), and a header edit noticed by a long-lived process.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace jitcu;
using namespace jitcu::test;

namespace {

const CompileOptions k_both_scales{.name_expressions = {"scale<float>", "scale<double>"}};

/// Runs tests/support/compile_child.cpp on `source` with the cache in `cache_dir`.
ProcessResult run_child(const std::filesystem::path& cache_dir, const std::filesystem::path& source,
                        std::vector<std::string> args = {}) {
  std::vector<std::string> argv{JITCU_TEST_CHILD, source.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {{"JITCU_CACHE_DIR", cache_dir.string()}, {"JITCU_DISABLE_CACHE", ""}});
}

void age(const std::filesystem::path& path, int seconds) {
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - std::chrono::seconds(seconds));
}

}  // namespace

TEST_CASE("compiled, then this process's copy, then the disk cache for a new engine") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Module first = engine.compile(seed_source());
  CHECK(first.origin() == Origin::compiled);
  CHECK_FALSE(first.log().empty());  // ptxas info at least

  const Module again = engine.compile(seed_source());
  CHECK(again.origin() == Origin::process_cache);
  CHECK(again.cache_key() == first.cache_key());
  CHECK(again.cache_path() == first.cache_path());

  auto other = engine_in(cache);
  const Module hit = other.compile(seed_source());
  CHECK(hit.origin() == Origin::disk_cache);
  CHECK(hit.cache_key() == first.cache_key());
  CHECK(hit.kernel_names() == first.kernel_names());
  CHECK(hit.ptx() == first.ptx());
  CHECK(hit.arch() == first.arch());
  CHECK(hit.compile_ms() == doctest::Approx(first.compile_ms()));
  const auto& params = hit.kernel("saxpy").params();
  const auto& compiled_params = first.kernel("saxpy").params();
  REQUIRE(params.size() == compiled_params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    CAPTURE(i);
    CHECK(params[i].size_bytes == compiled_params[i].size_bytes);
    CHECK(params[i].kind == compiled_params[i].kind);
    CHECK(params[i].ptx_type == compiled_params[i].ptx_type);
  }
  CHECK(other.compile(seed_source()).origin() == Origin::process_cache);

  Engine moved = std::move(engine);  // an engine keeps what it knows when moved
  CHECK(moved.compile(seed_source()).origin() == Origin::process_cache);
}

TEST_CASE("name expressions survive the disk cache") {
  TempDir cache;
  const Module compiled = engine_in(cache).compile(seed_source(), k_both_scales);
  const Module hit = engine_in(cache).compile(seed_source(), k_both_scales);
  CHECK(hit.origin() == Origin::disk_cache);
  CHECK(hit.kernel("scale<float>").symbol() == compiled.kernel("scale<float>").symbol());
  CHECK(hit.kernel("scale< double >").symbol() == compiled.kernel("scale<double>").symbol());
  CHECK(hit.kernel("scale<double>").params()[2].ptx_type == ".f64");
  CHECK_THROWS_AS(hit.kernel("scale"), KernelNotFound);
  // the expressions are part of the key: without them it is another entry
  CHECK(engine_in(cache).compile(seed_source()).origin() == Origin::compiled);
}

TEST_CASE("a new process hits the disk cache without loading NVRTC") {
  TempDir cache, empty_cache;
  const Module parent = engine_in(cache).compile(seed_source(), k_both_scales);
  const auto source = kernel_path("vector_ops.cu");
  const std::vector<std::string> exprs{"--expr", "scale<float>", "--expr", "scale<double>"};

  // The control: with an empty cache the child compiles, and the check sees NVRTC loaded.
  const auto cold = run_child(empty_cache.path(), source, exprs);
  INFO("cold child:\n" << cold.output);
  REQUIRE(cold.exit_code == 0);
  CHECK(output_field(cold.output, "origin") == "compiled");
  CHECK(output_field(cold.output, "nvrtc_loaded") == "yes");
  CHECK(output_field(cold.output, "key") == parent.cache_key());

  const auto warm = run_child(cache.path(), source, exprs);
  INFO("warm child:\n" << warm.output);
  REQUIRE(warm.exit_code == 0);
  CHECK(output_field(warm.output, "origin") == "disk_cache");
  CHECK(output_field(warm.output, "nvrtc_loaded") == "no");
  CHECK(output_field(warm.output, "key") == parent.cache_key());
  CHECK(output_field(warm.output, "kernels") ==
        "dot_product,jitcu_kernels::affine,saxpy,scale<double>,scale<float>");

  // Other options are another key: that child compiles.
  const auto other = run_child(cache.path(), source, {"--define", "UNUSED=1"});
  INFO("child with a define:\n" << other.output);
  CHECK(output_field(other.output, "origin") == "compiled");
}

TEST_CASE("the same source name and text from another working directory is not the same compile") {
  TempDir tmp, cache;
  const std::string text = "#include \"value.h\"\nextern \"C\" __global__ void k(float* p) { p[0] = VALUE; }\n";
  write_file(tmp / "a/value.h", "#define VALUE 1.0f\n");
  write_file(tmp / "b/value.h", "#define VALUE 2.0f\n");
  age(tmp / "a/value.h", 100);
  age(tmp / "b/value.h", 100);
  auto engine = engine_in(cache);
  const auto compile_in = [&](const char* folder) {
    const ScopedCurrentDir cwd(tmp / folder);
    return engine.compile(Source::string(text, "k.cu"));
  };
  const Module in_a = compile_in("a");
  CHECK(compile_in("a").origin() == Origin::process_cache);
  const Module in_b = compile_in("b");
  CHECK(in_a.origin() == Origin::compiled);
  CHECK(in_b.origin() == Origin::compiled);
  CHECK(in_a.cache_key() != in_b.cache_key());
  CHECK(entry_ptx(in_a.ptx(), "k").find("1065353216") != std::string::npos);  // the bits of 1.0f
  CHECK(entry_ptx(in_b.ptx(), "k").find("1073741824") != std::string::npos);  // the bits of 2.0f
}

TEST_CASE("a long-lived process notices a nested header edit") {
  TempDir tmp, cache;
  write_file(tmp / "main.cu", "#include \"a/a.h\"\nextern \"C\" __global__ void k(float* p) { p[0] = VALUE; }\n");
  write_file(tmp / "a/a.h", "#pragma once\n#include \"../b/deep/b.h\"\n");
  const auto deep = tmp / "b/deep/b.h";
  write_file(deep, "#define VALUE 1.0f\n");
  age(deep, 100);
  auto engine = engine_in(cache);
  const Source source = Source::file(tmp / "main.cu");

  const Module first = engine.compile(source);
  CHECK(first.origin() == Origin::compiled);
  CHECK(engine.compile(source).origin() == Origin::process_cache);

  write_file(deep, "#define VALUE 2.0f\n");  // same size
  age(deep, 50);                              // a later mtime, but not a recent one
  const Module edited = engine.compile(source);
  CHECK(edited.origin() == Origin::compiled);
  CHECK(edited.cache_key() != first.cache_key());
  CHECK(edited.ptx() != first.ptx());
  const Module unchanged = engine.compile(source);
  CHECK(unchanged.origin() == Origin::process_cache);
  CHECK(unchanged.cache_key() == edited.cache_key());

  // Back to the first content: the first entry again, from this process.
  write_file(deep, "#define VALUE 1.0f\n");
  age(deep, 20);
  const Module reverted = engine.compile(source);
  CHECK(reverted.origin() == Origin::process_cache);
  CHECK(reverted.cache_key() == first.cache_key());
}

TEST_CASE("a same-size edit that keeps the mtime is noticed while the mtime is recent") {
  TempDir tmp, cache;
  write_file(tmp / "main.cu", "#include \"b.h\"\nextern \"C\" __global__ void k(float* p) { p[0] = VALUE; }\n");
  write_file(tmp / "b.h", "#define VALUE 1.0f\n");
  const auto stamp = std::filesystem::last_write_time(tmp / "b.h");
  auto engine = engine_in(cache);
  const Source source = Source::file(tmp / "main.cu");
  const Module first = engine.compile(source);
  write_file(tmp / "b.h", "#define VALUE 3.0f\n");
  std::filesystem::last_write_time(tmp / "b.h", stamp);  // a coarse clock: same size, mtime, inode
  const Module edited = engine.compile(source);
  CHECK(edited.cache_key() != first.cache_key());
  CHECK(edited.origin() == Origin::compiled);
}

// A header created earlier on the search path shadows the one found before: the in-process fast
// path remembers the candidates that did not exist and checks them again.
TEST_CASE("a header that appears earlier on the search path is noticed") {
  TempDir tmp, cache;
  write_file(tmp / "src/main.cu", "#include \"h.h\"\nextern \"C\" __global__ void k(float* p) { p[0] = VALUE; }\n");
  write_file(tmp / "inc/h.h", "#define VALUE 1.0f\n");
  age(tmp / "inc/h.h", 100);
  auto engine = engine_in(cache);
  const Source source = Source::file(tmp / "src/main.cu");
  const CompileOptions options{.include_dirs = {(tmp / "inc").string()}};
  const Module first = engine.compile(source, options);

  write_file(tmp / "src/h.h", "#define VALUE 2.0f\n");  // beside main.cu: found before inc/
  age(tmp / "src/h.h", 50);
  const auto expected_key = engine.key_record(source, options).key().hex();
  REQUIRE(expected_key != first.cache_key());
  CHECK(engine.compile(source, options).cache_key() == expected_key);
}

TEST_CASE("threads compiling one source at once: NVRTC runs once") {
  TempDir cache;
  auto engine = engine_in(cache);
  auto other = engine_in(cache);  // a second engine on the same folder
  const Source source = Source::string("extern \"C\" __global__ void k(int* p) { p[threadIdx.x] = 1; }\n", "race.cu");
  constexpr int k_threads = 6;
  std::vector<Origin> origins(k_threads);
  std::vector<std::string> keys(k_threads);
  std::vector<std::string> errors(k_threads);
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
      threads.emplace_back([&, t] {
        const auto i = static_cast<std::size_t>(t);
        try {
          const Module m = (t % 2 ? other : engine).compile(source);
          origins[i] = m.origin();
          keys[i] = m.cache_key();
        } catch (const std::exception& error) {
          errors[i] = error.what();
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  int compiled = 0;
  for (std::size_t i = 0; i < origins.size(); ++i) {
    CAPTURE(i);
    CHECK(errors[i].empty());
    CHECK(keys[i] == keys[0]);
    if (origins[i] == Origin::compiled) ++compiled;
  }
  CHECK(compiled == 1);
}
