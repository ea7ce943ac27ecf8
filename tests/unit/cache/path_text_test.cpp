// path_text: the cache-hit path's string paths must say what std::filesystem says.
#include "cache_test_util.hpp"

#include <jitcu/cache/path_text.hpp>

#include <unistd.h>

using namespace jitcu;
using namespace jitcu::test;
namespace fs = std::filesystem;

namespace {

/// A path of 0-7 random pieces, covering ".", "..", repeated and trailing separators.
std::string random_path(std::mt19937_64& rng) {
  static const char* const k_pieces[] = {"a", "bc", ".", "..", "/", "//", "k.cu", "...", ".h"};
  std::string path;
  const int pieces = static_cast<int>(rng() % 8);
  for (int i = 0; i < pieces; ++i) path += k_pieces[rng() % std::size(k_pieces)];
  return path;
}

}  // namespace

TEST_CASE("path_text agrees with std::filesystem on random paths") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 200'000; ++i) {
    const std::string path = random_path(rng);
    INFO("path '" << path << "'");
    REQUIRE(path_text::lexically_normal(path) == fs::path(path).lexically_normal().string());
    REQUIRE(path_text::parent(path) == fs::path(path).parent_path().string());
    if (!path.empty()) REQUIRE(path_text::absolute(path) == fs::absolute(path).string());
    std::string name = random_path(rng);
    if (!name.empty() && name.front() == '/') continue;  // join takes a relative name
    INFO("name '" << name << "'");
    REQUIRE(path_text::join(path, name) == (fs::path(path) / name).string());
  }
}

TEST_CASE("path_text on the cases a reader would check by hand") {
  CHECK(path_text::lexically_normal("/a/./b/../c.cu") == "/a/c.cu");
  CHECK(path_text::lexically_normal("a/.") == "a/");
  CHECK(path_text::lexically_normal("a/..") == ".");
  CHECK(path_text::lexically_normal("../.") == "..");
  CHECK(path_text::lexically_normal("/..") == "/");
  CHECK(path_text::lexically_normal("//") == "//");  // libstdc++ keeps a separators-only path
  CHECK(path_text::lexically_normal("") == "");
  CHECK(path_text::lexically_normal("/usr/local/cuda/") == "/usr/local/cuda/");  // already normal: kept
  CHECK(path_text::lexically_normal("a/.../k.cu") == "a/.../k.cu");                // "..." is a name
  CHECK(path_text::lexically_normal("a//k.cu") == "a/k.cu");
  CHECK(path_text::parent("/a/b.cu") == "/a");
  CHECK(path_text::parent("/a//b.cu") == "/a");
  CHECK(path_text::parent("/a") == "/");
  CHECK(path_text::parent("b.cu") == "");
  CHECK(path_text::join("/root/", ".cache/jitcu") == "/root/.cache/jitcu");
  CHECK(path_text::join("", "x") == "x");
  CHECK(path_text::absolute("/already") == "/already");
  CHECK(path_text::absolute("rel/x") == (fs::current_path() / "rel/x").string());
}
