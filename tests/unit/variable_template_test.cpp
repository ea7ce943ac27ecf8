// A __device__/__constant__ variable template asked for as a name expression ("&table<float>"):
// real NVRTC lowers it to a symbol that the PTX defines with the variable's size, and the
// cache entry keeps that mapping for a later process. No GPU needed.
#include "engine_support.hpp"
#include "variable_tables.hpp"

#include "names.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>

using namespace jitcu;
using namespace jitcu::test;

namespace {

const CompileOptions k_table_options{.arch = "sm_90", .name_expressions = k_table_name_expressions};

// The name expressions -> lowered symbols that the cache entry of `module` keeps.
std::map<std::string, std::string> stored_lowered_names(const Module& module) {
  const auto meta = nlohmann::json::parse(read_file(module.cache_path() / "meta.json"));
  return meta.at("name_expressions").get<std::map<std::string, std::string>>();
}

}  // namespace

TEST_CASE("NVRTC lowers variable-template name expressions to symbols the PTX defines with the right size") {
  TempDir cache;
  const Module module = engine_in(cache).compile(Source::string(k_tables_source, "tables.cu"), k_table_options);
  const auto lowered = stored_lowered_names(module);
  REQUIRE(lowered.size() == 4);
  const std::string ptx = module.ptx();
  struct Expected {
    const char* expression;
    const char* readable;
    const char* state_space;
    int bytes;
  };
  for (const Expected& e : {Expected{"&table<float>", "table<float>", ".global", 16},
                            Expected{"&table<double>", "table<double>", ".global", 32},
                            Expected{"& offsets< float >", "offsets<float>", ".const", 16},
                            Expected{"&lut::weights<3>", "lut::weights<3>", ".global", 12}}) {
    INFO(e.expression);
    REQUIRE(lowered.count(e.expression) == 1);
    const std::string symbol = lowered.at(e.expression);
    CHECK(detail::demangle(symbol) == e.readable);
    const std::string declaration = " .b8 " + symbol + "[" + std::to_string(e.bytes) + "];";
    const auto at = ptx.find(declaration);
    REQUIRE_MESSAGE(at != std::string::npos, "no '" << declaration << "' in the PTX");
    const auto line_start = ptx.rfind('\n', at) + 1;
    CHECK(ptx.compare(line_start, std::string(e.state_space).size(), e.state_space) == 0);
  }
  CHECK(lowered.at("&table<float>") == "_Z5tableIfE");  // Itanium ABI: what cuLibraryGetGlobal is asked for
}

TEST_CASE("a fresh engine reads the lowered variable names back from the disk cache") {
  TempDir cache;
  const Source source = Source::string(k_tables_source, "tables.cu");
  const Module first = engine_in(cache).compile(source, k_table_options);
  REQUIRE(first.origin() == Origin::compiled);
  const Module again = engine_in(cache).compile(source, k_table_options);
  CHECK(again.origin() == Origin::disk_cache);
  CHECK(again.cache_key() == first.cache_key());
  CHECK(stored_lowered_names(again) == stored_lowered_names(first));
  CHECK(again.ptx() == first.ptx());
}
