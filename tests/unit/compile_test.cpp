// Compiling with real NVRTC (no GPU): the seed's kernels and parameters, the cache entry on
// disk, options reaching NVRTC, toolkit headers, the cache switched off, damaged entries.
#include "engine_support.hpp"

#include <jitcu/cache/key.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

using namespace jitcu;
using namespace jitcu::test;

namespace {

std::set<std::string> file_names(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& item : std::filesystem::directory_iterator(dir))
    if (item.is_regular_file()) names.insert(item.path().filename().string());
  return names;
}

/// Every regular file below `dir`, recursively.
std::vector<std::filesystem::path> files_below(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> found;
  for (const auto& item : std::filesystem::recursive_directory_iterator(dir))
    if (item.is_regular_file()) found.push_back(item.path());
  return found;
}

bool is_elf(const std::string& bytes) { return bytes.size() > 4 && bytes.compare(0, 4, "\x7f" "ELF") == 0; }

// c = a * b on floats: the instruction -ftz=true must change.
const char* const k_multiply_source = R"(
extern "C" __global__ void multiply(const float* a, const float* b, float* c, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] * b[i];
}
)";

}  // namespace

TEST_CASE("the seed file compiles: its kernels, their parameters from the PTX, its PTX") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Module module = engine.compile(seed_source());

  CHECK(module.kernel_names() == std::vector<std::string>{"dot_product", "jitcu_kernels::affine", "saxpy"});
  CHECK(module.arch() == engine.default_arch());
  CHECK(module.ptx().find(".entry dot_product(") != std::string::npos);
  CHECK(module.ptx().find(".entry saxpy(") != std::string::npos);
  CHECK(module.compile_ms() > 0.0);
  CHECK(module.cache_key().size() == 64);

  const auto& dot = module.kernel("dot_product").params();
  REQUIRE(dot.size() == 4);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("dot_product parameter " << i);
    CHECK(dot[i].size_bytes == 8);
    CHECK(dot[i].ptx_type == ".u64");
    CHECK((dot[i].kind == ValueKind::pointer || dot[i].kind == ValueKind::integer));
  }
  CHECK(dot[3].size_bytes == 4);
  CHECK(dot[3].ptx_type == ".u32");
  CHECK(dot[3].kind == ValueKind::integer);

  const auto& saxpy = module.kernel("saxpy").params();
  REQUIRE(saxpy.size() == 4);
  CHECK(saxpy[0].size_bytes == 4);
  CHECK(saxpy[0].ptx_type == ".f32");
  CHECK(saxpy[0].kind == ValueKind::floating);

  const auto& affine = module.kernel("jitcu_kernels::affine").params();
  REQUIRE(affine.size() == 4);
  CHECK(affine[0].size_bytes == 12);  // struct Affine { float, float, int }
  CHECK(affine[0].kind == ValueKind::bytes);
  CHECK(affine[0].ptx_type == ".b8[12]");
}

TEST_CASE("a compile leaves a readable entry on disk: record, meta.json, program.ptx, the cubin, log.txt") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Module module = engine.compile(seed_source());
  const auto dir = module.cache_path();
  REQUIRE_FALSE(dir.empty());
  REQUIRE(std::filesystem::is_directory(dir));
  CHECK(dir.lexically_normal().string().starts_with(cache.path().lexically_normal().string()));
  CHECK(dir.filename().string() == module.cache_key());

  const auto names = file_names(dir);
  INFO("entry files: " << [&] { std::string all; for (const auto& n : names) all += n + " "; return all; }());
  CHECK(names.count("meta.json") == 1);
  CHECK(names.count("record") == 1);
  CHECK(names.count("program.ptx") == 1);
  CHECK(names.count("log.txt") == 1);
  CHECK(names.count(module.arch() + ".cubin") == 1);

  CHECK(read_file(dir / "program.ptx") == module.ptx());
  CHECK(is_elf(read_file(dir / (module.arch() + ".cubin"))));
  CHECK(read_file(dir / "log.txt") == module.log());
  const auto meta = nlohmann::json::parse(read_file(dir / "meta.json"));  // valid JSON
  CHECK(meta.dump().find("jitcu_kernels::affine") != std::string::npos);
}

TEST_CASE("without a GPU the default arch is $JITCU_ARCH, else sm_90") {
  if (cuda_available()) {
    MESSAGE("a GPU is present: the default arch is the device's, " << Engine().default_arch());
    return;
  }
  TempDir cache;
  {
    const ScopedEnv unset("JITCU_ARCH", "");
    CHECK(engine_in(cache).default_arch() == "sm_90");
  }
  const ScopedEnv arch("JITCU_ARCH", "sm_80");
  auto engine = engine_in(cache);
  CHECK(engine.default_arch() == "sm_80");
  const Module module = engine.compile(Source::string(k_multiply_source, "multiply.cu"));
  CHECK(module.arch() == "sm_80");
  CHECK(std::filesystem::exists(module.cache_path() / "sm_80.cubin"));
}

TEST_CASE("compute_XY keeps PTX only, and a disk hit still knows the kernels") {
  TempDir cache;
  const CompileOptions options{.arch = "compute_90"};
  const Module module = engine_in(cache).compile(seed_source(), options);
  CHECK(module.arch() == "compute_90");
  const auto names = file_names(module.cache_path());
  CHECK(names.count("program.ptx") == 1);
  CHECK(std::none_of(names.begin(), names.end(), [](const std::string& n) { return n.ends_with(".cubin"); }));

  const Module again = engine_in(cache).compile(seed_source(), options);
  CHECK(again.origin() == Origin::disk_cache);
  CHECK(again.kernel_names() == module.kernel_names());
  CHECK(again.kernel("saxpy").params()[0].ptx_type == ".f32");
  CHECK(again.ptx() == module.ptx());
}

TEST_CASE("a disk hit reads only its cubin; the PTX comes from the entry when asked, and its folder is known") {
  TempDir cache;
  const Module compiled = engine_in(cache).compile(seed_source());
  const std::string ptx = compiled.ptx();
  REQUIRE_FALSE(ptx.empty());

  const Module hit = engine_in(cache).compile(seed_source());
  CHECK(hit.origin() == Origin::disk_cache);
  CHECK(hit.cache_path() == compiled.cache_path());
  CHECK(hit.kernel_names() == compiled.kernel_names());
  CHECK(hit.ptx() == ptx);  // read from program.ptx now, checksum checked

  // The entry removed after the hit: asking for the PTX is a clear error, not an empty string.
  const Module later = engine_in(cache).compile(seed_source());
  REQUIRE(later.origin() == Origin::disk_cache);
  std::filesystem::remove_all(later.cache_path());
  CHECK_THROWS_WITH_AS(later.ptx(), doctest::Contains("missing or damaged"), Error);
}

TEST_CASE("-ftz=true reaches NVRTC: the multiply flushes denormals in the PTX") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string(k_multiply_source, "multiply.cu");
  const Module plain = engine.compile(source);
  const Module ftz = engine.compile(source, {.extra = {"-ftz=true"}});
  CHECK(ftz.origin() == Origin::compiled);
  CHECK(ftz.cache_key() != plain.cache_key());
  const auto plain_ptx = entry_ptx(plain.ptx(), "multiply");
  const auto ftz_ptx = entry_ptx(ftz.ptx(), "multiply");
  INFO("default PTX:\n" << plain_ptx << "\n-ftz=true PTX:\n" << ftz_ptx);
  CHECK(plain_ptx.find("mul.") != std::string::npos);
  CHECK(plain_ptx.find(".ftz") == std::string::npos);
  CHECK(ftz_ptx.find(".ftz.f32") != std::string::npos);

  // The same option spelled "--ftz=true" reaches NVRTC as written and gives the same code.
  const Module spelled = engine.compile(source, {.extra = {"--ftz=true"}});
  CHECK(entry_ptx(spelled.ptx(), "multiply").find(".ftz.f32") != std::string::npos);
}

TEST_CASE("a define's value reaches the code") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string(R"(
#if BLOCK != 256
#error wrong BLOCK
#endif
#ifndef FLAG
#error FLAG missing
#endif
extern "C" __global__ void k(int* out) { out[0] = BLOCK; }
)",
                                       "block.cu");
  const Module good = engine.compile(source, {.defines = {{"BLOCK", "256"}, {"FLAG", ""}}});
  CHECK(good.has_kernel("k"));
  CHECK_THROWS_WITH_AS(engine.compile(source, {.defines = {{"BLOCK", "128"}, {"FLAG", ""}}}),
                       doctest::Contains("wrong BLOCK"), CompileError);
  CHECK_THROWS_WITH_AS(engine.compile(source, {.defines = {{"BLOCK", "256"}}}), doctest::Contains("FLAG missing"),
                       CompileError);
  // -D in extra is a define too.
  CHECK(engine.compile(source, {.extra = {"-DBLOCK=256", "-DFLAG"}}).has_kernel("k"));
}

TEST_CASE("toolkit headers are found without -I") {
  TempDir cache;
  const Source source = Source::string(R"(
#include <cuda_fp16.h>
#include <cuda/std/limits>
extern "C" __global__ void half_max(__half* out) {
  out[0] = __float2half(static_cast<float>(cuda::std::numeric_limits<short>::max()));
}
)",
                                       "toolkit.cu");
  const Module module = engine_in(cache).compile(source);
  CHECK(module.has_kernel("half_max"));
  REQUIRE(module.kernel("half_max").params().size() == 1);
}

TEST_CASE("with the disk cache off, compiles work and nothing is written") {
  TempDir cache;
  const Source source = Source::string(k_multiply_source, "multiply.cu");

  SUBCASE("EngineOptions::disk_cache = false") {
    Engine engine(EngineOptions{.cache_dir = cache.path(), .disk_cache = false});
    const Module module = engine.compile(source);
    CHECK(module.origin() == Origin::compiled);
    CHECK(module.cache_path().empty());
    CHECK(engine.compile(source).origin() == Origin::process_cache);
    Engine other(EngineOptions{.cache_dir = cache.path(), .disk_cache = false});
    CHECK(other.compile(source).origin() == Origin::compiled);
  }
  SUBCASE("JITCU_DISABLE_CACHE=1") {
    const ScopedEnv off("JITCU_DISABLE_CACHE", "1");
    const Module module = engine_in(cache).compile(source);
    CHECK(module.origin() == Origin::compiled);
    CHECK(module.cache_path().empty());
    CHECK(module.kernel("multiply").params().size() == 4);
    CHECK(engine_in(cache).compile(source).origin() == Origin::compiled);
  }
  const auto written = files_below(cache.path());
  INFO("first file written: " << (written.empty() ? std::string() : written.front().string()));
  CHECK(written.empty());
}

TEST_CASE("a damaged cubin on disk is compiled again, and the new entry is good") {
  TempDir cache;
  const Module first = engine_in(cache).compile(seed_source());
  const auto cubin = first.cache_path() / (first.arch() + ".cubin");
  const std::string good = read_file(cubin);
  REQUIRE(is_elf(good));
  std::string damaged = good;
  for (std::size_t i = damaged.size() / 2; i < damaged.size() / 2 + 64 && i < damaged.size(); ++i)
    damaged[i] = static_cast<char>(~damaged[i]);
  write_file(cubin, damaged);

  const Module second = engine_in(cache).compile(seed_source());
  CHECK(second.origin() == Origin::compiled);
  CHECK(second.cache_key() == first.cache_key());
  CHECK(second.kernel_names() == first.kernel_names());
  REQUIRE(std::filesystem::exists(cubin));
  const std::string rewritten = read_file(cubin);
  CHECK(rewritten != damaged);
  CHECK(is_elf(rewritten));

  const Module third = engine_in(cache).compile(seed_source());
  CHECK(third.origin() == Origin::disk_cache);
  CHECK(third.kernel("saxpy").params().size() == 4);
}

TEST_CASE("a damaged program.ptx never yields wrong PTX, and the entry is replaced") {
  TempDir cache;
  const Module first = engine_in(cache).compile(seed_source());
  const std::string good_ptx = first.ptx();
  write_file(first.cache_path() / "program.ptx", "// not the PTX that was compiled\n");

  const Module hit = engine_in(cache).compile(seed_source());  // the cubin is fine: a disk hit
  CHECK(hit.origin() == Origin::disk_cache);
  std::string ptx_or_error;
  try {
    ptx_or_error = hit.ptx();
    CHECK(ptx_or_error == good_ptx);
  } catch (const Error& error) {  // allowed: an Error naming the damage, never the wrong text
    ptx_or_error = error.what();
    CHECK(ptx_or_error.find("damaged") != std::string::npos);
  }
  const Module after = engine_in(cache).compile(seed_source());
  CHECK(after.origin() == Origin::compiled);  // the damaged entry was removed when its PTX was read
  CHECK(after.ptx() == good_ptx);
  CHECK(read_file(after.cache_path() / "program.ptx") == good_ptx);
}

TEST_CASE("a damaged log.txt or source.cu is found when read, and the entry is replaced") {
  for (const std::string blob : {"log.txt", "source.cu"}) {
    CAPTURE(blob);
    TempDir cache;
    const Module first = engine_in(cache).compile(seed_source());
    write_file(first.cache_path() / blob, "not what was written");
    const Module hit = engine_in(cache).compile(seed_source());
    CHECK(hit.origin() == Origin::disk_cache);  // the hit reads the record and the cubin only
    auto engine = engine_in(cache);
    CHECK_FALSE(engine.store().get(cache::Key::from_hex(first.cache_key()).value(), cache::BlobSelection::only(blob)));
    const Module after = engine_in(cache).compile(seed_source());
    CHECK(after.origin() == Origin::compiled);
    CHECK(after.log().find("ptxas info") != std::string::npos);
    CHECK(engine_in(cache).compile(seed_source()).log() == after.log());  // a hit gives the stored log
  }
}

TEST_CASE("a hit reads the record and the image; the kernels, name expressions and PTX come back whole") {
  TempDir cache;
  const Module first = engine_in(cache).compile(seed_source(), {.name_expressions = {"scale<float>"}});
  REQUIRE(std::filesystem::is_regular_file(first.cache_path() / "record"));
  const Module hit = engine_in(cache).compile(seed_source(), {.name_expressions = {"scale<float>"}});
  CHECK(hit.origin() == Origin::disk_cache);
  CHECK(hit.kernel_names() == first.kernel_names());
  CHECK(hit.kernel("scale<float>").symbol() == first.kernel("scale<float>").symbol());
  CHECK(hit.kernel("jitcu_kernels::affine").params()[0].ptx_type == ".b8[12]");
  CHECK(hit.ptx() == first.ptx());
  CHECK(hit.log() == first.log());  // NVRTC's log comes back on a hit too
}

TEST_CASE("an entry of an older jitcu (meta.json and index, no record) is a quiet miss and is replaced") {
  TempDir cache;
  const Module first = engine_in(cache).compile(seed_source());
  const auto dir = first.cache_path();
  std::filesystem::remove(dir / "record");
  write_file(dir / "index", "jitcu-index 2\n");
  const Module second = engine_in(cache).compile(seed_source());
  CHECK(second.origin() == Origin::compiled);
  CHECK(std::filesystem::is_regular_file(dir / "record"));
  CHECK_FALSE(std::filesystem::exists(dir / "index"));  // the old entry was replaced whole
  CHECK(engine_in(cache).compile(seed_source()).origin() == Origin::disk_cache);
}

TEST_CASE("a damaged record is compiled again, and the new entry has a good one") {
  TempDir cache;
  const Module first = engine_in(cache).compile(seed_source());
  const auto record = first.cache_path() / "record";
  std::string bytes = read_file(record);
  bytes[bytes.find("source_name") + 20] ^= 0x20;  // inside a field: only the checksum can tell
  write_file(record, bytes);

  const Module second = engine_in(cache).compile(seed_source());
  CHECK(second.origin() == Origin::compiled);
  CHECK(read_file(record) != bytes);
  CHECK(engine_in(cache).compile(seed_source()).origin() == Origin::disk_cache);
}
