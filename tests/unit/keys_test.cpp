// The cache key: every input that can change the compiled code changes it; spellings and
// orders that cannot, do not. Keys come from Engine::key_record (no compile) and are checked
// to be the keys compile() really uses.
#include "engine_support.hpp"

#include "compile_request.hpp"

#include <doctest/doctest.h>

#include <algorithm>
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
  // the same option through extra or through its own field
  CHECK(p.key(with([](auto& o) { o.defines = {}; o.extra = {"-DA=1"}; })) == base);
  CHECK(p.key(with([](auto& o) { o.extra = {"-std=c++20"}; })) == p.key(with([](auto& o) { o.std = "c++20"; })));
  CHECK(p.key(with([](auto& o) { o.arch = ""; o.extra = {"-arch=sm_80"}; })) ==
        p.key(with([](auto& o) { o.arch = "sm_80"; })));
  // the same text under the same name, from a file or a string
  CHECK(p.key(Source::string(p.main_text, p.main.string()), k_base) == base);
}

TEST_CASE("options that add nothing give the same key; what NVRTC refuses is named") {
  Project p;
  const CompileOptions none{.arch = "sm_90"};
  const auto plain = p.engine.key_record(Source::file(p.main), none).fields();
  for (const CompileOptions& same : {CompileOptions{.arch = "sm_90", .extra = {""}},
                                     CompileOptions{.std = "c++17", .arch = "sm_90"},
                                     CompileOptions{.extra = {"-arch=sm_90"}},
                                     CompileOptions{.arch = "sm_90", .extra = {"-std=c++17", ""}}})
    CHECK(p.engine.key_record(Source::file(p.main), same).fields() == plain);
  const std::pair<CompileOptions, const char*> bad[] = {{CompileOptions{.arch = "sm_9"}, "arch 'sm_9'"},
                                                        {CompileOptions{.arch = "sm_9", .extra = {""}}, "arch 'sm_9'"},
                                                        {CompileOptions{.std = "c++98"}, "standard 'c++98'"},
                                                        {CompileOptions{.extra = {"-std=c++98"}}, "standard 'c++98'"},
                                                        {CompileOptions{.extra = {"-D9X=1"}}, "define '9X' is not a macro name"}};
  for (const auto& [options, named] : bad)
    CHECK_THROWS_WITH_AS(p.engine.key_record(Source::file(p.main), options), doctest::Contains(named), Error);
}

// Issue 21's two collisions: each pair means two different compiles to NVRTC.
TEST_CASE("a define whose value holds spaces and two defines are two keys") {
  Project p;
  CHECK(p.key(CompileOptions{.arch = "sm_90", .extra = {"-DA=1 B=2"}}) !=
        p.key(CompileOptions{.arch = "sm_90", .extra = {"-DA=1", "-DB=2"}}));
  CHECK(p.key(CompileOptions{.defines = {{"A", "1 B=2"}}, .arch = "sm_90"}) !=
        p.key(CompileOptions{.defines = {{"A", "1"}, {"B", "2"}}, .arch = "sm_90"}));
}

TEST_CASE("the same options in another order are another key where NVRTC lets the last one win") {
  Project p;
  CHECK(p.key(with([](auto& o) { o.extra = {"-ftz=true", "-ftz=false"}; })) !=
        p.key(with([](auto& o) { o.extra = {"-ftz=false", "-ftz=true"}; })));
  CHECK(p.key(with([](auto& o) { o.defines = {{"X", "1"}, {"X", "2"}}; })) !=
        p.key(with([](auto& o) { o.defines = {{"X", "2"}, {"X", "1"}}; })));
  CHECK(p.key(with([](auto& o) { o.extra = {"-UX", "-DX=1"}; })) != p.key(with([](auto& o) { o.extra = {"-DX=1", "-UX"}; })));
  // "-D X=" defines X as empty, "-D X" as 1: two compiles
  CHECK(p.key(with([](auto& o) { o.extra = {"-DX="}; })) != p.key(with([](auto& o) { o.extra = {"-DX"}; })));
}

// The property: two option lists share a key exactly when NVRTC is given the same options in
// the same order. Random lists from a small alphabet collide often enough to test both ways.
TEST_CASE("random option lists share a key only when NVRTC sees the same option sequence") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> macros = {"-DA", "-DA=1", "-DA=", "-DA=1 B=2", "-DB=2", "-DB", "-UA", "-UB",
                                           "--define-macro=A=1", "-D A", "-DC=x y"};
  const std::vector<std::string> others = {"-ftz=true", "-ftz=false", "--ftz=true", "-lineinfo", "--use_fast_math",
                                           "-prec-div=false", "-I/tmp/a", "-I/tmp/b", "-std=c++20", ""};
  const std::vector<std::pair<std::string, std::string>> pairs = {{"A", "1"}, {"B", "2"}, {"A", ""}, {"C", "x y"}};
  const auto random_options = [&] {
    CompileOptions options{.arch = "sm_90"};
    for (std::size_t i = rng() % 3; i > 0; --i) options.defines.push_back(pairs[rng() % pairs.size()]);
    for (std::size_t i = rng() % 4; i > 0; --i)
      options.extra.push_back(rng() % 2 ? macros[rng() % macros.size()] : others[rng() % others.size()]);
    return options;
  };
  const Source source = Source::string("__global__ void k() {}", "k.cu");
  std::size_t same_keys = 0, checked = 0;
  for (int i = 0; i < 400; ++i) {
    const CompileOptions a = random_options(), b = random_options();
    std::optional<detail::CompileRequest> request_a, request_b;
    try {
      request_a = detail::make_request(source, a, "sm_90");
      request_b = detail::make_request(source, b, "sm_90");
    } catch (const Error&) {
      continue;  // "-D A" (a space before the name) is refused, as NVRTC would
    }
    const bool same_key = detail::make_key_record(*request_a, {}).key() == detail::make_key_record(*request_b, {}).key();
    const bool same_nvrtc = request_a->nvrtc_options() == request_b->nvrtc_options();
    INFO("a: " << request_a->nvrtc_options().size() << " options, b: " << request_b->nvrtc_options().size());
    CHECK(same_key == same_nvrtc);
    same_keys += same_key;
    ++checked;
  }
  CHECK(checked > 100);
  CHECK(same_keys > 0);  // the alphabet is small enough that some pairs are the same compile
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
  CHECK(ftz.cache_key() == p.key(with([](auto& o) { o.extra = {"-ftz=true"}; })));
  CHECK(ftz.cache_key() != module.cache_key());
  CHECK(module.cache_path().filename().string() == module.cache_key());
}

TEST_CASE("the key record names its inputs, one field per option") {
  Project p;
  const auto record = p.engine.key_record(
      Source::file(p.main), with([](auto& o) { o.name_expressions = {"t<float>"}; o.extra = {"-ftz=true", "-lineinfo"}; }));
  std::multimap<std::string, std::string> fields(record.fields().begin(), record.fields().end());
  CHECK(fields.find("arch")->second == "sm_90");
  CHECK(fields.find("source_name")->second == p.main.string());
  CHECK(fields.find("name_expression")->second == "t<float>");
  CHECK(fields.find("macro")->second == "-DA=1");
  CHECK(fields.find("std")->second == "c++17");
  const auto [first, last] = fields.equal_range("option");
  std::vector<std::string> options;
  for (auto it = first; it != last; ++it) options.push_back(it->second);
  CHECK(options == std::vector<std::string>{"-ftz=true", "-lineinfo"});  // the order given
  CHECK(fields.count("nvrtc") == 1);
  const auto header = fields.find("header");
  REQUIRE(header != fields.end());
  CHECK(header->second.starts_with((p.tmp / "src/a/a.h").lexically_normal().string() + "\t"));
  CHECK(fields.count("header") == 2);
}
