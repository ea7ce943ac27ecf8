// Module::load_ptx and load_file: PTX the user already has becomes a Module whose kernels are
// found by name and whose launches are checked against the .entry lines; other text is refused
// (load_binary's cubins and fatbins need a GPU: tests/gpu). No GPU: nothing here loads code.
#include "engine_support.hpp"

#include <doctest/doctest.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

const CompileOptions k_seed_options{.arch = "sm_90", .name_expressions = {"scale<float>"}};

}  // namespace

TEST_CASE("PTX from NVRTC loads as a Module with the same kernels and parameters") {
  TempDir cache;
  const Module compiled = engine_in(cache).compile(seed_source(), k_seed_options);
  const Module loaded = Module::load_ptx(compiled.ptx(), "vector_ops.ptx");
  CHECK(loaded.kernel_names() == compiled.kernel_names());
  CHECK(loaded.arch() == "sm_90");
  CHECK(loaded.ptx() == compiled.ptx());
  CHECK(loaded.cache_path().empty());
  CHECK(loaded.cache_key().size() == 64);
  CHECK(loaded.cache_key() == Module::load_ptx(compiled.ptx(), "other name").cache_key());  // by content
  for (const char* name : {"dot_product", "saxpy", "scale<float>", "jitcu_kernels::affine"}) {
    INFO(name);
    CHECK(loaded.kernel(name).symbol() == compiled.kernel(name).symbol());
    CHECK(loaded.kernel(name).params().size() == compiled.kernel(name).params().size());
  }
  const Kernel dot = loaded.kernel("dot_product");
  float* none = nullptr;
  CHECK_NOTHROW(dot.check(none, none, none, 4));
  CHECK_THROWS_WITH_AS(dot.check(none, none, none, 4.0), doctest::Contains("parameter 3"), ArgumentError);
  CHECK_THROWS_WITH_AS(dot.check(none, none, none), doctest::Contains("takes 4 parameter(s)"), ArgumentError);
  const auto missing = message_of<KernelNotFound>([&] { (void)loaded.kernel("no_such_kernel"); });
  CHECK(missing.find("'vector_ops.ptx'") != std::string::npos);
  CHECK(missing.find("dot_product") != std::string::npos);
}

TEST_CASE("a cubin or other text given to Module::load_ptx is refused, saying what it takes") {
  TempDir cache;
  const Module compiled = engine_in(cache).compile(seed_source(), k_seed_options);
  const std::string cubin = read_file(compiled.cache_path() / "sm_90.cubin");
  REQUIRE(cubin.starts_with("\x7f" "ELF"));
  const auto refused = message_of<Error>([&] { (void)Module::load_ptx(cubin, "vector_ops.cubin"); });
  CHECK(refused.starts_with("'vector_ops.cubin' is not PTX text"));
  CHECK(refused.find("ELF") != std::string::npos);
  CHECK(refused.find("use Module::load_binary") != std::string::npos);
  CHECK(refused.find("nvcc -ptx") != std::string::npos);
  const auto source = message_of<Error>([&] { (void)Module::load_ptx(read_file(kernel_path("vector_ops.cu")), "x.cu"); });
  CHECK(source.find("no .version line") != std::string::npos);
}

TEST_CASE("Module::load_file takes PTX by its contents and refuses other files, naming them") {
  TempDir tmp;
  const Module compiled = engine_in(tmp).compile(seed_source(), k_seed_options);
  write_file(tmp / "kernels.txt", compiled.ptx());  // the name does not matter, the contents do
  const Module loaded = Module::load_file(tmp / "kernels.txt");
  CHECK(loaded.kernel_names() == compiled.kernel_names());
  CHECK(loaded.ptx() == compiled.ptx());

  write_file(tmp / "k.cu", read_file(kernel_path("vector_ops.cu")));
  CHECK_THROWS_WITH_AS(Module::load_file(tmp / "k.cu"), doctest::Contains("k.cu' is neither PTX"), Error);
  CHECK_THROWS_WITH_AS(Module::load_file(tmp / "missing.ptx"), doctest::Contains("cannot read '"), Error);
  CHECK_THROWS_WITH_AS(Module::load_file("/dev/null"), doctest::Contains("character device"), Error);
}

TEST_CASE("Module::load_binary refuses what is not a cubin or a fatbin before it needs a GPU") {
  TempDir cache;
  const Module compiled = engine_in(cache).compile(seed_source(), k_seed_options);
  const auto ptx = message_of<Error>([&] { (void)Module::load_binary(compiled.ptx(), "kernels.ptx"); });
  CHECK(ptx.starts_with("'kernels.ptx' is not a cubin or a fatbin"));
  CHECK(ptx.find("use Module::load_ptx") != std::string::npos);
  const auto text = message_of<Error>([&] { (void)Module::load_binary("hello", "hello.bin"); });
  CHECK(text.find("nvcc -cubin or -fatbin") != std::string::npos);
  CHECK(text.find("load_ptx") == std::string::npos);
}
