#pragma once
// Helpers every suite uses: random seeds, fresh temp folders, real child processes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace jitcu::test {

/// A random seed per run; JITCU_TEST_SEED replays one. Put it in INFO().
unsigned test_seed();
/// `n` floats uniform in [-1, 1).
std::vector<float> random_floats(std::mt19937& rng, std::size_t n);

/// A fresh folder under $TMPDIR, removed on destruction unless JITCU_KEEP_TEMP is set.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "jitcu-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& child) const { return path_ / child; }

 private:
  std::filesystem::path path_;
};

/// Writes `text` to `path`, creating parent folders.
void write_file(const std::filesystem::path& path, const std::string& text);
/// Reads a whole file.
std::string read_file(const std::filesystem::path& path);

/// What a child process did.
struct ProcessResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string output;  // stdout and stderr together
};
/// Runs `argv` as a real child process with extra environment variables; waits for it.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

/// Sets an environment variable for the life of the object, restoring the old value after.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  bool had_old_ = false;
  std::string old_;
};

/// Changes the current directory for the life of the object.
class ScopedCurrentDir {
 public:
  explicit ScopedCurrentDir(const std::filesystem::path& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedCurrentDir() {
    std::error_code ignored;
    std::filesystem::current_path(old_, ignored);
  }
  ScopedCurrentDir(const ScopedCurrentDir&) = delete;
  ScopedCurrentDir& operator=(const ScopedCurrentDir&) = delete;

 private:
  std::filesystem::path old_;
};

/// Path of a file in kernels/.
std::filesystem::path kernel_path(const std::string& name);

}  // namespace jitcu::test
