#include "compile_flags.hpp"

#include <CLI/CLI.hpp>

namespace jitcu::tool {
void add_compile_flags(CLI::App& app, CompileFlags& flags) {
  app.add_option("-D,--define", flags.defines, "define a macro: -D NAME or -D NAME=VALUE (repeatable)")
      ->type_name("NAME[=V]")
      ->allow_extra_args(false);
  app.add_option("-I,--include-dir", flags.include_dirs,
                 "folder searched for #include after the source's own folder (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app.add_option("--std", flags.standard, "C++ standard: c++03, c++11, c++14, c++17 (default), c++20")
      ->type_name("STD");
  app.add_option("--name-expr", flags.name_expressions,
                 "C++ name to instantiate and keep, e.g. 'scale<float>' (repeatable)")
      ->type_name("EXPR")
      ->allow_extra_args(false);
  app.add_option("--nvrtc-option", flags.nvrtc_options,
                 "raw NVRTC option passed through, e.g. --nvrtc-option=-ftz=true (repeatable)")
      ->type_name("OPT")
      ->allow_extra_args(false);
}

CompileOptions to_compile_options(const CompileFlags& flags, const std::string& arch) {
  CompileOptions options;
  // As NVRTC options, so "-D X=" defines X as empty and "-D X" as 1, as nvcc's -D does.
  for (const std::string& define : flags.defines) options.extra.push_back("-D" + define);
  options.include_dirs = flags.include_dirs;
  options.std = flags.standard;
  options.arch = arch;
  options.name_expressions = flags.name_expressions;
  options.extra.insert(options.extra.end(), flags.nvrtc_options.begin(), flags.nvrtc_options.end());
  return options;
}

}  // namespace jitcu::tool
