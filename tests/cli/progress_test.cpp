// `jitcu compile`'s progress: the line's text (tools/progress_line.cpp, compiled in), a live line
// on a real pseudo-terminal, plain lines in a pipe, and `jitcu --version`.
#include "cli_test_util.hpp"
#include "format.hpp"
#include "progress_line.hpp"

#include <jitcu/version.hpp>

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <sstream>

#include <fmt/format.h>

namespace jitcu::test {
namespace {

using namespace std::chrono_literals;
using tool::progress_text;
using tool::ProgressState;

/// Runs `jitcu args...` on a new pseudo-terminal (its stdout and stderr); everything it wrote.
ProcessResult run_on_terminal(const Cli& cli, const std::vector<std::string>& args) {
  std::vector<std::string> argv{JITCU_TOOL};
  argv.insert(argv.end(), args.begin(), args.end());
  int terminal = -1;
  winsize size{};
  size.ws_col = 100;
  size.ws_row = 30;
  const pid_t pid = forkpty(&terminal, nullptr, nullptr, &size);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    setenv("JITCU_CACHE_DIR", cli.cache_dir().c_str(), 1);
    setenv("TERM", "xterm", 1);
    std::vector<char*> raw;
    for (auto& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  ProcessResult result;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(terminal, buffer, sizeof buffer);
    if (got > 0) result.output.append(buffer, static_cast<std::size_t>(got));
    else if (got < 0 && errno == EINTR) continue;
    else break;  // EIO: the child closed the terminal
  }
  close(terminal);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

/// What a terminal shows of each line: the text after the last "erase the line" sequence.
std::vector<std::string> shown_lines(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream stream(output);
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // the terminal's \r\n
    const auto erased = line.rfind("\x1b[K");
    lines.push_back(erased == std::string::npos ? line : line.substr(erased + 3));
  }
  return lines;
}

TEST_CASE("the progress line shows done/total, elapsed seconds, failures and what is compiling") {
  ProgressState state{.done = 3, .failed = 0, .total = 10, .running = {{4, "k4.cu sm_90"}, {5, "k5.cu sm_90"}}};
  CHECK(progress_text(state, 2400ms, 100) == "[3/10] 2.4 s  compiling k4.cu sm_90, k5.cu sm_90");
  state.failed = 1;
  CHECK(progress_text(state, 12050ms, 100) == "[3/10] 12.1 s, 1 failed  compiling k4.cu sm_90, k5.cu sm_90");
  state.running.clear();
  CHECK(progress_text(state, 0ms, 100) == "[3/10] 0.0 s, 1 failed");
}

TEST_CASE("the progress line fits any width, naming what does not fit as +N more") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 200; ++round) {
    ProgressState state{.done = rng() % 50, .failed = rng() % 3, .total = 50 + rng() % 1000, .running = {}};
    const std::size_t running = rng() % 20;
    for (std::size_t i = 0; i < running; ++i)
      state.running[i] = "kernel_" + std::string(rng() % 40, 'x') + ".cu sm_" + std::to_string(50 + rng() % 70);
    const std::size_t width = 10 + rng() % 150;
    const std::string text = progress_text(state, std::chrono::milliseconds(rng() % 100000), width);
    INFO("width " << width << ": " << text);
    CHECK(tool::display_width(text) <= width);
    CHECK(text.starts_with(fmt::format("[{}/{}]", state.done, state.total).substr(0, width - 1)));
    if (width >= 80 && running > 0) CHECK(contains(text, "compiling"));
  }
}

TEST_CASE("on a terminal, compile -j draws one live line and prints each result on a line of its own") {
  Cli cli;
  std::vector<std::string> args{"compile", "-j", "2", "--arch", "sm_90"};
  for (int i = 0; i < 3; ++i) args.push_back(cli.write("t" + std::to_string(i) + ".cu", add_kernel("t" + std::to_string(i))));
  const ProcessResult result = run_on_terminal(cli, args);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(contains(result.output, "\r\x1b[K[0/3] "));          // drawn before the first compile ended
  CHECK(contains(result.output, "  compiling "));
  CHECK(contains(result.output, "\r\x1b[K[3/3] "));          // and after the last
  std::size_t results = 0;
  for (const std::string& line : shown_lines(result.output)) {
    CHECK(!(line.starts_with("[") && line.ends_with(" miss")));  // no plain progress lines
    if (!contains(line, "  sm_90  miss  key ")) continue;
    ++results;
    CHECK(!contains(line, "compiling"));                          // the live line was erased first
  }
  CHECK(results == 3);
}

TEST_CASE("on a terminal, a failed compile's error and the closing count print on clean lines") {
  Cli cli;
  const std::string good = cli.write("good.cu", add_kernel("good"));
  const std::string bad = cli.write("bad.cu", "extern \"C\" __global__ void bad(float* x) { x[0] = nope; }\n");
  const ProcessResult result = run_on_terminal(cli, {"compile", "-j", "2", "--arch", "sm_90", good, bad});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, ", 1 failed"));                  // the live line counts it
  bool summary = false, error = false;
  for (const std::string& line : shown_lines(result.output)) {
    if (line == "jitcu: 1 of 2 compiles failed") summary = true;
    if (line.starts_with("jitcu: error (") && contains(line, "bad.cu")) error = true;
  }
  CHECK(summary);
  CHECK(error);
}

TEST_CASE("in a pipe, compile -j prints a plain line per finished compile and no terminal codes") {
  Cli cli;
  std::vector<std::string> args{"compile", "-j", "2", "--arch", "sm_90"};
  for (int i = 0; i < 2; ++i) args.push_back(cli.write("p" + std::to_string(i) + ".cu", add_kernel("p" + std::to_string(i))));
  const ProcessResult result = cli.run(args);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(contains(result.output, "[1/2] "));
  CHECK(contains(result.output, "[2/2] "));
  CHECK(!contains(result.output, "\x1b["));
  const ProcessResult quiet = cli.run({"compile", "--progress", "none", "--arch", "sm_80", args[5], args[6]});
  INFO(quiet.output);
  CHECK(quiet.exit_code == 0);
  CHECK(!contains(quiet.output, "[1/2] "));
}

TEST_CASE("jitcu --version prints the library's version") {
  Cli cli;
  const ProcessResult result = cli.run({"--version"});
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output == std::string("jitcu ") + JITCU_VERSION_STRING + "\n");
}

}  // namespace
}  // namespace jitcu::test
