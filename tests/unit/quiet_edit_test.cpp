// Edits that keep a file's size, mtime and inode (touch -r, rsync -t, editors that restore
// times) are still seen: the in-process cache stamps files with their ctime too, and the source
// text is compared, not stamped. Checked in this process and in a new one.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <thread>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// Writes `text` over `path` in place (same inode) and puts its old mtime back.
void edit_quietly(const std::filesystem::path& path, const std::string& text) {
  const auto inode = [&] {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_ino;
  };
  const auto mtime = std::filesystem::last_write_time(path);
  const auto size = std::filesystem::file_size(path);
  const auto before = inode();
  write_file(path, text);
  std::filesystem::last_write_time(path, mtime);
  REQUIRE(inode() == before);
  REQUIRE(std::filesystem::file_size(path) == size);
}

/// The key a new process gets for `source`.
std::string key_in_new_process(const std::filesystem::path& source, const TempDir& cache) {
  const auto child = run_process({"timeout", "120", JITCU_TEST_CHILD, source.string()},
                                 {{"JITCU_CACHE_DIR", cache.path().string()}, {"JITCU_DISABLE_CACHE", ""}});
  INFO(child.output);
  REQUIRE(child.exit_code == 0);
  return output_field(child.output, "key");
}

}  // namespace

TEST_CASE("a header and a source two folders deep, edited with size and mtime kept, give new modules") {
  TempDir tmp, cache;
  const auto source = tmp / "one/two/kernel.cu";
  const auto header = tmp / "one/two/value.h";
  write_file(header, "#define VALUE 1234567\n");
  write_file(source, "#include \"value.h\"\nextern \"C\" __global__ void k(int* p) { *p = VALUE; }\n");
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(100);
  std::filesystem::last_write_time(header, old);
  std::filesystem::last_write_time(source, old);
  // Past the window in which a stamp cannot vouch for a file (a second), so only the stamp decides.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));

  auto engine = engine_in(cache);
  const Module first = engine.compile(Source::file(source));
  CHECK(engine.compile(Source::file(source)).origin() == Origin::process_cache);
  CHECK(first.ptx().find("1234567") != std::string::npos);

  edit_quietly(header, "#define VALUE 7654321\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const Module header_edited = engine.compile(Source::file(source));
  CHECK(header_edited.origin() == Origin::compiled);
  CHECK(header_edited.cache_key() != first.cache_key());
  CHECK(header_edited.ptx().find("7654321") != std::string::npos);
  CHECK(key_in_new_process(source, cache) == header_edited.cache_key());

  edit_quietly(source, "#include \"value.h\"\nextern \"C\" __global__ void k(int* q) { *q = VALUE; }\n");
  const Module source_edited = engine.compile(Source::file(source));
  CHECK(source_edited.origin() == Origin::compiled);
  CHECK(source_edited.cache_key() != header_edited.cache_key());
  CHECK(key_in_new_process(source, cache) == source_edited.cache_key());
}
