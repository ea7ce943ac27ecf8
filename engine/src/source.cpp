#include <jitcu/error.hpp>
#include <jitcu/source.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace jitcu {

Source::Source(std::string text, std::string name, std::filesystem::path directory, bool from_file)
    : text_(std::move(text)), name_(std::move(name)), directory_(std::move(directory)), from_file_(from_file) {}

Source Source::file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec))
    throw Error(fmt::format("cannot read kernel source '{}': {}; check the path (relative paths start "
                            "at the current directory, {})",
                            path.string(), std::filesystem::is_directory(path, ec) ? "it is a folder" : std::strerror(errno),
                            std::filesystem::current_path(ec).string()));
  std::ostringstream text;
  text << in.rdbuf();
  auto directory = std::filesystem::absolute(path, ec).parent_path().lexically_normal();
  return Source(text.str(), path.string(), std::move(directory), true);
}

Source Source::string(std::string text, std::string name) {
  if (name.empty()) name = "jitcu_program.cu";
  std::error_code ec;
  const std::filesystem::path as_path(name);
  auto directory = as_path.has_parent_path() ? std::filesystem::absolute(as_path.parent_path(), ec)
                                             : std::filesystem::current_path(ec);
  return Source(std::move(text), std::move(name), directory.lexically_normal(), false);
}

}  // namespace jitcu
