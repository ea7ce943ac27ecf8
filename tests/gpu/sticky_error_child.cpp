// A process that makes a kernel write to an illegal address, for sticky_error_test.cpp: a
// sticky error ruins the context for the rest of a process, so it happens in a child.
#include <jitcu/jitcu.hpp>

#include <cstdio>

int main() {
  jitcu::Engine engine(jitcu::EngineOptions{.disk_cache = false});
  auto module = engine.compile(jitcu::Source::string(
      "extern \"C\" __global__ void write_wild(float* p) { p[threadIdx.x] = 1.0f; }", "wild.cu"));
  auto kernel = module.kernel("write_wild");
  try {
    kernel.launch(1, 32, reinterpret_cast<float*>(0x10));  // not device memory
    jitcu::synchronize();
  } catch (const jitcu::CudaError& error) {
    std::printf("%s | %s\n", error.result_name().c_str(), error.what());
    try {
      jitcu::DeviceBuffer<float> after(16);  // the context stays broken: this fails too
      after.fill_bytes(0);
      jitcu::synchronize();
      std::printf("after: no error\n");
    } catch (const jitcu::CudaError& again) {
      std::printf("after: %s\n", again.result_name().c_str());
    }
    return 3;
  }
  std::printf("no error reported\n");
  return 0;
}
