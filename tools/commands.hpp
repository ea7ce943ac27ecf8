#pragma once
// Every subcommand's registration: each adds itself under `parent` and returns what runs it.
#include "command.hpp"
#include "global_options.hpp"

namespace jitcu::tool {

Command add_compile_command(CLI::App& parent, const GlobalOptions& global);  // compile_command.cpp
Command add_info_command(CLI::App& parent, const GlobalOptions& global);     // info_command.cpp
Command add_ls_command(CLI::App& cache, const GlobalOptions& global);        // cache_listing.cpp
Command add_stats_command(CLI::App& cache, const GlobalOptions& global);     // cache_listing.cpp
Command add_path_command(CLI::App& cache, const GlobalOptions& global);      // cache_listing.cpp
Command add_show_command(CLI::App& cache, const GlobalOptions& global);      // cache_show.cpp
Command add_verify_command(CLI::App& cache, const GlobalOptions& global);    // cache_maintenance.cpp
Command add_prune_command(CLI::App& cache, const GlobalOptions& global);     // cache_maintenance.cpp
Command add_clear_command(CLI::App& cache, const GlobalOptions& global);     // cache_maintenance.cpp
Command add_explain_command(CLI::App& cache, const GlobalOptions& global);   // explain.cpp
Command add_remote_command(CLI::App& cache, const GlobalOptions& global);    // cache_remote.cpp
Command add_push_command(CLI::App& cache, const GlobalOptions& global);      // cache_remote.cpp

}  // namespace jitcu::tool
