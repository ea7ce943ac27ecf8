// jitcu compile: resources, hit and miss, errors, options passed through, several jobs.
#include "cli_test_util.hpp"

namespace jitcu::test {
namespace {

TEST_CASE("compile prints each kernel's registers and says miss, then hit") {
  Cli cli;
  const std::string file = cli.write("add.cu", add_kernel("add_one"));
  const ProcessResult first = cli.run({"compile", file, "--arch", "sm_90"});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(contains(first.output, "add.cu  sm_90  miss"));
  CHECK(contains(first.output, "registers"));
  CHECK(contains(first.output, "spill stores"));
  CHECK(contains(first.output, "add_one"));

  const ProcessResult second = cli.run({"compile", file, "--arch", "sm_90"});
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(contains(second.output, "add.cu  sm_90  hit"));

  const auto json = cli.run_json({"compile", file, "--arch", "sm_90", "--json"});
  const auto& result = json["results"].at(0);
  CHECK(result["result"] == "hit");
  CHECK(result["origin"] == "disk_cache");
  CHECK(result["key"].get<std::string>().size() == 64);
  const auto& kernel = result["kernels"].at(0);
  CHECK(kernel["name"] == "add_one");
  CHECK(kernel["resources"]["registers"].get<int>() > 0);
  CHECK(kernel["resources"]["spill_store_bytes"].get<int>() == 0);
  CHECK(json["failed"] == 0);
}

TEST_CASE("compile reads kernels/vector_ops.cu and keeps a name expression") {
  Cli cli;
  const auto json = cli.run_json({"compile", kernel_path("vector_ops.cu").string(), "--name-expr", "scale<float>",
                                  "--arch", "sm_80", "--json"});
  const auto& result = json["results"].at(0);
  CHECK(result["result"] == "miss");
  CHECK(result["arch"] == "sm_80");
  std::vector<std::string> names;
  for (const auto& kernel : result["kernels"]) {
    names.push_back(kernel["name"].get<std::string>());
    CHECK(kernel["resources"].is_object());
  }
  CHECK(std::find(names.begin(), names.end(), "scale<float>") != names.end());
  CHECK(std::find(names.begin(), names.end(), "dot_product") != names.end());
  CHECK(std::find(names.begin(), names.end(), "jitcu_kernels::affine") != names.end());
}

TEST_CASE("a syntax error exits 1 naming file:line, and the other files still compile") {
  Cli cli;
  const std::string bad = cli.write("bad.cu", "extern \"C\" __global__ void broken(float* x) {\n"
                                              "  const int i = threadIdx.x;\n"
                                              "  x[i] = 1.0f +;\n"
                                              "}\n");
  const std::string good = cli.write("good.cu", add_kernel("fine"));
  const ProcessResult result = cli.run({"compile", bad, good, "--arch", "sm_90"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "bad.cu:3"));
  CHECK(contains(result.output, "x[i] = 1.0f +;"));  // the excerpt
  CHECK(contains(result.output, "good.cu  sm_90  miss"));
  CHECK(contains(result.output, "1 of 2 compiles failed"));
  CHECK(cli.entries().size() == 1);
}

TEST_CASE("a missing file is a clear error and the exit status is not 0") {
  Cli cli;
  const ProcessResult result = cli.run({"compile", cli.path("nowhere.cu").string()});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "cannot read kernel source"));
  CHECK(contains(result.output, "nowhere.cu"));
}

TEST_CASE("-D, -I and two --arch values reach the compile") {
  Cli cli;
  cli.write("inc/params.h", "#define SCALE 2.0f\n");
  const std::string file = cli.write("opts.cu", "#include \"params.h\"\n"
                                                "#ifndef BLOCK\n"
                                                "#error BLOCK must be defined\n"
                                                "#endif\n"
                                                "extern \"C\" __global__ void scaled(float* x) {\n"
                                                "  x[threadIdx.x % BLOCK] *= SCALE;\n"
                                                "}\n");
  const std::string include = cli.path("inc").string();

  const ProcessResult no_define = cli.run({"compile", file, "-I", include, "--arch", "sm_90"});
  INFO(no_define.output);
  CHECK(no_define.exit_code == 1);
  CHECK(contains(no_define.output, "BLOCK must be defined"));

  const ProcessResult no_include = cli.run({"compile", file, "-DBLOCK=64", "--arch", "sm_90"});
  INFO(no_include.output);
  CHECK(no_include.exit_code == 1);
  CHECK(contains(no_include.output, "params.h"));

  const auto json = cli.run_json({"compile", file, "-D", "BLOCK=64", "-I", include, "--arch", "sm_80", "--arch",
                                  "sm_90", "--json"});
  REQUIRE(json["results"].size() == 2);
  CHECK(json["results"][0]["arch"] == "sm_80");
  CHECK(json["results"][1]["arch"] == "sm_90");
  CHECK(json["results"][0]["key"] != json["results"][1]["key"]);

  const auto entries = cli.entries();
  REQUIRE(entries.size() == 2);
  std::vector<std::string> archs{entries[0]["arch"], entries[1]["arch"]};
  std::sort(archs.begin(), archs.end());
  CHECK(archs == std::vector<std::string>{"sm_80", "sm_90"});
}

TEST_CASE("--header NAME=FILE gives header text that wins over a same-named file and keys the entry") {
  Cli cli;
  cli.write("inc/my/util.cuh", "#error read inc/my/util.cuh\n");
  const std::string util = cli.write("gen/util.txt", "#define UTIL_READ 1\n");
  const std::string other = cli.write("gen/other.txt", "#define OTHER_READ 1\n");
  const std::string file = cli.write("uses.cu", "#include <my/util.cuh>\n#include \"other.cuh\"\n"
                                                "#if !UTIL_READ || !OTHER_READ\n#error a header text was not read\n#endif\n" +
                                                    add_kernel("uses"));
  const std::vector<std::string> args = {"compile", file, "-I", cli.path("inc").string(), "--header",
                                         "my/util.cuh=" + util, "--header", "other.cuh=" + other, "--arch", "sm_90"};
  const ProcessResult first = cli.run(args);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(contains(first.output, "uses.cu  sm_90  miss"));
  CHECK(cli.run(args).output.find("uses.cu  sm_90  hit") != std::string::npos);

  write_file(util, "#define UTIL_READ 2\n");  // another text: another key
  const ProcessResult edited = cli.run(args);
  INFO(edited.output);
  CHECK(contains(edited.output, "uses.cu  sm_90  miss"));
  CHECK(cli.entries().size() == 2);
}

TEST_CASE("a malformed --header or an unreadable FILE is a clear error") {
  Cli cli;
  const std::string file = cli.write("k.cu", add_kernel("k"));
  for (const std::string bad : {"util.cuh", "=gen/util.txt", "util.cuh="}) {
    const ProcessResult result = cli.run({"compile", file, "--header", bad, "--arch", "sm_90"});
    INFO(bad << ": " << result.output);
    CHECK(result.exit_code == 2);
    CHECK(contains(result.output, "'" + bad + "' is not NAME=FILE"));
  }
  const std::string missing = cli.path("gen/nowhere.txt").string();
  const ProcessResult result = cli.run({"compile", file, "--header", "my/util.cuh=" + missing, "--arch", "sm_90"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "--header my/util.cuh=" + missing + ": there is no file '" + missing +
                                    "' to read header 'my/util.cuh' from"));
  const ProcessResult folder = cli.run({"compile", file, "--header", "my/util.cuh=" + cli.dir().string(), "--arch", "sm_90"});
  INFO(folder.output);
  CHECK(folder.exit_code == 1);
  CHECK(contains(folder.output, "cannot read the text of header 'my/util.cuh' from '" + cli.dir().string() + "'"));
  CHECK(cli.entries().empty());  // nothing compiled without it

  const ProcessResult twice = cli.run({"compile", file, "--header", "a.cuh=" + file, "--header", "a.cuh=" + file,
                                       "--arch", "sm_90"});
  INFO(twice.output);
  CHECK(twice.exit_code == 1);
  CHECK(contains(twice.output, "in-memory header 'a.cuh' is given twice"));
}

TEST_CASE("many jobs run on several workers, report progress and print in order") {
  Cli cli;
  std::vector<std::string> args{"compile", "-j", "3", "--arch", "sm_90"};
  for (int i = 0; i < 5; ++i) {
    args.push_back(cli.write("k" + std::to_string(i) + ".cu", add_kernel("k" + std::to_string(i))));
  }
  const ProcessResult result = cli.run(args);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(contains(result.output, "[5/5]"));
  std::size_t last = 0;
  for (int i = 0; i < 5; ++i) {
    const std::size_t at = result.output.find("k" + std::to_string(i) + ".cu  sm_90  miss");
    REQUIRE(at != std::string::npos);
    CHECK(at >= last);
    last = at;
  }
  CHECK(cli.entries().size() == 5);
}

TEST_CASE("a bad --arch is the engine's clear error") {
  Cli cli;
  const std::string file = cli.write("add.cu", add_kernel("add_one"));
  const ProcessResult result = cli.run({"compile", file, "--arch", "sm_9x"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "sm_9x"));
}

}  // namespace
}  // namespace jitcu::test
