// GPU suite: reports skipped (exit 77) before any case when there is no CUDA device.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <jitcu/device.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (!jitcu::cuda_available()) {
    std::printf("SKIPPED: no CUDA device (%s)\n", jitcu::cuda_unavailable_reason().c_str());
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
