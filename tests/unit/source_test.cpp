// Source: a file read now, or a string with a name; the name is what errors and includes use.
#include "engine_support.hpp"

#include <doctest/doctest.h>

using namespace jitcu;
using namespace jitcu::test;


TEST_CASE("Source::file reads the file now and is named by its path") {
  TempDir tmp;
  const auto path = tmp / "k.cu";
  write_file(path, "extern \"C\" __global__ void k() {}\n");
  const Source source = Source::file(path);
  write_file(path, "changed later\n");  // the text was read at Source::file
  CHECK(source.text() == "extern \"C\" __global__ void k() {}\n");
  CHECK(source.name() == path.string());
  CHECK(source.directory() == tmp.path().lexically_normal());
  CHECK(source.from_file());
}

TEST_CASE("Source::file takes a char pointer, a string or a path alike, and folds . and ..") {
  TempDir tmp;
  write_file(tmp / "src" / "k.cu", "extern \"C\" __global__ void k() {}\n");
  std::filesystem::create_directories(tmp / "other");
  const ScopedCurrentDir cwd(tmp.path());
  const std::string given = "./other/../src//k.cu";
  const Source from_chars = Source::file(given.c_str());
  const Source from_string = Source::file(given);
  const Source from_path = Source::file(std::filesystem::path(given));
  const auto expected_dir = std::filesystem::absolute(given).parent_path().lexically_normal();
  for (const Source* source : {&from_chars, &from_string, &from_path}) {
    CHECK(source->name() == given);
    CHECK(source->text() == "extern \"C\" __global__ void k() {}\n");
    CHECK(source->directory() == expected_dir);
    CHECK(source->directory() == expected_dir);
  }
  CHECK(from_string.directory() == std::filesystem::current_path() / "src");
}

TEST_CASE("Source::file of a missing file throws an Error naming the path") {
  TempDir tmp;
  const auto missing = tmp / "no_such_kernel.cu";
  CHECK_THROWS_WITH_AS(Source::file(missing), doctest::Contains(missing.string().c_str()), Error);
  CHECK_THROWS_WITH_AS(Source::file(tmp.path()), doctest::Contains("folder"), Error);
  const char* no_path = nullptr;
  CHECK_THROWS_WITH_AS(Source::file(no_path), doctest::Contains("null path"), Error);
}

TEST_CASE("Source::string keeps its name; quoted includes resolve against the name's folder") {
  TempDir tmp;
  const Source unnamed = Source::string("__global__ void k() {}");
  CHECK(unnamed.name() == "jitcu_program.cu");
  CHECK_FALSE(unnamed.from_file());
  CHECK(Source::string("x", "").name() == "jitcu_program.cu");

  const Source absolute = Source::string("x", (tmp / "sub" / "k.cu").string());
  CHECK(absolute.name() == (tmp / "sub" / "k.cu").string());
  CHECK(absolute.directory() == (tmp / "sub").lexically_normal());

  const ScopedCurrentDir cwd(tmp.path());
  const Source relative = Source::string("x", "sub/k.cu");
  CHECK(relative.name() == "sub/k.cu");
  CHECK(relative.directory() == (std::filesystem::current_path() / "sub").lexically_normal());
  CHECK(Source::string("x", "k.cu").directory() == std::filesystem::current_path().lexically_normal());
}

TEST_CASE("a relative Source::file keeps the path as given and finds its headers") {
  TempDir tmp;
  write_file(tmp / "src" / "k.cu", "#include \"k.h\"\nextern \"C\" __global__ void k(int* p) { *p = VALUE; }\n");
  write_file(tmp / "src" / "k.h", "#define VALUE 7\n");
  const ScopedCurrentDir cwd(tmp.path());
  const Source source = Source::file("src/k.cu");
  CHECK(source.name() == "src/k.cu");
  CHECK(source.directory() == (std::filesystem::current_path() / "src").lexically_normal());
  auto engine = engine_in(tmp);
  const Module module = engine.compile(source);
  CHECK(module.has_kernel("k"));
}

TEST_CASE("copies of a Source share its text; a moved-from Source still reads the same") {
  std::mt19937 rng(test::test_seed());
  std::string text = "// " + std::to_string(rng()) + "\nextern \"C\" __global__ void k() {}\n";
  const Source original = Source::string(text, "dir/copied.cu");
  const Source copy = original;
  CHECK(&copy.text() == &original.text());  // one text, not two
  Source moved_from = original;
  const Source moved = std::move(moved_from);
  for (const Source* source : std::initializer_list<const Source*>{&copy, &moved, &moved_from}) {
    CHECK(source->text() == text);
    CHECK(source->name() == "dir/copied.cu");
    CHECK(source->directory() == original.directory());
    CHECK_FALSE(source->from_file());
  }
}

TEST_CASE("text_hash: equal texts hash alike whatever their name or origin; a changed byte changes it") {
  std::mt19937 rng(test::test_seed());
  std::string text;
  for (int line = 0; line < 2000; ++line) text += "// line " + std::to_string(rng()) + "\n";
  text += "extern \"C\" __global__ void k() {}\n";
  TempDir tmp;
  const auto file = tmp.path() / "hashed.cu";
  write_file(file, text);

  const Source from_string = Source::string(text, "one.cu");
  const Source from_file = Source::file(file);
  CHECK(from_string.text_hash() == Source::string(text, "other/two.cu").text_hash());
  CHECK(from_string.text_hash() == from_file.text_hash());
  CHECK(from_string.text_hash() == Source(from_string).text_hash());
  CHECK_FALSE(from_string == from_file);  // same text, other name and kind: different sources

  for (int trial = 0; trial < 20; ++trial) {
    std::string changed = text;
    auto& byte = changed[rng() % (changed.size() - 40)];  // before the kernel line
    byte = static_cast<char>(byte == 'x' ? 'y' : 'x');
    CAPTURE(trial);
    CHECK(Source::string(changed, "one.cu").text_hash() != from_string.text_hash());
    CHECK_FALSE(Source::string(changed, "one.cu") == from_string);
  }
}

TEST_CASE("a large source found again in the process is the same module, and an edited copy is not") {
  std::mt19937 rng(test::test_seed());
  std::string filler;
  for (int line = 0; line < 20000; ++line) filler += "// filler " + std::to_string(rng()) + "\n";  // ~400 KiB
  TempDir tmp;
  auto engine = engine_in(tmp);
  const Source big = Source::string(filler + "extern \"C\" __global__ void k(int* p) { p[0] = 1; }\n", "big.cu");
  const Module first = engine.compile(big);
  CHECK(first.origin() == Origin::compiled);
  CHECK(engine.compile(big).origin() == Origin::process_cache);
  const Source same_text = Source::string(big.text(), "big.cu");
  CHECK(engine.compile(same_text).origin() == Origin::process_cache);
  const Source edited = Source::string(filler + "extern \"C\" __global__ void k(int* p) { p[0] = 2; }\n", "big.cu");
  const Module other = engine.compile(edited);
  CHECK(other.origin() == Origin::compiled);
  CHECK(other.ptx() != first.ptx());
}
