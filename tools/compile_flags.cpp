#include "compile_flags.hpp"

#include <jitcu/error.hpp>
#include <jitcu/source.hpp>

#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace jitcu::tool {
namespace {

/// --header's value: NAME=FILE with neither part empty; NAME is up to the first '='.
const CLI::Validator k_header_argument(
    [](const std::string& value) -> std::string {
      const auto equals = value.find('=');
      if (equals == std::string::npos || equals == 0 || equals + 1 == value.size())
        return fmt::format("'{}' is not NAME=FILE: give the name #include lines use, '=', and the file holding "
                           "its text, e.g. --header my/util.cuh=gen/util.cuh",
                           value);
      return {};
    },
    "");  // no description of its own: the help shows the type name, NAME=FILE, once

HeaderText read_header_file(const std::string& argument) {
  const auto equals = argument.find('=');
  const std::string name = argument.substr(0, equals), file = argument.substr(equals + 1);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    throw Error(fmt::format("--header {}: there is no file '{}' to read header '{}' from (relative paths start at "
                            "the current directory, {})",
                            argument, file, name, std::filesystem::current_path(ec).string()));
  try {
    return {name, Source::file(file).text()};
  } catch (const Error& error) {
    throw Error(fmt::format("--header {}: cannot read the text of header '{}' from '{}': {}", argument, name, file,
                            error.what()));
  }
}

}  // namespace

void add_compile_flags(CLI::App& app, CompileFlags& flags) {
  app.add_option("-D,--define", flags.defines, "define a macro: -D NAME or -D NAME=VALUE (repeatable)")
      ->type_name("NAME[=V]")
      ->allow_extra_args(false);
  app.add_option("-I,--include-dir", flags.include_dirs,
                 "folder searched for #include after the source's own folder (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app.add_option("--header", flags.headers,
                 "header given as text: #include \"NAME\" or <NAME> reads FILE, before any include folder "
                 "(repeatable)")
      ->type_name("NAME=FILE")
      ->check(k_header_argument)
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
  for (const std::string& header : flags.headers) options.headers.push_back(read_header_file(header));
  options.std = flags.standard;
  options.arch = arch;
  options.name_expressions = flags.name_expressions;
  options.extra.insert(options.extra.end(), flags.nvrtc_options.begin(), flags.nvrtc_options.end());
  return options;
}

}  // namespace jitcu::tool
