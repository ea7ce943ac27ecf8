// Overloaded kernels: a name that matches several is AmbiguousName listing full signatures;
// a signature (any spacing) or a symbol picks one; Module::kernels() tells them apart; a
// name that matches nothing shows at most 20 names, the closest first.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

struct ScalarKind {
  const char* type;
  ValueKind kind;
  std::uint32_t bytes;
};

constexpr std::array<ScalarKind, 8> k_kinds = {{{"float", ValueKind::floating, 4},
                                                 {"double", ValueKind::floating, 8},
                                                 {"int", ValueKind::integer, 4},
                                                 {"unsigned int", ValueKind::integer, 4},
                                                 {"long long", ValueKind::integer, 8},
                                                 {"short", ValueKind::integer, 2},
                                                 {"char", ValueKind::integer, 1},
                                                 {"unsigned char", ValueKind::integer, 1}}};

/// Random text with random spaces around punctuation: what a user might type.
std::string respaced(std::mt19937& rng, const std::string& signature) {
  std::string out;
  for (char c : signature) {
    const bool punctuation = c == '(' || c == ')' || c == ',' || c == '*';
    if (punctuation && rng() % 2) out += ' ';
    out += c;
    if (punctuation && rng() % 2) out += "  ";
  }
  return out;
}

}  // namespace

TEST_CASE("overloads: the bare name is AmbiguousName, each signature and symbol finds its own") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  auto kinds = std::vector<ScalarKind>(k_kinds.begin(), k_kinds.end());
  std::shuffle(kinds.begin(), kinds.end(), rng);
  kinds.resize(2 + rng() % 5);  // 2..6 overloads, in a random order
  std::string text;
  for (const auto& k : kinds)
    text += fmt::format("__global__ void fill({0}* out, {0} value, int n) {{ int i = threadIdx.x; if (i < n) out[i] = value; }}\n",
                        k.type);
  INFO(text);
  TempDir cache;
  const Module module = engine_in(cache).compile(Source::string(text, "fills.cu"));

  std::vector<std::string> signatures;
  for (const auto& k : kinds) signatures.push_back(fmt::format("fill({}*, {}, int)", k.type, k.type));
  std::sort(signatures.begin(), signatures.end());
  try {
    (void)module.kernel("fill");
    FAIL("'fill' resolved although it has " << kinds.size() << " overloads");
  } catch (const AmbiguousName& error) {
    const std::string what = error.what();
    INFO(what);
    CHECK(error.candidates() == signatures);
    for (const auto& signature : signatures) CHECK(what.find(signature) != std::string::npos);
    CHECK(what.find("fills.cu") != std::string::npos);
    CHECK(error.name() == "fill");
  }
  CHECK_THROWS_WITH_AS(module.kernel(" fill "), doctest::Contains("is ambiguous"), KernelNotFound);
  CHECK_FALSE(module.has_kernel("fill"));

  const auto listed = module.kernels();
  REQUIRE(listed.size() == kinds.size());
  std::vector<std::string> symbols;
  for (const auto& k : kinds) {
    const std::string signature = fmt::format("fill({}*, {}, int)", k.type, k.type);
    INFO("overload " << signature);
    const Kernel kernel = module.kernel(signature);
    CHECK(kernel.signature() == signature);
    CHECK(kernel.name() == "fill");
    REQUIRE(kernel.params().size() == 3);
    CHECK(kernel.params()[1].kind == k.kind);
    CHECK(kernel.params()[1].size_bytes == k.bytes);
    CHECK(module.kernel(respaced(rng, signature)).symbol() == kernel.symbol());
    CHECK(module.kernel("void " + signature).symbol() == kernel.symbol());  // with its return type
    CHECK(module.kernel(kernel.symbol()).signature() == signature);
    CHECK(module.has_kernel(signature));
    symbols.push_back(kernel.symbol());
    const auto info = std::find_if(listed.begin(), listed.end(), [&](const KernelInfo& i) { return i.signature == signature; });
    REQUIRE(info != listed.end());
    CHECK(info->name == "fill");
    CHECK(info->symbol == kernel.symbol());
    REQUIRE(info->parameters.size() == 3);
    CHECK(info->parameters[1].size_bytes == k.bytes);
  }
  std::sort(symbols.begin(), symbols.end());
  CHECK(std::adjacent_find(symbols.begin(), symbols.end()) == symbols.end());  // one kernel each
  CHECK(std::is_sorted(listed.begin(), listed.end(),
                       [](const KernelInfo& a, const KernelInfo& b) { return a.signature < b.signature; }));
  CHECK_THROWS_WITH_AS(module.kernel("fill(bool*, bool, int)"), doctest::Contains("defines no kernel"), KernelNotFound);
}

TEST_CASE("a signature may spell const before the type; the same base name in two namespaces is ambiguous") {
  TempDir cache;
  const Module module = engine_in(cache).compile(Source::string(R"(
namespace a { __global__ void copy(const float* in, float* out) { out[0] = in[0]; } }
namespace b { __global__ void copy(const float* in, float* out) { out[0] = 2 * in[0]; } }
extern "C" __global__ void plain(int* p) { *p = 1; }
)", "namespaces.cu"));
  const Kernel first = module.kernel("a::copy(const float*, float*)");
  CHECK(first.signature() == "a::copy(float const*, float*)");
  CHECK(module.kernel("a::copy(float const *, float *)").symbol() == first.symbol());
  CHECK(module.kernel("a::copy").symbol() == first.symbol());
  CHECK(module.kernel("b::copy").symbol() != first.symbol());
  CHECK(module.kernel("plain").signature() == "plain");  // extern "C": no C++ types kept
  try {
    (void)module.kernel("copy");
    FAIL("'copy' resolved although a::copy and b::copy exist");
  } catch (const AmbiguousName& error) {
    CHECK(error.candidates() == std::vector<std::string>{"a::copy(float const*, float*)", "b::copy(float const*, float*)"});
    CHECK(error.available() == std::vector<std::string>{"a::copy", "b::copy", "plain"});
  }
}

TEST_CASE("not found in a module of hundreds of kernels: the closest 20 first, then how many more") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const std::size_t count = 150 + rng() % 200;
  std::vector<std::string> names;
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    std::string name = "k";
    for (int c = 0; c < 12; ++c) name += static_cast<char>('a' + rng() % 26);
    names.push_back(name);
    text += "extern \"C\" __global__ void " + name + "(int* p) { *p = " + std::to_string(i) + "; }\n";
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const std::string& target = names[rng() % names.size()];
  std::string typo = target;
  typo[1 + rng() % (typo.size() - 1)] = '_';  // one character wrong
  INFO("target=" << target << " typo=" << typo);
  TempDir cache;
  const Module module = engine_in(cache).compile(Source::string(text, "many.cu"));
  try {
    (void)module.kernel(typo);
    FAIL("a typo resolved");
  } catch (const KernelNotFound& error) {
    const std::string what = error.what();
    INFO(what);
    CHECK(what.find("did you mean '" + target + "'?") != std::string::npos);
    std::size_t listed = 0;
    for (const auto& name : names) listed += what.find(name) != std::string::npos;
    CHECK(listed == 20);
    CHECK(what.find(fmt::format("and {} more", names.size() - 20)) != std::string::npos);
    CHECK(what.find(fmt::format("of its {} kernels", names.size())) != std::string::npos);
    CHECK(what.size() < 800);
    CHECK(error.available() == names);  // the field keeps them all
  }
  // Nothing close: no suggestion, still bounded.
  const std::string what = message_of<KernelNotFound>([&] { (void)module.kernel("zzzzzzzzzzzzzzzzzzzzzzzzzz"); });
  CHECK(what.find("did you mean") == std::string::npos);
  CHECK(what.find("more") != std::string::npos);
}
