// A user's program built against an installed jitcu: compiles in this process, in the
// background and as a batch (both of those run the installed jitcu-worker), with fresh kernel
// text each run so the cache cannot answer. Launches nothing: it needs no GPU.
#include <jitcu/jitcu.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

// A kernel whose text (and so cache key) is new each run: `stamp` goes into its constant.
jitcu::Source kernel(const std::string& name, long long stamp) {
  return jitcu::Source::string("extern \"C\" __global__ void " + name + "(float* x, int n) {"
                               "  int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] *= " +
                                   std::to_string(stamp % 1000 + 2) + ".0f; }",
                               name + ".cu");
}

int fail(const char* what) {
  std::fprintf(stderr, "consumer: %s\n", what);
  return 1;
}

}  // namespace

int main() {
  if (jitcu::version() != JITCU_VERSION_STRING) return fail("the library's version differs from its headers'");
  const long long stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  jitcu::Engine engine;
  const jitcu::Module here = engine.compile(kernel("here", stamp));
  if (here.origin() != jitcu::Origin::compiled || here.kernel("here").params().size() != 2)
    return fail("compile() did not give the kernel");
  const jitcu::Module async = engine.compile_async(kernel("async", stamp)).get();  // runs jitcu-worker
  if (!async.has_kernel("async")) return fail("compile_async() did not give the kernel");
  const auto many = engine.compile_many({kernel("many_a", stamp), kernel("many_b", stamp)});
  if (many.size() != 2 || !many[0].has_kernel("many_a") || !many[1].has_kernel("many_b"))
    return fail("compile_many() did not give the kernels");
  std::printf("consumer: jitcu %s compiled 4 modules for %s (compile, compile_async, compile_many)\n",
              JITCU_VERSION_STRING, here.arch().c_str());
  return 0;
}
