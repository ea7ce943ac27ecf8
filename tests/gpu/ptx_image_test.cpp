// PTX the user already has, loaded with Module::load_ptx: launched and checked like compiled
// code; PTX newer than the driver knows is refused with both versions named.
#include "engine_support.hpp"

#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include <limits>
#include <optional>
#include <random>
#include <regex>

using namespace jitcu;
using namespace jitcu::test;

namespace {

// Real NVRTC output for the seed kernels, for this GPU.
std::string seed_ptx(const TempDir& dir) { return engine_in(dir).compile(seed_source()).ptx(); }

std::string with_ptx_version(const std::string& ptx, const std::string& version) {
  return std::regex_replace(ptx, std::regex(R"(\n\.version [0-9.]+\n)"), "\n.version " + version + "\n");
}

std::string device_arch() {
  const auto& device = devices().at(static_cast<std::size_t>(current_device()));
  return "sm_" + std::to_string(device.major) + std::to_string(device.minor);
}

}  // namespace

TEST_CASE("PTX loaded with Module::load_ptx launches, matches the CPU and is checked like compiled code") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir dir("jitcu-gpu-load-ptx");
  const Module module = Module::load_ptx(seed_ptx(dir), "vector_ops.ptx");
  CHECK(module.cache_path().empty());
  CHECK(module.arch() == device_arch());

  const int n = 1 + static_cast<int>(rng() % 300'000);
  const auto a = random_floats(rng, static_cast<std::size_t>(n));
  const auto b = random_floats(rng, static_cast<std::size_t>(n));
  std::vector<float> c(a.size(), std::numeric_limits<float>::quiet_NaN());  // poison
  auto dot = module.kernel("dot_product");
  dot.launch(grid_for(static_cast<std::uint64_t>(n), 256), 256, in(a), in(b), out(c), n);
  std::vector<float> want(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) want[i] = a[i] * b[i];
  CHECK_SAME_VALUES(c, want);
  CHECK(dot.attributes().binary_version == devices().at(0).major * 10 + devices().at(0).minor);  // JIT-compiled here

  DeviceBuffer<float> da(16), db(16), dc(16);
  CHECK_THROWS_WITH_AS(dot.launch(1, 16, da, db, dc, 16.0), doctest::Contains("parameter 3"), ArgumentError);
  CHECK_THROWS_WITH_AS(dot.launch(1, 16, da, db, dc), doctest::Contains("takes 4 parameter(s)"), ArgumentError);
  CHECK_THROWS_AS(module.kernel("no_such_kernel"), KernelNotFound);
}

TEST_CASE("PTX newer than the driver knows is refused, naming its PTX ISA version and the driver's CUDA version") {
  TempDir dir("jitcu-gpu-future-ptx");
  const std::string future = with_ptx_version(seed_ptx(dir), "99.9");
  REQUIRE(future.find("\n.version 99.9\n") != std::string::npos);
  const Module module = Module::load_ptx(future, "future.ptx");
  auto dot = module.kernel("dot_product");  // found from the PTX text: nothing is loaded yet
  DeviceBuffer<float> a(16), b(16), c(16);

  std::optional<CudaError> error;
  try {
    dot.launch(1, 16, a, b, c, 16);
  } catch (const CudaError& thrown) {
    error = thrown;
  }
  REQUIRE_MESSAGE(error.has_value(), "the driver loaded PTX ISA 99.9");
  const std::string text = error->what();
  INFO(text);
  CHECK(error->result_name() == "CUDA_ERROR_UNSUPPORTED_PTX_VERSION");
  // The driver loads lazily: the refusal comes at the load or at the first kernel lookup.
  CHECK((error->call() == "cuLibraryLoadData" || error->call() == "cuLibraryGetKernel"));
  CHECK(text.find("'future.ptx'") != std::string::npos);
  CHECK(text.find("PTX ISA version 99.9") != std::string::npos);
  const int version = driver_version();
  CHECK(text.find("CUDA " + std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10)) !=
        std::string::npos);
  CHECK(text.find(std::to_string(version)) != std::string::npos);
  CHECK(text.find("update the NVIDIA driver") != std::string::npos);
  CHECK(text.find(device_arch()) != std::string::npos);
}
