// Module::load_binary and Module::load_file: a cubin and a fatbin made elsewhere, taken as CuPy's
// RawModule(path=...) and PyCUDA's module_from_file take them; every launch against the CPU,
// its output poisoned first.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>

using namespace jitcu;
using namespace jitcu::test;

namespace {

constexpr float k_nan = std::numeric_limits<float>::quiet_NaN();

/// The seed kernels with scale<float> instantiated in the source, as nvcc needs it.
std::string seed_with_instance() {
  return read_file(kernel_path("vector_ops.cu")) +
         "\ntemplate __global__ void scale<float>(const float*, float*, float, unsigned long long);\n";
}

/// What a binary of the seed kernels must hold and do, whoever made it.
void check_seed_binary(const Module& module, std::mt19937& rng) {
  CHECK(module.kernel_names() == std::vector<std::string>{"dot_product", "jitcu_kernels::affine", "saxpy", "scale<float>"});
  const int n = 1 + static_cast<int>(rng() % 50'000);
  CAPTURE(n);
  const auto a = random_floats(rng, static_cast<std::size_t>(n)), b = random_floats(rng, static_cast<std::size_t>(n));
  std::vector<float> c(a.size(), k_nan);
  module.kernel("dot_product").launch(grid_for(n, 256), 256, in(a), in(b), out(c), n);
  for (std::size_t i = 0; i < c.size(); ++i) REQUIRE(c[i] == a[i] * b[i]);

  const float factor = std::uniform_real_distribution<float>(-4.0f, 4.0f)(rng);
  std::vector<float> y(a.size(), k_nan);
  const Kernel scale = module.kernel("scale<float>");
  scale.launch(grid_for(n, 256), 256, in(a), out(y), factor, static_cast<std::uint64_t>(n));
  for (std::size_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == factor * a[i]);

  // A binary has no parameter types, but sizes are checked: a double for the float is refused.
  std::vector<float> untouched(a.size(), k_nan);
  CHECK_THROWS_AS(scale.launch(grid_for(n, 256), 256, in(a), out(untouched), 2.0, static_cast<std::uint64_t>(n)),
                  ArgumentError);
  CHECK(std::isnan(untouched.front()));
  const auto saxpy = module.kernel("saxpy").parameters();
  REQUIRE(saxpy.size() == 4);
  CHECK(saxpy[0].size_bytes == 4);
  CHECK(saxpy[1].size_bytes == 8);
  const auto affine = module.kernel("jitcu_kernels::affine").parameters();
  REQUIRE(affine.size() == 4);
  CHECK(affine[0].size_bytes == 12);  // struct Affine by value
  CHECK(affine[0].alignment == 4);
}

/// nvcc from $CUDA_HOME or /usr/local/cuda, or empty.
std::filesystem::path find_nvcc() {
  const char* home = std::getenv("CUDA_HOME");
  const std::filesystem::path nvcc = std::filesystem::path(home && *home ? home : "/usr/local/cuda") / "bin" / "nvcc";
  return std::filesystem::exists(nvcc) ? nvcc : std::filesystem::path();
}

}  // namespace

TEST_CASE("a cubin made elsewhere: load_binary and load_file find its kernels by name and launch them") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir tmp;
  // NVRTC's cubin of the seed kernels, as nvcc -cubin would write it.
  const Module compiled = engine_in(tmp).compile(Source::string(seed_with_instance(), "seed.cu"));
  REQUIRE(compiled.arch().starts_with("sm_"));
  const std::string cubin = read_file(compiled.cache_path() / (compiled.arch() + ".cubin"));

  const Module from_bytes = Module::load_binary(cubin, "seed.cubin");
  CHECK(from_bytes.origin() == Origin::compiled);
  CHECK(from_bytes.ptx().empty());
  check_seed_binary(from_bytes, rng);

  write_file(tmp / "copy.cubin", cubin);
  check_seed_binary(Module::load_file(tmp / "copy.cubin"), rng);
}

TEST_CASE("a fatbin from nvcc -fatbin, and its PTX from nvcc -ptx, load with Module::load_file") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const std::filesystem::path nvcc = find_nvcc();
  if (nvcc.empty()) {
    MESSAGE("no nvcc in $CUDA_HOME or /usr/local/cuda: this case checks nothing here");
    return;
  }
  TempDir tmp;
  write_file(tmp / "seed.cu", seed_with_instance());
  const std::string arch = devices().front().arch();
  for (const char* kind : {"fatbin", "ptx"}) {
    CAPTURE(kind);
    const std::filesystem::path made = tmp / (std::string("seed.") + kind);
    const std::string command = nvcc.string() + " -" + kind + " -arch=" + arch + " -o '" + made.string() + "' '" +
                                (tmp / "seed.cu").string() + "'";
    REQUIRE(std::system(command.c_str()) == 0);
    const Module module = Module::load_file(made);
    CHECK(module.ptx().empty() == (std::string(kind) == "fatbin"));  // PTX keeps its text and parameter types
    check_seed_binary(module, rng);
  }
}
