#include "regular_file.hpp"

#include <jitcu/cache/text_hash.hpp>
#include <jitcu/error.hpp>
#include <jitcu/source.hpp>

#include <optional>

#include <fmt/format.h>

namespace jitcu {

Source::Source(std::string text, std::string name, std::filesystem::path directory, bool from_file) {
  const std::uint64_t hash = cache::text_hash(text);
  data_ = std::make_shared<const Data>(Data{std::move(text), std::move(name), std::move(directory), from_file, hash});
}

namespace {

/// The absolute, normal folder of `path`.
std::filesystem::path folder_of(const std::string& path) {
  std::error_code ignored;  // no current directory: the path as given
  return std::filesystem::absolute(path, ignored).parent_path().lexically_normal();
}

void refuse_nul_bytes(const std::string& text, const std::string& name) {
  const std::size_t line = detail::first_nul_line(text);
  if (line == 0) return;
  throw Error(fmt::format("kernel source '{}' has a NUL byte on line {} ({}:{}): NVRTC reads a source as a C "
                          "string and would ignore everything after it; remove the byte (is it a text file?)",
                          name, line, name, line));
}

}  // namespace

Source Source::file(const std::string& path) {
  std::string why;
  std::optional<std::string> text = detail::read_regular_file(path, why);
  if (!text) {
    std::error_code ec;
    throw Error(fmt::format("cannot read kernel source '{}': {}; check the path (relative paths start "
                            "at the current directory, {})",
                            path, why, std::filesystem::current_path(ec).string()));
  }
  refuse_nul_bytes(*text, path);
  return Source(std::move(*text), path, folder_of(path), true);
}

Source Source::file(const char* path) {
  if (path == nullptr) throw Error("Source::file was given a null path; pass the kernel file's path");
  return file(std::string(path));
}

Source Source::file(const std::filesystem::path& path) { return file(path.string()); }

Source Source::string(std::string text, std::string name) {
  if (name.empty()) name = "jitcu_program.cu";
  refuse_nul_bytes(text, name);
  std::filesystem::path directory = folder_of(name);
  return Source(std::move(text), std::move(name), std::move(directory), false);
}

}  // namespace jitcu
