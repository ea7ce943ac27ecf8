#pragma once
// The compile options `compile` and `cache explain` share, as the user types them.
#include <jitcu/options.hpp>

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace jitcu::tool {

/// -D, -I, --header, --std, --name-expr and --nvrtc-option as given; --arch is added by each command.
struct CompileFlags {
  std::vector<std::string> defines;  // "NAME" or "NAME=VALUE"
  std::vector<std::string> include_dirs;
  std::vector<std::string> headers;  // "NAME=FILE": FILE's text, #included as NAME
  std::string standard = "c++17";
  std::vector<std::string> name_expressions;
  std::vector<std::string> nvrtc_options;
};

/// Adds the shared compile options to `app`, writing into `flags`.
void add_compile_flags(CLI::App& app, CompileFlags& flags);

/// The engine's options for one arch ("" = the engine's default arch); reads each --header
/// FILE, throwing Error naming the flag when one cannot be read.
CompileOptions to_compile_options(const CompileFlags& flags, const std::string& arch);

}  // namespace jitcu::tool
