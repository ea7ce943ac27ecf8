// jitcu cache explain: hit, or which define, option, header or arch made the key differ.
#include "cli_test_util.hpp"

namespace jitcu::test {
namespace {

const std::string k_blocked_kernel =
    "#include \"tuning.h\"\n"
    "extern \"C\" __global__ void blocked(float* x) { x[threadIdx.x % BLOCK] *= FACTOR; }\n";

TEST_CASE("explain names the define that changed and both of its values") {
  Cli cli;
  cli.write("tuning.h", "#define FACTOR 2.0f\n");
  const std::string file = cli.write("blocked.cu", k_blocked_kernel);
  REQUIRE(cli.run({"compile", file, "-DBLOCK=128", "--arch", "sm_90"}).exit_code == 0);

  const ProcessResult text = cli.run({"cache", "explain", file, "-DBLOCK=256", "--arch", "sm_90"});
  INFO(text.output);
  CHECK(text.exit_code == 0);
  CHECK(contains(text.output, "miss"));
  CHECK(contains(text.output, "define BLOCK changed: was 128, now 256"));

  const auto json = cli.run_json({"cache", "explain", file, "-DBLOCK=256", "-DEXTRA", "--arch", "sm_90", "--json"});
  CHECK(json["hit"] == false);
  CHECK(json["same_source"] == true);
  REQUIRE(json["differences"].size() == 2);
  const auto& changed = json["differences"][0];
  CHECK(changed["topic"] == "define");
  CHECK(changed["name"] == "BLOCK");
  CHECK(changed["was"] == "128");
  CHECK(changed["now"] == "256");
  CHECK(json["differences"][1]["name"] == "EXTRA");
  CHECK(contains(json["differences"][1]["message"].get<std::string>(), "define EXTRA added"));
}

TEST_CASE("explain says hit for the same inputs and names an edited header") {
  Cli cli;
  const std::string header = cli.write("tuning.h", "#define FACTOR 2.0f\n");
  const std::string file = cli.write("blocked.cu", k_blocked_kernel);
  REQUIRE(cli.run({"compile", file, "-DBLOCK=128", "--arch", "sm_90"}).exit_code == 0);
  const std::string key = cli.entries()[0]["key"];

  const ProcessResult hit = cli.run({"cache", "explain", file, "-DBLOCK=128", "--arch", "sm_90"});
  INFO(hit.output);
  CHECK(hit.exit_code == 0);
  CHECK(contains(hit.output, "hit: entry " + key.substr(0, 12)));
  CHECK(cli.run_json({"cache", "explain", file, "-DBLOCK=128", "--arch", "sm_90", "--json"})["hit"] == true);

  write_file(header, "#define FACTOR 3.0f\n");
  const ProcessResult edited = cli.run({"cache", "explain", file, "-DBLOCK=128", "--arch", "sm_90"});
  INFO(edited.output);
  CHECK(edited.exit_code == 0);
  CHECK(contains(edited.output, "header"));
  CHECK(contains(edited.output, "tuning.h changed (sha256"));
  CHECK_FALSE(contains(edited.output, "define"));
}

TEST_CASE("explain names an in-memory header (--header) whose text changed, as it names a file header") {
  Cli cli;
  const std::string text = cli.write("gen/tuning.txt", "#define FACTOR 2.0f\n");
  const std::string file = cli.write("blocked.cu", k_blocked_kernel);
  const std::vector<std::string> flags = {"-DBLOCK=128", "--header", "tuning.h=" + text, "--arch", "sm_90"};
  std::vector<std::string> compile = {"compile", file}, explain = {"cache", "explain", file};
  compile.insert(compile.end(), flags.begin(), flags.end());
  explain.insert(explain.end(), flags.begin(), flags.end());
  REQUIRE(cli.run(compile).exit_code == 0);
  CHECK(contains(cli.run(explain).output, "hit: entry"));

  write_file(text, "#define FACTOR 3.0f\n");
  const ProcessResult edited = cli.run(explain);
  INFO(edited.output);
  CHECK(edited.exit_code == 0);
  CHECK(contains(edited.output, "header tuning.h (in memory) changed (sha256"));
  CHECK_FALSE(contains(edited.output, "define"));

  explain.push_back("--json");
  const auto json = cli.run_json(explain);
  REQUIRE(json["differences"].size() == 1);
  CHECK(json["differences"][0]["field"] == "memory_header");
  CHECK(json["differences"][0]["topic"] == "header");
  CHECK(json["differences"][0]["name"] == "tuning.h");
}

TEST_CASE("explain names a changed arch, option, NVRTC option and source text") {
  Cli cli;
  cli.write("tuning.h", "#define FACTOR 2.0f\n");
  const std::string file = cli.write("blocked.cu", k_blocked_kernel);
  REQUIRE(cli.run({"compile", file, "-DBLOCK=128", "--arch", "sm_80"}).exit_code == 0);

  const ProcessResult arch = cli.run({"cache", "explain", file, "-DBLOCK=128", "--arch", "sm_90"});
  INFO(arch.output);
  CHECK(contains(arch.output, "arch sm_80 → sm_90"));

  const ProcessResult options = cli.run({"cache", "explain", file, "-DBLOCK=128", "--arch", "sm_80", "--std",
                                         "c++20", "--nvrtc-option=-ftz=true"});
  INFO(options.output);
  CHECK(contains(options.output, "option changed: std was c++17, now c++20"));
  CHECK(contains(options.output, "NVRTC option added: -ftz=true"));

  write_file(file, k_blocked_kernel + "// an edit\n");
  const ProcessResult source = cli.run({"cache", "explain", file, "-DBLOCK=128", "--arch", "sm_80"});
  INFO(source.output);
  CHECK(contains(source.output, "source text changed"));
}

TEST_CASE("explain of a source the cache has never seen shows the nearest entry by fields") {
  Cli cli;
  const std::string seen = cli.write("seen.cu", add_kernel("seen"));
  const std::string unseen = cli.write("unseen.cu", add_kernel("unseen"));

  const ProcessResult empty = cli.run({"cache", "explain", unseen, "--arch", "sm_90"});
  INFO(empty.output);
  CHECK(empty.exit_code == 0);
  CHECK(contains(empty.output, "holds no entry"));

  REQUIRE(cli.run({"compile", seen, "--arch", "sm_90"}).exit_code == 0);
  const ProcessResult nearest = cli.run({"cache", "explain", unseen, "--arch", "sm_90"});
  INFO(nearest.output);
  CHECK(contains(nearest.output, "no cached entry was compiled from"));
  CHECK(contains(nearest.output, "source name changed"));
  CHECK(contains(nearest.output, "source text changed"));
  const auto json = cli.run_json({"cache", "explain", unseen, "--arch", "sm_90", "--json"});
  CHECK(json["same_source"] == false);
  CHECK(json["nearest"]["key"] == cli.entries()[0]["key"]);
}

}  // namespace
}  // namespace jitcu::test
