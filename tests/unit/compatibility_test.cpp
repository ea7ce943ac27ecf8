// Version clashes between the device, NVRTC and the driver: the arch jitcu compiles for when
// the GPU is newer than NVRTC knows, and the PTX ISA version named when a driver refuses PTX.
#include "engine_support.hpp"

#include "compatibility.hpp"

#include <doctest/doctest.h>

#include <regex>

using namespace jitcu;
using namespace jitcu::test;
using jitcu::detail::ArchChoice;
using jitcu::detail::choose_arch;

namespace {

// NVRTC 13.0's list (nvrtcGetSupportedArchs).
const std::vector<int> k_nvrtc_13_archs = {75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121};

void check_choice(const ArchChoice& got, int sm, bool clamped) {
  CHECK(got.sm == sm);
  CHECK(got.clamped == clamped);
}

// `ptx` with its ".version X.Y" line rewritten to `version`.
std::string with_ptx_version(const std::string& ptx, const std::string& version) {
  return std::regex_replace(ptx, std::regex(R"(\n\.version [0-9.]+\n)"), "\n.version " + version + "\n");
}

}  // namespace

TEST_CASE("a device newer than every NVRTC target gets NVRTC's newest, and says it was clamped") {
  check_choice(choose_arch(130, k_nvrtc_13_archs), 121, true);
  check_choice(choose_arch(1000, k_nvrtc_13_archs), 121, true);
}

TEST_CASE("a device NVRTC targets keeps its own arch, the newest and older ones alike") {
  check_choice(choose_arch(121, k_nvrtc_13_archs), 121, false);
  check_choice(choose_arch(90, k_nvrtc_13_archs), 90, false);
  check_choice(choose_arch(75, k_nvrtc_13_archs), 75, false);
}

TEST_CASE("a device between NVRTC's targets gets the newest one below it") {
  check_choice(choose_arch(95, k_nvrtc_13_archs), 90, true);
  check_choice(choose_arch(101, k_nvrtc_13_archs), 100, true);
}

TEST_CASE("a device older than every target keeps its arch, so NVRTC refuses it by name") {
  check_choice(choose_arch(61, k_nvrtc_13_archs), 61, false);
  check_choice(choose_arch(90, {}), 90, false);
}

TEST_CASE("an unsorted list with repeats chooses as a sorted one does") {
  const std::vector<int> odd = {120, 75, 90, 90, 100, 75};
  check_choice(choose_arch(110, odd), 100, true);
  check_choice(choose_arch(130, odd), 120, true);
  check_choice(choose_arch(90, odd), 90, false);
  check_choice(choose_arch(91, {90}), 90, true);
}

TEST_CASE("the PTX ISA version is read from real NVRTC output and from a rewritten .version line") {
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source(), {.arch = "sm_90"});
  const std::string ptx = module.ptx();
  const std::string version = detail::ptx_isa_version(ptx);
  INFO("ptx header: " << ptx.substr(0, 400));
  CHECK(std::regex_match(version, std::regex(R"([0-9]+\.[0-9]+)")));
  CHECK(ptx.find("\n.version " + version + "\n") != std::string::npos);

  const std::string future = with_ptx_version(ptx, "99.9");
  REQUIRE(future != ptx);
  CHECK(detail::ptx_isa_version(future) == "99.9");
  CHECK(detail::ptx_isa_version(future + '\0') == "99.9");  // as the driver gets it
}

TEST_CASE("no .version line means no PTX ISA version: a cubin, a comment, other text") {
  CHECK(detail::ptx_isa_version("\x7f" "ELF\x02\x01\x01 .version 9.0\n").empty());
  CHECK(detail::ptx_isa_version("// .version 9.0 in a comment\n.target sm_90\n").empty());
  CHECK(detail::ptx_isa_version(".versions 9.0\n").empty());
  CHECK(detail::ptx_isa_version("").empty());
  CHECK(detail::ptx_isa_version("//\n\t.version\t8.8\n.target sm_90\n") == "8.8");
}

TEST_CASE("the advice for CUDA_ERROR_UNSUPPORTED_PTX_VERSION names both versions and what to do") {
  CHECK(detail::cuda_version_text(13000) == "13.0");
  CHECK(detail::cuda_version_text(12080) == "12.8");
  const std::string advice = detail::unsupported_ptx_advice("//\n.version 99.9\n.target sm_90\n", 12080, "sm_90");
  CHECK(advice.find("PTX ISA version 99.9") != std::string::npos);
  CHECK(advice.find("CUDA 12.8") != std::string::npos);
  CHECK(advice.find("12080") != std::string::npos);
  CHECK(advice.find("update the NVIDIA driver") != std::string::npos);
  CHECK(advice.find("sm_90") != std::string::npos);
  CHECK(std::islower(static_cast<unsigned char>(advice.front())));

  const std::string for_cubin = detail::unsupported_ptx_advice("\x7f" "ELF", 13000, "");
  CHECK(for_cubin.find("CUDA 13.0") != std::string::npos);
  CHECK(for_cubin.find("sm_XY") != std::string::npos);
}
