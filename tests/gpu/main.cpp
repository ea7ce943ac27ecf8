// GPU suite: reports skipped (exit 77) before any case when there is no CUDA device.
// With --multi-gpu it runs only the "gpu-multi" suite, and skips unless there are 2+ devices.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <jitcu/device.hpp>

#include <cstdio>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  if (!jitcu::cuda_available()) {
    std::printf("SKIPPED: no CUDA device (%s)\n", jitcu::cuda_unavailable_reason().c_str());
    return 77;
  }
  std::vector<char*> args;
  bool multi = false;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--multi-gpu") == 0) multi = true;
    else args.push_back(argv[i]);
  }
  if (multi && jitcu::devices().size() < 2) {
    std::printf("SKIPPED: the gpu-multi suite needs 2 CUDA devices, this machine has %zu\n", jitcu::devices().size());
    return 77;
  }
  doctest::Context context(static_cast<int>(args.size()), args.data());
  if (multi) context.addFilter("test-suite", "gpu-multi");
  else context.addFilter("test-suite-exclude", "gpu-multi");
  return context.run();
}
