#pragma once
// Kernel source: a file on disk or a string with a name.
#include <filesystem>
#include <string>

namespace jitcu {

/// CUDA C++ source text and the name errors and `#include "..."` resolution use.
class Source {
 public:
  /// Reads `path` now; its path names the source in errors and quoted includes resolve
  /// relative to its folder. Throws jitcu::Error if the file cannot be read.
  static Source file(const std::string& path);
  static Source file(const char* path);
  static Source file(const std::filesystem::path& path);
  /// Source given as text; `name` appears in errors (quoted includes resolve against the
  /// folder part of `name`, if any, else the current directory).
  static Source string(std::string text, std::string name = "jitcu_program.cu");

  const std::string& text() const { return text_; }
  const std::string& name() const { return name_; }
  /// Folder that quoted includes of the main source are resolved in (absolute, normal).
  std::filesystem::path directory() const { return directory_; }
  /// directory() as text, without std::filesystem (whose first use costs a cache hit ~40 us).
  const std::string& directory_string() const { return directory_; }
  /// True for Source::file.
  bool from_file() const { return from_file_; }

 private:
  Source(std::string text, std::string name, std::string directory, bool from_file);
  std::string text_;
  std::string name_;
  std::string directory_;
  bool from_file_ = false;
};

}  // namespace jitcu
