// Standard headers in kernels (<cstdint>, <type_traits>, <cfloat>...), which NVRTC does not ship:
// jitcu's stand-ins built on libcu++, given only where no user header of that name exists, keyed
// by their text. Real NVRTC compiles to PTX; no GPU needed.
#include "engine_support.hpp"

#include "standard_headers.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// What jitify-style kernels use, checked at compile time against libcu++'s numeric_limits.
const char* k_uses_the_standard_library = R"(
#include <algorithm>
#include <array>
#include <cassert>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <float.h>
#include <limits>
#include <math.h>
#include <stdint.h>
#include <tuple>
#include <type_traits>
#include <utility>

#if FLT_MANT_DIG != 24 || DBL_MANT_DIG != 53 || FLT_RADIX != 2 || INT_MAX != 2147483647
#error "<cfloat> or <climits> macros are wrong in #if"
#endif

template <class T>
__host__ __device__ constexpr bool float_macros_agree(T max, T min, T epsilon, T true_min, int mant_dig, int dig, int decimal_dig,
                                  int min_exp, int max_exp, int min_10_exp, int max_10_exp) {
  using limits = cuda::std::numeric_limits<T>;
  return max == limits::max() && min == limits::min() && epsilon == limits::epsilon() &&
         true_min == limits::denorm_min() && mant_dig == limits::digits && dig == limits::digits10 &&
         decimal_dig == limits::max_digits10 && min_exp == limits::min_exponent && max_exp == limits::max_exponent &&
         min_10_exp == limits::min_exponent10 && max_10_exp == limits::max_exponent10;
}
static_assert(float_macros_agree<float>(FLT_MAX, FLT_MIN, FLT_EPSILON, FLT_TRUE_MIN, FLT_MANT_DIG, FLT_DIG,
                                        FLT_DECIMAL_DIG, FLT_MIN_EXP, FLT_MAX_EXP, FLT_MIN_10_EXP, FLT_MAX_10_EXP),
              "float's <cfloat> macros");
static_assert(float_macros_agree<double>(DBL_MAX, DBL_MIN, DBL_EPSILON, DBL_TRUE_MIN, DBL_MANT_DIG, DBL_DIG,
                                         DBL_DECIMAL_DIG, DBL_MIN_EXP, DBL_MAX_EXP, DBL_MIN_10_EXP, DBL_MAX_10_EXP),
              "double's <cfloat> macros");
static_assert(std::is_same<std::int32_t, int32_t>::value && std::is_same<std::uint64_t, uint64_t>::value, "ints");
static_assert(std::is_same_v<std::size_t, size_t> && sizeof(std::ptrdiff_t) == 8, "sizes");
static_assert(std::numeric_limits<int>::max() == INT_MAX && std::numeric_limits<std::int64_t>::min() < 0, "limits");
static_assert(std::min(3, 7) == 3 && std::max(3, 7) == 7 && std::clamp(9, 0, 5) == 5, "<algorithm>");
static_assert(std::tuple_size<std::tuple<int, float>>::value == 2 && std::array<int, 3>{}.size() == 3, "containers");

template <typename T>
__global__ void scaled(T* out, std::int32_t* tag, std::int32_t n) {
  const std::int32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  auto pair = std::make_pair(std::sqrt(T(2)), std::numeric_limits<T>::epsilon());
  assert(pair.second > 0);
  if (i == 0) printf("%d\n", n);
  if (i == 0) tag[0] = VALUE;
  out[i] = std::max(pair.first, pair.second) * T(i);
}
)";

/// The names of the standard headers jitcu gives a compile, from its key record.
std::vector<std::string> standard_names(Engine& engine, const Source& source, const CompileOptions& options = {}) {
  std::vector<std::string> names;
  for (const auto& value : key_field_values(engine, source, options, "standard_header"))
    names.push_back(value.substr(0, value.find('\t')));
  return names;
}

const CompileOptions k_sm90{.arch = "sm_90"};

}  // namespace

TEST_CASE("a kernel using <cstdint>, <type_traits>, <limits>, <cfloat>, <algorithm> and more compiles; the macros agree with libcu++") {
  std::mt19937 rng(test_seed());
  TempDir cache;
  auto engine = engine_in(cache);
  const int value = fresh_value(rng);
  const Source source = Source::string(k_uses_the_standard_library, "standard.cu");
  CompileOptions options = k_sm90;
  options.defines = {{"VALUE", std::to_string(value)}};
  options.name_expressions = {"scaled<float>", "scaled<double>"};
  const Module module = engine.compile(source, options);
  CHECK(module.origin() == Origin::compiled);
  CHECK(module.has_kernel("scaled<float>"));
  CHECK(module.has_kernel("scaled<double>"));
  CHECK(module.ptx().find(std::to_string(value)) != std::string::npos);
  const auto names = standard_names(engine, source, options);
  CHECK(names == std::vector<std::string>{"algorithm", "array", "cassert", "cfloat", "climits", "cmath", "cstddef",
                                          "cstdint", "cstdio", "float.h", "limits", "math.h", "stdint.h", "tuple",
                                          "type_traits", "utility"});
  // Keyed by each one's text, so a jitcu that changes one compiles anew.
  const auto keyed = key_field_values(engine, source, options, "standard_header");
  REQUIRE(keyed.size() == names.size());
  CHECK(keyed.front() == "algorithm\t" + cache::sha256_hex(detail::standard_header("algorithm")->text));
}

TEST_CASE("a source that includes no standard header is keyed as before: no standard_header field") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source plain = Source::string("#include <cuda_fp16.h>\nextern \"C\" __global__ void k(float* x) { x[0] = 1; }\n", "plain.cu");
  CHECK(standard_names(engine, plain).empty());
  CHECK(engine.compile(plain, k_sm90).origin() == Origin::compiled);
}

TEST_CASE("a user's header of a standard name wins over jitcu's: on disk, in memory, added later") {
  std::mt19937 rng(test_seed());
  TempDir tmp;
  Engine engine(EngineOptions{.cache_dir = tmp / "cache"});
  const int users = fresh_value(rng);
  const std::string kernel = "#include <cstdint>\n"
                             "#ifndef USERS_VALUE\n#define USERS_VALUE 7\n#endif\n"
                             "extern \"C\" __global__ void k(int32_t* out) { out[0] = USERS_VALUE; }\n";
  const std::string users_cstdint = "#pragma once\ntypedef int int32_t;\n#define USERS_VALUE " + std::to_string(users) + "\n";

  SUBCASE("in an include folder") {
    write_file(tmp / "include/cstdint", users_cstdint);
    write_file(tmp / "src/k.cu", kernel);
    const Source source = Source::file(tmp / "src/k.cu");
    CompileOptions options = k_sm90;
    options.include_dirs = {(tmp / "include").string()};
    CHECK(standard_names(engine, source, options).empty());
    CHECK(engine.compile(source, options).ptx().find(std::to_string(users)) != std::string::npos);
  }
  SUBCASE("in memory") {
    const Source source = Source::string(kernel, "k.cu");
    CompileOptions options = k_sm90;
    options.headers = {{"cstdint", users_cstdint}};
    CHECK(standard_names(engine, source, options).empty());
    CHECK(engine.compile(source, options).ptx().find(std::to_string(users)) != std::string::npos);
  }
  SUBCASE("written beside the source after a compile: the next compile in this process uses it, then jitcu's again") {
    write_file(tmp / "src/k.cu", kernel);
    const Source source = Source::file(tmp / "src/k.cu");
    const Module first = engine.compile(source, k_sm90);
    CHECK(first.ptx().find(std::to_string(users)) == std::string::npos);
    CHECK(standard_names(engine, source, k_sm90) == std::vector<std::string>{"cstdint"});

    write_file(tmp / "src/cstdint", users_cstdint);
    const Module second = engine.compile(source, k_sm90);
    CHECK(second.origin() == Origin::compiled);
    CHECK(second.ptx().find(std::to_string(users)) != std::string::npos);

    std::filesystem::remove(tmp / "src/cstdint");
    const Module third = engine.compile(source, k_sm90);
    CHECK(third.origin() != Origin::compiled);  // jitcu's again: the first compile's entry
    CHECK(third.ptx() == first.ptx());
  }
}

TEST_CASE("where one include of a standard name finds a user's file, jitcu gives none of that name") {
  TempDir tmp;
  Engine engine(EngineOptions{.cache_dir = tmp / "cache"});
  // "lib/a.cuh" includes "limits" beside it; the source's <limits> finds no file: NVRTC would
  // give an in-memory <limits> to both, so jitcu gives none and NVRTC reports the source's.
  write_file(tmp / "src/lib/limits", "#pragma once\n#define LIB_LIMITS 1\n");
  write_file(tmp / "src/lib/a.cuh", "#pragma once\n#include \"limits\"\n");
  write_file(tmp / "src/k.cu", "#include \"lib/a.cuh\"\n#include <cstdint>\n#include <limits>\n"
                                "extern \"C\" __global__ void k(int32_t* out) { out[0] = LIB_LIMITS; }\n");
  const Source source = Source::file(tmp / "src/k.cu");
  CHECK(standard_names(engine, source, k_sm90) == std::vector<std::string>{"cstdint"});
}

TEST_CASE("a host-only standard header is a CompileError that says so") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source source = Source::string("#include <cstdint>\n#include <vector>\n__global__ void k() {}\n", "host.cu");
  CHECK_THROWS_WITH_AS(engine.compile(source, k_sm90),
                       doctest::Contains("host.cu:2:18: cannot open source file \"vector\"; <vector> is host code"),
                       CompileError);
  // A header that is neither standard nor anywhere keeps NVRTC's message alone.
  CHECK_THROWS_WITH_AS(engine.compile(Source::string("#include <nowhere.h>\n", "nowhere.cu"), k_sm90),
                       doctest::Contains("cannot open source file \"nowhere.h\"\n"), CompileError);
}

TEST_CASE("standard_header: every stand-in is named as an #include spells it; other names have none") {
  for (const char* name : {"cstdint", "type_traits", "cfloat", "float.h", "algorithm", "cstdio", "stdint.h", "mdspan"}) {
    CAPTURE(name);
    const HeaderText* header = detail::standard_header(name);
    REQUIRE(header);
    CHECK(header->name == name);
    CHECK(header->text.starts_with("#pragma once\n"));
  }
  for (const char* name : {"vector", "string", "cuda/std/cstdint", "my_header.h", "", "cstdint "})
    CHECK(detail::standard_header(name) == nullptr);
}

TEST_CASE("compile_async gives a worker process the standard headers too") {
  std::mt19937 rng(test_seed());
  TempDir cache;
  Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 1});
  const int value = fresh_value(rng);
  const Source source = Source::string("#include <cstdint>\n#include <limits>\n"
                                       "extern \"C\" __global__ void k(std::int64_t* out) {\n"
                                       "  out[0] = std::numeric_limits<std::int32_t>::max() - " + std::to_string(value) + ";\n}\n",
                                       "async.cu");
  const Module module = engine.compile_async(source, k_sm90).get();
  CHECK(module.origin() == Origin::compiled);
  CHECK(module.ptx().find(std::to_string(2147483647 - value)) != std::string::npos);
}

TEST_CASE("Engine::link gives each source the standard headers it includes") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Source caller = Source::string("#include <cstdint>\n__device__ std::int32_t largest();\n"
                                       "extern \"C\" __global__ void k(std::int32_t* out) { out[0] = largest(); }\n",
                                       "caller.cu");
  const Source callee = Source::string("#include <limits>\n"
                                       "__device__ int largest() { return std::numeric_limits<int>::max(); }\n",
                                       "callee.cu");
  const Module linked = engine.link({caller, callee}, k_sm90, {});
  CHECK(linked.origin() == Origin::compiled);
  CHECK(linked.has_kernel("k"));
  CHECK(engine.link({caller, callee}, k_sm90, {}).origin() != Origin::compiled);
}

TEST_CASE("compile() in one process reuses NVRTC's precompiled header of jitcu's standard headers") {
  std::mt19937 rng(test_seed());
  TempDir cache;
  Engine engine(EngineOptions{.cache_dir = cache.path(), .precompiled_headers = true, .worker_processes = 0});
  const int value = fresh_value(rng);
  // Instantiations one at a time, as jitify-style code asks for them: the same headers each time.
  const Source source = Source::string("#include <type_traits>\n#include <limits>\n"
                                       "template <typename T, int N> __global__ void k(T* x, int* tag) {\n"
                                       "  static_assert(std::is_arithmetic<T>::value, \"\");\n"
                                       "  x[N] = std::numeric_limits<T>::max(); tag[0] = VALUE;\n}\n",
                                       "instances.cu");
  CompileOptions options = k_sm90;
  options.defines = {{"VALUE", std::to_string(value)}};
  options.name_expressions = {"k<float, 1>"};
  const Module first = engine.compile(source, options);
  options.name_expressions = {"k<double, 2>"};
  const Module second = engine.compile(source, options);
  INFO("second log:\n" << second.log());
  CHECK(second.log().find("precompiled header file") != std::string::npos);
  CHECK(second.has_kernel("k<double, 2>"));
  CHECK(second.ptx().find(std::to_string(value)) != std::string::npos);

  // A header of the user's, in memory, turns NVRTC's in-process PCH off (it would miss an edit).
  options.headers = {{"mine.h", "#pragma once\n"}};
  options.name_expressions = {"k<int, 3>"};
  CHECK(engine.compile(source, options).log().find("precompiled header") == std::string::npos);
}
