#pragma once
// Runs the real `jitcu` binary against a cache in a fresh temp folder.
#include "test_support.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace jitcu::test {

/// A temp folder with a cache in it and the tool pointed at it through JITCU_CACHE_DIR.
class Cli {
 public:
  Cli() : dir_("jitcu-cli-test") {}

  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path cache_dir() const { return dir_ / "cache"; }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }

  /// Writes a file in the temp folder and returns its path as text.
  std::string write(const std::string& name, const std::string& text) const {
    write_file(path(name), text);
    return path(name).string();
  }

  /// `jitcu args...`; stdout and stderr together. Callers INFO() the output before checking it.
  ProcessResult run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{JITCU_TOOL};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, environment());
  }

  /// `jitcu args...` with stderr kept apart, its stdout parsed as the one JSON document.
  nlohmann::json run_json(const std::vector<std::string>& args, int expected_exit = 0) const {
    const std::filesystem::path errors = dir_ / "stderr.txt";
    std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"$JITCU_TEST_STDERR\"", JITCU_TOOL};
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = environment();
    env["JITCU_TEST_STDERR"] = errors.string();
    const ProcessResult result = run_process(argv, env);
    INFO("jitcu " << join(args) << "\nstdout:\n" << result.output << "\nstderr:\n" << read_file(errors));
    REQUIRE(result.exit_code == expected_exit);
    return nlohmann::json::parse(result.output);
  }

  /// The cached entries, newest first, as `jitcu cache ls --json` gives them.
  nlohmann::json entries() const { return run_json({"cache", "ls", "--json"})["entries"]; }

 private:
  std::map<std::string, std::string> environment() const {
    return {{"JITCU_CACHE_DIR", cache_dir().string()}, {"JITCU_LOG_LEVEL", "warn"}};
  }

  static std::string join(const std::vector<std::string>& args) {
    std::string text;
    for (const auto& arg : args) text += (text.empty() ? "" : " ") + arg;
    return text;
  }

  TempDir dir_;
};

/// A kernel `name` that adds `value` to each element: small, fast to compile.
inline std::string add_kernel(const std::string& name, const std::string& value = "1.0f") {
  return "extern \"C\" __global__ void " + name + "(float* x, int n) {\n"
         "  const int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
         "  if (i < n) x[i] += " + value + ";\n"
         "}\n";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace jitcu::test
