#pragma once
// Kernel source: a file on disk or a string with a name.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace jitcu {

/// CUDA C++ source text and the name errors and `#include "..."` resolution use.
class Source {
 public:
  /// Reads `path` now; its path names the source in errors and quoted includes resolve
  /// relative to its folder. Throws jitcu::Error if the file cannot be read.
  static Source file(const std::string& path);
  /// As file(const std::string&); a null `path` is an Error.
  static Source file(const char* path);
  /// As file(const std::string&).
  static Source file(const std::filesystem::path& path);
  /// Source given as text; `name` appears in errors (quoted includes resolve against the
  /// folder part of `name`, if any, else the current directory).
  static Source string(std::string text, std::string name = "jitcu_program.cu");

  /// Copies share the text; no move operations, so a moved-from Source still reads the same.
  Source(const Source&) = default;
  /// Shares `other`'s text.
  Source& operator=(const Source&) = default;

  /// The CUDA C++ text.
  const std::string& text() const { return data_->text; }
  /// The name errors show: the path for a file source.
  const std::string& name() const { return data_->name; }
  /// Folder that quoted includes of the main source are resolved in (absolute, normal).
  const std::filesystem::path& directory() const { return data_->directory; }
  /// True for Source::file.
  bool from_file() const { return data_->from_file; }
  /// A 64-bit hash of text(), computed once when the Source is made, so that finding a large
  /// source again costs the same as a small one. Equal texts give equal hashes; it is no
  /// fingerprint (the cache keys by SHA-256).
  std::uint64_t text_hash() const { return data_->text_hash; }
  /// Same text, name, folder and kind (copies of one Source compare equal at once).
  friend bool operator==(const Source& a, const Source& b) {
    return a.data_ == b.data_ ||
           (a.data_->text_hash == b.data_->text_hash && a.data_->text == b.data_->text &&
            a.data_->name == b.data_->name && a.data_->directory == b.data_->directory &&
            a.data_->from_file == b.data_->from_file);
  }

 private:
  struct Data {
    std::string text;
    std::string name;
    std::filesystem::path directory;
    bool from_file = false;
    std::uint64_t text_hash = 0;
  };
  Source(std::string text, std::string name, std::filesystem::path directory, bool from_file);
  // Shared, never changed: a copy (the engine keeps one of every source it compiles) is a
  // reference count, not another copy of the text.
  std::shared_ptr<const Data> data_;
};

}  // namespace jitcu
