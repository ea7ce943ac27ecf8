// Compiles a kernel through an installed jitcu; launches only where there is a GPU.
#include <jitcu/jitcu.hpp>

#include <cstdio>

int main() {
  jitcu::Engine engine;
  auto module = engine.compile(jitcu::Source::string(
      "extern \"C\" __global__ void twice(float* x, int n) {"
      "  int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] *= 2.0f; }",
      "consumer.cu"));
  auto kernel = module.kernel("twice");
  if (kernel.params().size() != 2) return 1;
  std::printf("consumer: compiled %s with %zu kernel(s)\n", module.arch().c_str(), module.kernel_names().size());
  return 0;
}
