#include "standard_headers.hpp"

#include <map>
#include <string>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

/// A header that is libcu++'s <cuda/std/`cuda_std`> with its names visible in std:: too.
std::string from_libcudacxx(std::string_view name, std::string_view cuda_std) {
  return fmt::format(
      "#pragma once\n"
      "// jitcu's <{0}> for NVRTC, which has no standard library: libcu++'s <cuda/std/{1}>.\n"
      "#include <cuda/std/{1}>\n"
      "namespace cuda {{ namespace std {{}} }}\n"
      "namespace std {{ using namespace ::cuda::std; }}\n",
      name, cuda_std);
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

// libcu++ has no public <cuda/std/algorithm> in this toolkit; std::min, max and clamp are the
// parts device code uses.
constexpr std::string_view k_algorithm =
    "#pragma once\n"
    "// jitcu's <algorithm> for NVRTC: libcu++'s std::min, std::max and std::clamp.\n"
    "#include <cuda/std/__algorithm/clamp.h>\n"
    "#include <cuda/std/__algorithm/max.h>\n"
    "#include <cuda/std/__algorithm/min.h>\n"
    "namespace cuda { namespace std {} }\n"
    "namespace std { using namespace ::cuda::std; }\n";

std::map<std::string, HeaderText, std::less<>> make_standard_headers() {
  std::map<std::string, HeaderText, std::less<>> headers;
  const auto add = [&](std::string name, std::string text) { headers[name] = HeaderText{name, std::move(text)}; };
  // Those libcu++ has under NVRTC, by the same name.
  for (const char* name : {"array", "atomic", "barrier", "bit", "bitset", "cassert", "chrono", "climits", "cmath",
                           "complex", "concepts", "cstddef", "cstdint", "cstdlib", "cstring", "ctime", "expected",
                           "functional", "initializer_list", "inplace_vector", "iterator", "latch", "limits", "mdspan",
                           "memory", "numbers", "numeric", "optional", "ranges", "ratio", "semaphore", "source_location",
                           "span", "tuple", "type_traits", "utility", "variant", "version"})
    add(name, from_libcudacxx(name, name));
  add("cfloat", std::string(k_float_limits));
  add("cstdio", std::string(k_stdio));
  add("algorithm", std::string(k_algorithm));
  // C's names for the same headers (libcu++ declares the C types globally, as C does).
  for (const auto& [c_name, cpp_name] : {std::pair{"assert.h", "cassert"}, {"limits.h", "climits"}, {"math.h", "cmath"},
                                         {"stddef.h", "cstddef"}, {"stdint.h", "cstdint"}, {"stdlib.h", "cstdlib"},
                                         {"string.h", "cstring"}, {"time.h", "ctime"}})
    add(c_name, from_libcudacxx(c_name, cpp_name));
  add("float.h", std::string(k_float_limits));
  add("stdio.h", std::string(k_stdio));
  return headers;
}

}  // namespace

const HeaderText* standard_header(std::string_view name) {
  static const auto headers = make_standard_headers();
  const auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

}  // namespace jitcu::detail
