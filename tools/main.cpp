// jitcu: the command-line tool. Builds the command tree, runs the one given, maps outcomes to
// exit statuses: 0 ok, 1 failed (or damage found), 2 bad usage.
#include "commands.hpp"

#include <jitcu/version.hpp>

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::tool {
namespace {

/// The deepest command given: `jitcu cache` when only that was parsed, else the top level.
const CLI::App& deepest_parsed(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) {
    if (sub->parsed()) return deepest_parsed(*sub);
  }
  return app;
}

std::string command_list(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string command_path(const CLI::App& app) {
  const CLI::App* parent = app.get_parent();
  return parent ? command_path(*parent) + " " + app.get_name() : "jitcu";
}

/// CLI11 says "A subcommand is required" for a missing and for a misspelt command alike;
/// these messages name the word and the commands there are.
int usage_error(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);  // --help
  const CLI::App& where = deepest_parsed(app);
  const bool wants_command = !where.get_subcommands({}).empty() && where.get_subcommands().empty();
  const std::vector<std::string> rest = app.remaining(true);
  const auto unknown = std::find_if(rest.begin(), rest.end(), [](const std::string& arg) { return !arg.starts_with('-'); });
  if (wants_command && unknown != rest.end()) {
    fmt::print(stderr, "{}: unknown command '{}': use one of {} (`{} --help` says more)\n", command_path(where),
               *unknown, command_list(where), command_path(where));
  } else if (wants_command) {
    fmt::print(stderr, "{}: give a command: {} (`{} --help` says more)\n", command_path(where), command_list(where),
               command_path(where));
  } else {
    app.exit(error);  // CLI11's message and a hint to --help
  }
  return static_cast<int>(Exit::usage);
}

int run(const Command& command) {
  try {
    return static_cast<int>(command.run());
  } catch (const std::exception& error) {
    fmt::print(stderr, "jitcu: error: {}\n", error.what());
    return static_cast<int>(Exit::failed);
  }
}

CLI::App* add_cache_group(CLI::App& app, const GlobalOptions& global, std::vector<Command>& commands) {
  CLI::App* cache = app.add_subcommand("cache", "inspect and maintain the cache: ls, show, stats, verify, "
                                                "prune, clear, path, explain");
  cache->require_subcommand(1);
  cache->fallthrough();
  for (auto add : {add_ls_command, add_show_command, add_stats_command, add_verify_command, add_prune_command,
                   add_clear_command, add_path_command, add_explain_command, add_remote_command, add_push_command}) {
    commands.push_back(add(*cache, global));
  }
  return cache;
}

int main_with_args(int argc, char** argv) {
  CLI::App app("jitcu: compile CUDA C++ kernels with NVRTC through jitcu's cache, and inspect that cache",
               "jitcu");
  app.set_version_flag("--version", fmt::format("jitcu {}", jitcu::version()));
  app.require_subcommand(1);
  GlobalOptions global;
  add_global_options(app, global);
  std::vector<Command> commands;
  commands.push_back(add_compile_command(app, global));
  add_cache_group(app, global, commands);
  commands.push_back(add_info_command(app, global));
  for (Command& command : commands) command.app->fallthrough();  // --cache-dir after the command too

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return usage_error(app, error);
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return run(command);
  }
  return static_cast<int>(Exit::usage);  // unreachable: a subcommand is required
}

}  // namespace
}  // namespace jitcu::tool

int main(int argc, char** argv) { return jitcu::tool::main_with_args(argc, argv); }
