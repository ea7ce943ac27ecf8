// The code a disk-cache hit runs in a new process, for tools/hot-path-symbols to trace under
// callgrind: Engine, Source::file, compile() and the kernel lookup, inside one function that
// the tool switches collection on for. Run it once to fill the cache, then again to trace.
//
//   jitcu_hit_path_trace KERNEL_FILE KERNEL_NAME     (JITCU_CACHE_DIR says where the cache is)
#include <jitcu/jitcu.hpp>

#include <cstdio>
#include <exception>

// extern "C" and never inlined: callgrind's --toggle-collect names it.
extern "C" __attribute__((noinline)) int jitcu_hit_path_window(const char* path, const char* kernel_name) {
  jitcu::Engine engine;
  const jitcu::Module module = engine.compile(jitcu::Source::file(path));
  const jitcu::Kernel kernel = module.kernel(kernel_name);
  return module.origin() == jitcu::Origin::disk_cache ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: jitcu_hit_path_trace KERNEL_FILE KERNEL_NAME\n");
    return 2;
  }
  try {
    const int result = jitcu_hit_path_window(argv[1], argv[2]);
    std::printf("%s\n", result == 0 ? "disk-cache hit" : "not a disk-cache hit (run it again)");
    return result;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "jitcu_hit_path_trace: %s\n", error.what());
    return 1;
  }
}
