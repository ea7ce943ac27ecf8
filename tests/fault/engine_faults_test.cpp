// The engine against broken things, with real processes and files: a compiler killed while it
// holds a key's lock, entries damaged on disk in every way, an entry another engine version
// wrote, an unusable cache folder, an NVRTC that does not load.
#include "engine_support.hpp"

#include <jitcu/cache/sha256.hpp>

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <functional>

using namespace jitcu;
using namespace jitcu::test;

namespace {

const std::map<std::string, std::string> k_no_override{{"JITCU_DISABLE_CACHE", ""}};

/// Runs compile_child under `timeout` (a lock that is never released must fail, not hang).
ProcessResult run_child(const std::map<std::string, std::string>& env, std::vector<std::string> args) {
  std::vector<std::string> argv{"timeout", "120", JITCU_TEST_CHILD};
  argv.insert(argv.end(), args.begin(), args.end());
  auto all_env = k_no_override;
  for (const auto& [name, value] : env) all_env[name] = value;
  return run_process(argv, all_env);
}

void check_entries_verify(const TempDir& cache) {
  auto engine = engine_in(cache);
  const auto results = engine.store().disk()->verify();
  CHECK_FALSE(results.empty());
  for (const auto& result : results) CHECK_MESSAGE(result.ok, result.problem);
}

}  // namespace

TEST_CASE("a compiler killed while it holds the key's lock blocks nobody") {
  TempDir cache;
  const auto source = kernel_path("vector_ops.cu").string();
  const std::map<std::string, std::string> env{{"JITCU_CACHE_DIR", cache.path().string()}};
  const auto killed = run_child(env, {source, "--lock-and-die"});
  INFO("killed child:\n" << killed.output);
  CHECK(killed.exit_code == 128 + SIGKILL);
  const auto locked_key = output_field(killed.output, "locked");
  REQUIRE(locked_key.size() == 64);

  const auto next = run_child(env, {source});
  INFO("next child:\n" << next.output);
  CHECK(next.exit_code == 0);  // 124: it waited for the dead process's lock
  CHECK(output_field(next.output, "origin") == "compiled");
  CHECK(output_field(next.output, "key") == locked_key);
  CHECK(engine_in(cache).compile(seed_source()).origin() == Origin::disk_cache);
}

TEST_CASE("an entry damaged on disk is compiled again and replaced by a good one") {
  TempDir cache;
  const Module first = engine_in(cache).compile(seed_source());
  const auto dir = first.cache_path();
  const auto cubin = dir / (first.arch() + ".cubin");
  REQUIRE(std::filesystem::exists(cubin));

  SUBCASE("the record is empty") { write_file(dir / "record", ""); }
  SUBCASE("the record is missing") { std::filesystem::remove(dir / "record"); }
  SUBCASE("the record lists another cubin checksum") {
    auto text = read_file(dir / "record");
    const auto at = text.find(first.arch() + ".cubin\n");
    REQUIRE(at != std::string::npos);
    const auto digit = text.rfind(' ', at - 2) + 1;  // the first hex digit of the cubin's XXH3
    text[digit] = text[digit] == 'a' ? 'b' : 'a';
    write_file(dir / "record", text);
  }
  SUBCASE("the record is another entry's") {
    const Module other = engine_in(cache).compile(Source::string("extern \"C\" __global__ void other(int* p) { *p = 1; }",
                                                                 "other.cu"));
    std::filesystem::copy_file(other.cache_path() / "record", dir / "record",
                               std::filesystem::copy_options::overwrite_existing);
  }
  SUBCASE("the cubin is empty") { write_file(cubin, ""); }
  SUBCASE("the cubin is missing") { std::filesystem::remove(cubin); }
  SUBCASE("the cubin is another entry's") {
    const Module other = engine_in(cache).compile(Source::string("extern \"C\" __global__ void other(int* p) { *p = 1; }",
                                                                 "other.cu"));
    std::filesystem::copy_file(other.cache_path() / (other.arch() + ".cubin"), cubin,
                               std::filesystem::copy_options::overwrite_existing);
  }

  const Module again = engine_in(cache).compile(seed_source());
  CHECK(again.origin() == Origin::compiled);
  CHECK(again.cache_key() == first.cache_key());
  CHECK(again.kernel_names() == first.kernel_names());
  CHECK(again.kernel("saxpy").params()[0].ptx_type == ".f32");
  const Module after = engine_in(cache).compile(seed_source());
  CHECK(after.origin() == Origin::disk_cache);
  CHECK(after.ptx() == first.ptx());
  check_entries_verify(cache);
}

// A stray file where the entry's folder belongs is removed when the entry is published again.
TEST_CASE("a file where an entry's folder belongs is replaced") {
  TempDir cache;
  const Module first = engine_in(cache).compile(seed_source());
  const auto dir = first.cache_path();
  std::filesystem::remove_all(dir);
  write_file(dir, "not a folder");
  CHECK(engine_in(cache).compile(seed_source()).origin() == Origin::compiled);
  CHECK(engine_in(cache).compile(seed_source()).origin() == Origin::disk_cache);
}

TEST_CASE("meta.json is for people: a damaged one does not stop hits, which read the record and the cubin") {
  TempDir cache;
  const Module first = engine_in(cache).compile(seed_source());
  write_file(first.cache_path() / "meta.json", "{ this is not json");
  const Module hit = engine_in(cache).compile(seed_source());
  CHECK(hit.origin() == Origin::disk_cache);
  CHECK(hit.kernel_names() == first.kernel_names());
  CHECK(hit.ptx() == first.ptx());  // program.ptx is checked against the record's checksum
  const auto results = engine_in(cache).store().disk()->verify();
  REQUIRE(results.size() == 1);
  CHECK(results.front().ok);
}

TEST_CASE("an unusable cache folder degrades to memory only, with a warning naming it") {
  TempDir tmp;
  const auto not_a_folder = tmp / "cache-is-a-file";
  write_file(not_a_folder, "a regular file where the cache folder should be\n");

  Engine engine(EngineOptions{.cache_dir = not_a_folder});
  const Module module = engine.compile(seed_source());
  CHECK(module.origin() == Origin::compiled);
  CHECK(module.cache_path().empty());
  CHECK(engine.compile(seed_source()).origin() == Origin::process_cache);
  CHECK(read_file(not_a_folder) == "a regular file where the cache folder should be\n");

  const auto child = run_child({{"JITCU_CACHE_DIR", not_a_folder.string()}}, {kernel_path("vector_ops.cu").string()});
  INFO("child:\n" << child.output);
  CHECK(child.exit_code == 0);
  CHECK(output_field(child.output, "origin") == "compiled");
  CHECK(child.output.find("warn") != std::string::npos);
  CHECK(child.output.find(not_a_folder.string()) != std::string::npos);
}

TEST_CASE("an NVRTC that does not load is a clear error naming it, not a crash") {
  TempDir toolkit, cache;
  write_file(toolkit / "include/cuda_runtime.h", "// a toolkit whose NVRTC is broken\n");
  const auto library = toolkit / "lib64/libnvrtc.so.13";
  write_file(library, "this is not a shared library\n");
  const auto child = run_child({{"JITCU_CACHE_DIR", cache.path().string()}, {"JITCU_CUDA_HOME", toolkit.path().string()}},
                               {kernel_path("vector_ops.cu").string()});
  INFO("child:\n" << child.output);
  CHECK(child.exit_code == 2);  // a jitcu::Error, caught and printed
  const auto error = output_field(child.output, "error");
  CHECK(error.find("NVRTC") != std::string::npos);
  CHECK(error.find(library.string()) != std::string::npos);
}

TEST_CASE("the toolkit is the first root holding NVRTC or its headers; a root with neither is passed over") {
  TempDir nvrtc_only, empty, cache;
  const auto library = nvrtc_only / "lib/libnvrtc.so.13";  // lib/, not lib64/: both are looked in
  write_file(library, "this is not a shared library\n");
  const std::string kernel = kernel_path("vector_ops.cu").string();

  // A root with NVRTC and no headers is the toolkit: its (broken) library is the one loaded.
  const auto chosen = run_child({{"JITCU_CACHE_DIR", cache.path().string()}, {"JITCU_CUDA_HOME", nvrtc_only.path().string()},
                                 {"CUDA_HOME", ""}, {"CUDA_PATH", ""}},
                                {kernel});
  INFO("nvrtc-only root:\n" << chosen.output);
  CHECK(chosen.exit_code == 2);
  CHECK(output_field(chosen.output, "error").find(library.string()) != std::string::npos);

  // A root with neither is skipped for the next one (here /usr/local/cuda or $CUDA_HOME as the
  // test runs): the compile works and names no empty folder.
  const auto skipped = run_child({{"JITCU_CACHE_DIR", cache.path().string()}, {"JITCU_CUDA_HOME", empty.path().string()}},
                                 {kernel});
  INFO("empty root:\n" << skipped.output);
  CHECK(skipped.exit_code == 0);
  CHECK(output_field(skipped.output, "origin") == "compiled");
  CHECK(skipped.output.find(empty.path().string()) == std::string::npos);
}
