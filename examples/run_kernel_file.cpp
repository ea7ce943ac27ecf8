// Compile a user's .cu file through jitcu's cache and list its kernels; launch nothing.
//   run_kernel_file FILE [-DNAME=VALUE]... [-IDIR]... [--arch sm_XY] [--name-expr EXPR]...
#include <jitcu/jitcu.hpp>

#include <cstdio>
#include <string>

#include <fmt/format.h>

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [-DNAME=VALUE]... [-IDIR]... [--arch sm_XY] [--name-expr EXPR]...\n", argv[0]);
    return 2;
  }
  jitcu::CompileOptions options;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--arch" && i + 1 < argc) options.arch = argv[++i];
    else if (arg == "--name-expr" && i + 1 < argc) options.name_expressions.push_back(argv[++i]);
    else options.extra.push_back(arg);  // -D, -I and any NVRTC option
  }
  jitcu::Engine engine;
  const auto module = engine.compile(jitcu::Source::file(argv[1]), options);
  fmt::print("{} for {}: key {}\n", argv[1], module.arch(), module.cache_key().substr(0, 12));
  fmt::print("cache entry: {}\n", module.cache_path().empty() ? "(memory only)" : module.cache_path().string());
  for (const auto& name : module.kernel_names()) {
    const auto kernel = module.kernel(name);
    std::string params;
    for (const auto& p : kernel.params()) params += (params.empty() ? "" : ", ") + p.ptx_type;
    fmt::print("  {}({})\n", name, params);
  }
  return 0;
} catch (const jitcu::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 1;
}
