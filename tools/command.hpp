#pragma once
// What every subcommand shares: how it is registered, how it ends, and the error it throws.
#include <functional>
#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace jitcu::tool {

/// The tool's exit statuses (docs/cli.md): CLI11's usage errors are mapped to `usage` in main.
enum class Exit : int {
  ok = 0,      // everything asked for was done
  failed = 1,  // a compile failed, an entry is damaged, a key is unknown or ambiguous
  usage = 2,   // the command line is wrong
};

/// A leaf subcommand and what runs when it was the one given.
struct Command {
  CLI::App* app = nullptr;
  std::function<Exit()> run;
};

/// A failure the user can act on; main prints "jitcu: error: <what>" and exits 1.
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace jitcu::tool
