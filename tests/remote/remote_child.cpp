// One "node" of the remote-cache tests: an engine with its own disk cache (JITCU_CACHE_DIR)
// and the Redis in JITCU_REMOTE_CACHE compiles variants of a source and says what happened:
//   origin <variant> compiled|disk_cache|process_cache     (one line per compile)
//   nvrtc_loaded=yes|no
//
//   remote_child SOURCE VARIANT...    each VARIANT is compiled with -DJITCU_VARIANT=<VARIANT>
//
// It ends itself after 120 s (SIGALRM), so a regression that hangs cannot hang the suite.
// Exit status: 0 fine, 2 jitcu error or bad usage.
#define DOCTEST_CONFIG_DISABLE  // a plain program: no test registration
#include "engine_support.hpp"

#include <jitcu/jitcu.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) try {
  alarm(120);
  if (argc < 3) throw jitcu::Error("usage: remote_child SOURCE VARIANT...");
  jitcu::Engine engine;  // JITCU_CACHE_DIR and JITCU_REMOTE_CACHE, as a user's process would
  const auto source = jitcu::Source::file(argv[1]);
  for (int i = 2; i < argc; ++i) {
    jitcu::CompileOptions options;
    options.defines.emplace_back("JITCU_VARIANT", argv[i]);
    const jitcu::Module module = engine.compile(source, options);
    std::printf("origin %s %s\n", argv[i], jitcu::test::origin_name(module.origin()));
    std::fflush(stdout);
  }
  std::printf("nvrtc_loaded=%s\n", jitcu::test::nvrtc_mapped() ? "yes" : "no");
  return 0;
} catch (const std::exception& error) {
  std::printf("error=%s\n", error.what());
  return 2;
}
