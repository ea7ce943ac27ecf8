// __device__ and __constant__ variable templates reached through NVRTC name expressions
// ("&table<float>"): written from the host, read by kernels, read back, size-checked, and
// found again by a fresh engine from the disk cache. Each against a CPU reference.
#include "engine_support.hpp"
#include "variable_tables.hpp"

#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include <array>
#include <limits>
#include <random>

using namespace jitcu;
using namespace jitcu::test;

namespace {

const CompileOptions k_table_options{.name_expressions = k_table_name_expressions};

template <std::size_t N>
std::array<float, N> random_array(std::mt19937& rng) {
  std::array<float, N> values{};
  for (auto& v : values) v = std::uniform_real_distribution<float>(-4.0f, 4.0f)(rng);
  return values;
}

Module compile_tables(Engine& engine) {
  return engine.compile(Source::string(k_tables_source, "tables.cu"), k_table_options);
}

// Writes fresh tables, runs apply_table on fresh input and compares with the CPU.
void check_apply_table(const Module& module, std::mt19937& rng, const std::string& table_name,
                       const std::string& offsets_name) {
  const auto table = random_array<4>(rng);
  const auto offsets = random_array<4>(rng);
  module.global<std::array<float, 4>>(table_name).write(table);
  module.global<std::array<float, 4>>(offsets_name).write(offsets);
  const int n = 1 + static_cast<int>(rng() % 200'000);  // odd sizes: a partial last block
  const auto x = random_floats(rng, static_cast<std::size_t>(n));
  std::vector<float> y(x.size(), std::numeric_limits<float>::quiet_NaN());  // poison
  module.kernel("apply_table").launch(grid_for(static_cast<std::uint64_t>(n), 256), 256, in(x), out(y), n);
  const MulAdd mul_add(module, "apply_table");
  std::vector<float> want(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = mul_add(x[i], table[i % 4], offsets[i % 4]);
  CHECK_SAME_VALUES(y, want);
}

}  // namespace

TEST_CASE("a __device__ variable template found by its name expression is written, used by kernels and read back") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir dir("jitcu-gpu-tables");
  Engine engine = engine_in(dir);
  const Module module = compile_tables(engine);

  // Every spelling of one variable is the same variable.
  const auto by_name = module.global<std::array<float, 4>>("table<float>");
  CHECK(module.global<std::array<float, 4>>("&table<float>").ptr() == by_name.ptr());
  CHECK(module.global<std::array<float, 4>>("table< float >").ptr() == by_name.ptr());
  CHECK(module.global<std::array<float, 4>>("offsets<float>").ptr() ==
        module.global<std::array<float, 4>>("&offsets<float>").ptr());
  CHECK(module.global_address("table<double>").second == 4 * sizeof(double));

  check_apply_table(module, rng, "table<float>", "&offsets<float>");
  const auto written = random_array<4>(rng);
  by_name.write(written);
  CHECK(by_name.read() == written);

  std::array<double, 4> double_table{};
  for (auto& v : double_table) v = std::uniform_real_distribution<double>(-4.0, 4.0)(rng);
  module.global<std::array<double, 4>>("&table<double>").write(double_table);
  const int n = 1 + static_cast<int>(rng() % 100'000);
  std::vector<double> x(static_cast<std::size_t>(n)), y(x.size(), std::numeric_limits<double>::quiet_NaN());
  for (auto& v : x) v = std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
  module.kernel("scale_by_table").launch(grid_for(static_cast<std::uint64_t>(n), 256), 256, in(x), out(y), n);
  std::vector<double> want(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = x[i] * double_table[i % 4];
  CHECK_SAME_VALUES(y, want);
  CHECK(by_name.read() == written);  // table<double> is another variable than table<float>

  // In a namespace, with a non-type argument; the kernel's own write is what the host reads.
  const auto weights = random_array<3>(rng);
  auto device_weights = module.global<std::array<float, 3>>("lut::weights<3>");
  device_weights.write(weights);
  std::vector<float> copy(3, std::numeric_limits<float>::quiet_NaN());
  module.kernel("take_and_double_weights").launch(1, 32, out(copy));
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(copy[i] == weights[i]);
    CHECK(device_weights.read()[i] == 2.0f * weights[i]);
  }
}

TEST_CASE("a variable template asked for with the wrong type or without a name expression is a clear error") {
  TempDir dir("jitcu-gpu-tables-bad");
  Engine engine = engine_in(dir);
  const Module module = compile_tables(engine);

  const auto too_small = message_of<ArgumentError>([&] { (void)module.global<float>("table<float>"); });
  CHECK(too_small.find("'table<float>'") != std::string::npos);
  CHECK(too_small.find("16 bytes") != std::string::npos);
  CHECK(too_small.find("4 bytes") != std::string::npos);
  CHECK(too_small.find("std::array") != std::string::npos);

  const auto wrong_element = message_of<ArgumentError>([&] { (void)module.global<std::array<float, 4>>("&table<double>"); });
  CHECK(wrong_element.find("'&table<double>'") != std::string::npos);
  CHECK(wrong_element.find("32 bytes") != std::string::npos);
  CHECK(wrong_element.find("16 bytes") != std::string::npos);

  const auto not_instantiated = message_of<Error>([&] { (void)module.global<std::array<int, 4>>("table<int>"); });
  CHECK(not_instantiated.find("'table<int>'") != std::string::npos);
  CHECK(not_instantiated.find("\"&table<int>\"") != std::string::npos);
  CHECK(not_instantiated.find("name_expressions") != std::string::npos);
}

TEST_CASE("a fresh engine finds a variable template from the disk cache by the stored name expression") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir dir("jitcu-gpu-tables-disk");
  {
    Engine first = engine_in(dir);
    CHECK(compile_tables(first).origin() == Origin::compiled);
  }
  Engine second = engine_in(dir);  // nothing in memory: only the entry on disk
  const Module module = compile_tables(second);
  REQUIRE(module.origin() == Origin::disk_cache);
  check_apply_table(module, rng, "&table<float>", "offsets<float>");
  CHECK(module.global_address("lut::weights<3>").second == 3 * sizeof(float));
}
