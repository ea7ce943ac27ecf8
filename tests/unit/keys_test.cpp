// The cache key: every input that can change the compiled code changes it; spellings and
// orders that cannot, do not. Keys come from Engine::key_record (no compile) and are checked
// to be the keys compile() really uses.
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// src/main.cu includes "a/a.h", which includes "../b/deep/b.h".
struct Project {
  TempDir tmp;
  TempDir cache;
  Engine engine = engine_in(cache);
  std::filesystem::path main = tmp / "src/main.cu";
  std::filesystem::path deep = tmp / "src/b/deep/b.h";
  const char* main_text = R"(#include "a/a.h"
template <class T> __global__ void t(T* p) { p[0] = T(A_VALUE + B_VALUE); }
extern "C" __global__ void k(float* p) { p[0] = A_VALUE + B_VALUE; }
)";

  Project() {
    write_file(main, main_text);
    write_file(tmp / "src/a/a.h", "#pragma once\n#include \"../b/deep/b.h\"\n#define A_VALUE 1.0f\n");
    write_file(deep, "#pragma once\n#define B_VALUE 2.0f\n");
    age(deep);
  }
  std::string key(const Source& source, const CompileOptions& options) {
    return engine.key_record(source, options).key().hex();
  }
  std::string key(const CompileOptions& options) { return key(Source::file(main), options); }
  /// Moves a file's mtime into the past, out of any "too recent to trust" window.
  static void age(const std::filesystem::path& path, int seconds = 100) {
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - std::chrono::seconds(seconds));
  }
};

const CompileOptions k_base{.defines = {{"A", "1"}}, .std = "c++17", .arch = "sm_90"};

CompileOptions with(std::function<void(CompileOptions&)> change) {
  CompileOptions options = k_base;
  change(options);
  return options;
}

}  // namespace

TEST_CASE("each input changes the key") {
  Project p;
  std::map<std::string, std::string> keys;  // what changed -> key
  keys["base"] = p.key(k_base);
  keys["define value"] = p.key(with([](auto& o) { o.defines = {{"A", "2"}}; }));
  keys["define added"] = p.key(with([](auto& o) { o.defines.emplace_back("B", ""); }));
  keys["define without value"] = p.key(with([](auto& o) { o.defines = {{"A", ""}}; }));
  keys["extra option"] = p.key(with([](auto& o) { o.extra = {"-ftz=true"}; }));
  keys["another extra option"] = p.key(with([](auto& o) { o.extra = {"-prec-div=false"}; }));
  keys["arch"] = p.key(with([](auto& o) { o.arch = "sm_80"; }));
  keys["compute arch"] = p.key(with([](auto& o) { o.arch = "compute_90"; }));
  keys["std"] = p.key(with([](auto& o) { o.std = "c++20"; }));
  keys["include dir"] = p.key(with([&](auto& o) { o.include_dirs = {p.tmp.path().string()}; }));
  keys["name expression"] = p.key(with([](auto& o) { o.name_expressions = {"t<float>"}; }));
  keys["two name expressions"] = p.key(with([](auto& o) { o.name_expressions = {"t<float>", "t<double>"}; }));
  keys["source text"] = p.key(Source::string(std::string(p.main_text) + "// one more line\n", p.main.string()), k_base);
  keys["source name"] = p.key(Source::string(p.main_text, (p.tmp / "src/other.cu").string()), k_base);

  write_file(p.deep, "#pragma once\n#define B_VALUE 3.0f\n");  // same size, new content
  Project::age(p.deep, 50);
  keys["deep header content"] = p.key(k_base);

  std::set<std::string> distinct;
  for (const auto& [what, key] : keys) {
    INFO(what << ": " << key);
    CHECK(key.size() == 64);
    distinct.insert(key);
  }
  CHECK(distinct.size() == keys.size());
}

TEST_CASE("orders and spellings that mean the same compile give the same key") {
  Project p;
  const auto base = p.key(k_base);
  CHECK(p.key(k_base) == base);  // deterministic
  CHECK(p.key(with([](auto& o) { o.defines = {{"A", "1"}, {"B", "2"}}; })) ==
        p.key(with([](auto& o) { o.defines = {{"B", "2"}, {"A", "1"}}; })));
  CHECK(p.key(with([](auto& o) { o.extra = {"-ftz=true", "-lineinfo"}; })) ==
        p.key(with([](auto& o) { o.extra = {"-lineinfo", "-ftz=true"}; })));
  CHECK(p.key(with([](auto& o) { o.extra = {"--ftz=true"}; })) == p.key(with([](auto& o) { o.extra = {"-ftz=true"}; })));
  // the same option through extra or through its own field
  CHECK(p.key(with([](auto& o) { o.defines = {}; o.extra = {"-DA=1"}; })) == base);
  CHECK(p.key(with([](auto& o) { o.extra = {"-std=c++20"}; })) == p.key(with([](auto& o) { o.std = "c++20"; })));
  CHECK(p.key(with([](auto& o) { o.arch = ""; o.extra = {"-arch=sm_80"}; })) ==
        p.key(with([](auto& o) { o.arch = "sm_80"; })));
  // the same text under the same name, from a file or a string
  CHECK(p.key(Source::string(p.main_text, p.main.string()), k_base) == base);
}

TEST_CASE("no options, and options that add nothing, give one key and one options text") {
  // No defines, folders or extra options take a shorter path to the key (every cache hit
  // does); an empty extra option takes the general one. Both must say the same.
  Project p;
  const CompileOptions none{.arch = "sm_90"};
  const auto fields_of = [&](const CompileOptions& options) {
    const auto record = p.engine.key_record(Source::file(p.main), options);
    return std::map<std::string, std::string>(record.fields().begin(), record.fields().end());
  };
  const auto plain = fields_of(none);
  CHECK(plain.at("options") == "std=c++17\ndefines=\ninclude=\nextra=");
  for (const CompileOptions& same : {CompileOptions{.arch = "sm_90", .extra = {""}},
                                     CompileOptions{.std = "c++17", .arch = "sm_90"},
                                     CompileOptions{.extra = {"-arch=sm_90"}},
                                     CompileOptions{.arch = "sm_90", .extra = {"-std=c++17", ""}}})
    CHECK(fields_of(same) == plain);
  const auto cxx20 = fields_of(CompileOptions{.std = "c++20", .arch = "sm_90"});
  CHECK(cxx20.at("options") == "std=c++20\ndefines=\ninclude=\nextra=");
  CHECK(fields_of(CompileOptions{.arch = "sm_90", .extra = {"-std=c++20"}}) == cxx20);
  // Both paths refuse what NVRTC would not take, naming it.
  const std::pair<CompileOptions, const char*> bad[] = {{CompileOptions{.arch = "sm_9"}, "arch 'sm_9'"},
                                                        {CompileOptions{.arch = "sm_9", .extra = {""}}, "arch 'sm_9'"},
                                                        {CompileOptions{.std = "c++98"}, "standard 'c++98'"},
                                                        {CompileOptions{.extra = {"-std=c++98"}}, "standard 'c++98'"}};
  for (const auto& [options, named] : bad)
    CHECK_THROWS_WITH_AS(p.engine.key_record(Source::file(p.main), options), doctest::Contains(named), Error);
}

TEST_CASE("touching a header without changing it keeps the key; changing it does not") {
  Project p;
  const auto before = p.key(k_base);
  write_file(p.deep, "#pragma once\n#define B_VALUE 2.0f\n");  // same content, rewritten
  Project::age(p.deep, 10);                                     // a new mtime
  CHECK(p.key(k_base) == before);
  std::filesystem::last_write_time(p.deep, std::filesystem::file_time_type::clock::now());  // touch: now
  CHECK(p.key(k_base) == before);

  write_file(p.deep, "#pragma once\n#define B_VALUE 2.0f\n#define UNUSED 1\n");
  CHECK(p.key(k_base) != before);
  write_file(p.deep, "#pragma once\n#define B_VALUE 2.0f\n");
  CHECK(p.key(k_base) == before);  // and back
}

TEST_CASE("a same-size edit within the mtime's granularity still changes the key") {
  // A coarse file system clock can leave size, mtime and inode alike after an edit; a header
  // read while its mtime was that recent must be read again, not trusted from memory.
  Project p;
  write_file(p.deep, "#pragma once\n#define B_VALUE 2.0f\n");
  const auto stamp = std::filesystem::last_write_time(p.deep);
  const auto before = p.key(k_base);
  write_file(p.deep, "#pragma once\n#define B_VALUE 5.0f\n");
  std::filesystem::last_write_time(p.deep, stamp);  // same size, same mtime, same inode
  CHECK(p.key(k_base) != before);
}

TEST_CASE("the key compile() uses is the key_record's key") {
  Project p;
  const Module module = p.engine.compile(Source::file(p.main), k_base);
  CHECK(module.cache_key() == p.key(k_base));
  const Module ftz = p.engine.compile(Source::file(p.main), with([](auto& o) { o.extra = {"-ftz=true"}; }));
  CHECK(ftz.cache_key() == p.key(with([](auto& o) { o.extra = {"--ftz=true"}; })));
  CHECK(ftz.cache_key() != module.cache_key());
  CHECK(module.cache_path().filename().string() == module.cache_key());
}

TEST_CASE("the key record names its inputs") {
  Project p;
  const auto record = p.engine.key_record(Source::file(p.main), with([](auto& o) { o.name_expressions = {"t<float>"}; }));
  std::map<std::string, std::string> fields(record.fields().begin(), record.fields().end());
  CHECK(fields["arch"] == "sm_90");
  CHECK(fields["source_name"] == p.main.string());
  CHECK(fields["name_expressions"] == "t<float>");
  CHECK(fields["options"].find("A=1") != std::string::npos);
  CHECK(fields["options"].find("c++17") != std::string::npos);
  CHECK(fields.count("nvrtc") == 1);
  CHECK(fields.count("header " + (p.tmp / "src/b/deep/b.h").lexically_normal().string()) == 1);
}
