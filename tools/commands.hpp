#pragma once
// Every subcommand's registration: each adds itself under `parent` and returns what runs it.
#include "command.hpp"
#include "global_options.hpp"

namespace jitcu::tool {

Command add_compile_command(CLI::App& parent, const GlobalOptions& global);  // compile_command.cpp
Command add_info_command(CLI::App& parent, const GlobalOptions& global);     // info_command.cpp

}  // namespace jitcu::tool
