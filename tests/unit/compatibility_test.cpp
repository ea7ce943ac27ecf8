// Version clashes between the device and NVRTC: the arch jitcu compiles for when the GPU is
// newer than NVRTC knows.
#include "compatibility.hpp"

#include <doctest/doctest.h>

using jitcu::detail::ArchChoice;
using jitcu::detail::choose_arch;

namespace {

// NVRTC 13.0's list (nvrtcGetSupportedArchs).
const std::vector<int> k_nvrtc_13_archs = {75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121};

void check_choice(const ArchChoice& got, int sm, bool clamped) {
  CHECK(got.sm == sm);
  CHECK(got.clamped == clamped);
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
