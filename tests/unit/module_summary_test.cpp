// The summary a cache hit decodes instead of meta.json: exact round trips, refusals of bad text.
#include "module_summary.hpp"

#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace jitcu;
using namespace jitcu::detail;

namespace {

std::string random_text(std::mt19937_64& rng, std::size_t max_size) {
  std::string text(rng() % (max_size + 1), '\0');
  for (char& c : text) c = static_cast<char>(rng() & 0xff);  // newlines, colons, digits, NULs
  return text;
}

ModuleSummary random_summary(std::mt19937_64& rng) {
  ModuleSummary summary;
  summary.source_name = random_text(rng, 40);
  summary.arch = "sm_" + std::to_string(50 + rng() % 80);
  summary.image = rng() % 2 ? "program.ptx" : summary.arch + ".cubin";
  summary.compile_ms = static_cast<double>(rng() % 1'000'000) / 997.0;
  for (std::size_t n = rng() % 4; n > 0; --n) summary.name_expressions[random_text(rng, 30)] = random_text(rng, 30);
  for (std::size_t k = rng() % 5; k > 0; --k) {
    KernelRecord kernel{random_text(rng, 60), random_text(rng, 60), {}};
    for (std::size_t p = rng() % 6; p > 0; --p)
      kernel.params.push_back({static_cast<std::uint32_t>(rng()), static_cast<ValueKind>(rng() % 4), random_text(rng, 10)});
    summary.kernels.push_back(std::move(kernel));
  }
  return summary;
}

void check_same(const ModuleSummary& a, const ModuleSummary& b) {
  CHECK(a.source_name == b.source_name);
  CHECK(a.arch == b.arch);
  CHECK(a.image == b.image);
  CHECK(a.compile_ms == b.compile_ms);  // shortest round-trip text: exact
  CHECK(a.name_expressions == b.name_expressions);
  REQUIRE(a.kernels.size() == b.kernels.size());
  for (std::size_t k = 0; k < a.kernels.size(); ++k) {
    CHECK(a.kernels[k].symbol == b.kernels[k].symbol);
    CHECK(a.kernels[k].name == b.kernels[k].name);
    REQUIRE(a.kernels[k].params.size() == b.kernels[k].params.size());
    for (std::size_t p = 0; p < a.kernels[k].params.size(); ++p) {
      CHECK(a.kernels[k].params[p].size_bytes == b.kernels[k].params[p].size_bytes);
      CHECK(a.kernels[k].params[p].kind == b.kernels[k].params[p].kind);
      CHECK(a.kernels[k].params[p].ptx_type == b.kernels[k].params[p].ptx_type);
    }
  }
}

}  // namespace

TEST_CASE("a summary decodes to exactly what was encoded, whatever bytes the names hold") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 200; ++round) {
    const ModuleSummary summary = random_summary(rng);
    const auto decoded = decode_summary(encode_summary(summary));
    REQUIRE(decoded);
    check_same(summary, *decoded);
  }
}

TEST_CASE("a summary that is cut short, padded, altered or of another version is refused") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  ModuleSummary summary = random_summary(rng);
  summary.kernels.push_back({"dot_product", "dot_product", {{8, ValueKind::integer, ".u64"}}});
  const std::string text = encode_summary(summary);
  for (std::size_t cut = 0; cut < text.size(); ++cut) {
    CAPTURE(cut);
    CHECK_FALSE(decode_summary(std::string_view(text).substr(0, cut)).has_value());
  }
  CHECK_FALSE(decode_summary(text + "1:x\n").has_value());
  CHECK_FALSE(decode_summary("jitcu-module 2" + text.substr(text.find('\n'))).has_value());
  CHECK_FALSE(decode_summary("").has_value());
  std::string bad_kind = text;
  const std::size_t at = bad_kind.rfind("1:0\n4:.u64");  // the last parameter's kind
  REQUIRE(at != std::string::npos);
  bad_kind.replace(at, 3, "1:9");
  CHECK_FALSE(decode_summary(bad_kind).has_value());
}

TEST_CASE("a compile time of any size and precision decodes to exactly the double that was encoded") {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> exponent(-9.0, 7.0);
  std::vector<double> times = {0.0, 1.0, 40.5, 1e-5, 123456789.0, 0.1, 1e16};
  for (int i = 0; i < 20000; ++i) {
    const double value = std::pow(10.0, exponent(rng));
    times.push_back(value);
    times.push_back(std::round(value * 1000.0) / 1000.0);  // the short decimals real timings print as
  }
  ModuleSummary summary;
  summary.arch = "sm_90";
  summary.image = "sm_90.cubin";
  for (const double ms : times) {
    summary.compile_ms = ms;
    const auto decoded = decode_summary(encode_summary(summary));
    REQUIRE(decoded.has_value());
    INFO("compile_ms " << ms);
    CHECK(decoded->compile_ms == ms);
  }
}
