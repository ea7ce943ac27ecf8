#include "standard_headers.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <string>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

/// A header that is libcu++'s `includes` (under cuda/std/, separated by spaces) with their
/// names visible in std:: too.
std::string from_libcudacxx(std::string_view name, std::string_view includes) {
  std::string text = fmt::format(
      "#pragma once\n// jitcu's <{}> for NVRTC, which has no standard library: libcu++'s <cuda/std/{}>.\n", name,
      includes);
  while (!includes.empty()) {
    const std::size_t space = includes.find(' ');
    text += fmt::format("#include <cuda/std/{}>\n", includes.substr(0, space));
    includes.remove_prefix(space == std::string_view::npos ? includes.size() : space + 1);
  }
  return text + "namespace cuda { namespace std {} }\nnamespace std { using namespace ::cuda::std; }\n";
}

// libcu++'s <cuda/std/cfloat> is empty under NVRTC. IEEE-754 binary32 and binary64, as C's
// <float.h> gives them (tests/unit/standard_headers_test.cpp checks them against libcu++).
constexpr std::string_view k_float_limits =
    "#pragma once\n"
    "// jitcu's <cfloat> for NVRTC, which has no standard library: IEEE-754 float and double.\n"
    "#define FLT_RADIX 2\n"
    "#define FLT_MANT_DIG 24\n"
    "#define DBL_MANT_DIG 53\n"
    "#define FLT_DIG 6\n"
    "#define DBL_DIG 15\n"
    "#define FLT_DECIMAL_DIG 9\n"
    "#define DBL_DECIMAL_DIG 17\n"
    "#define DECIMAL_DIG 17\n"
    "#define FLT_MIN_EXP (-125)\n"
    "#define DBL_MIN_EXP (-1021)\n"
    "#define FLT_MIN_10_EXP (-37)\n"
    "#define DBL_MIN_10_EXP (-307)\n"
    "#define FLT_MAX_EXP 128\n"
    "#define DBL_MAX_EXP 1024\n"
    "#define FLT_MAX_10_EXP 38\n"
    "#define DBL_MAX_10_EXP 308\n"
    "#define FLT_MAX 3.40282346638528859812e+38F\n"
    "#define DBL_MAX 1.79769313486231570815e+308\n"
    "#define FLT_EPSILON 1.19209289550781250000e-7F\n"
    "#define DBL_EPSILON 2.22044604925031308085e-16\n"
    "#define FLT_MIN 1.17549435082228750797e-38F\n"
    "#define DBL_MIN 2.22507385850720138309e-308\n"
    "#define FLT_TRUE_MIN 1.40129846432481707092e-45F\n"
    "#define DBL_TRUE_MIN 4.94065645841246544177e-324\n"
    "#define FLT_EVAL_METHOD 0\n";

// printf and assert are built into NVRTC's device code: <cstdio> has nothing to add.
constexpr std::string_view k_stdio =
    "#pragma once\n"
    "// jitcu's <cstdio> for NVRTC: printf is built into device code.\n";

/// A stand-in: the libcu++ headers it wraps (`from_libcudacxx`), or its text written out here.
struct StandardHeader {
  std::string_view name;
  std::string_view wraps;
  std::string_view text;
};

// Every stand-in. C's names share the C++ header's contents (libcu++ declares the C types
// globally, as C does). libcu++ has no public <cuda/std/algorithm> in this toolkit; std::min,
// max and clamp are the parts device code uses.
constexpr StandardHeader k_standard_headers[] = {
    {"algorithm", "__algorithm/clamp.h __algorithm/max.h __algorithm/min.h", {}},
    {"array", "array", {}},         {"atomic", "atomic", {}},
    {"barrier", "barrier", {}},     {"bit", "bit", {}},
    {"bitset", "bitset", {}},       {"cassert", "cassert", {}},
    {"cfloat", {}, k_float_limits}, {"chrono", "chrono", {}},
    {"climits", "climits", {}},     {"cmath", "cmath", {}},
    {"complex", "complex", {}},     {"concepts", "concepts", {}},
    {"cstddef", "cstddef", {}},     {"cstdint", "cstdint", {}},
    {"cstdio", {}, k_stdio},        {"cstdlib", "cstdlib", {}},
    {"cstring", "cstring", {}},     {"ctime", "ctime", {}},
    {"expected", "expected", {}},   {"functional", "functional", {}},
    {"initializer_list", "initializer_list", {}},
    {"inplace_vector", "inplace_vector", {}},
    {"iterator", "iterator", {}},   {"latch", "latch", {}},
    {"limits", "limits", {}},       {"mdspan", "mdspan", {}},
    {"memory", "memory", {}},       {"numbers", "numbers", {}},
    {"numeric", "numeric", {}},     {"optional", "optional", {}},
    {"ranges", "ranges", {}},       {"ratio", "ratio", {}},
    {"semaphore", "semaphore", {}}, {"source_location", "source_location", {}},
    {"span", "span", {}},           {"tuple", "tuple", {}},
    {"type_traits", "type_traits", {}},
    {"utility", "utility", {}},     {"variant", "variant", {}},
    {"version", "version", {}},
    {"assert.h", "cassert", {}},    {"float.h", {}, k_float_limits},
    {"limits.h", "climits", {}},    {"math.h", "cmath", {}},
    {"stddef.h", "cstddef", {}},    {"stdint.h", "cstdint", {}},
    {"stdio.h", {}, k_stdio},       {"stdlib.h", "cstdlib", {}},
    {"string.h", "cstring", {}},    {"time.h", "ctime", {}}};

std::map<std::string, HeaderText, std::less<>> make_standard_headers() {
  std::map<std::string, HeaderText, std::less<>> headers;
  for (const StandardHeader& header : k_standard_headers) {
    const std::string name(header.name);
    headers[name] = HeaderText{name, header.wraps.empty() ? std::string(header.text) : from_libcudacxx(name, header.wraps)};
  }
  return headers;
}

}  // namespace

const HeaderText* standard_header(std::string_view name) {
  // Most names asked about are the toolkit's (cuda_fp16.h): the texts are made only once a
  // standard one comes.
  const auto named = [&](const StandardHeader& header) { return header.name == name; };
  if (std::none_of(std::begin(k_standard_headers), std::end(k_standard_headers), named)) return nullptr;
  static const auto headers = make_standard_headers();
  return &headers.find(name)->second;
}

}  // namespace jitcu::detail
