// Finding kernels by name: extern "C", mangled, name expressions (with any spacing),
// demangled and base names; unknown and ambiguous names say what the module defines.
#include "engine_support.hpp"

#include <doctest/doctest.h>

using namespace jitcu;
using namespace jitcu::test;

namespace {

const CompileOptions k_both_scales{.name_expressions = {"scale<float>", "scale<double>"}};

}  // namespace

TEST_CASE("extern \"C\", mangled, demangled and base names find the same kernels") {
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source(), k_both_scales);

  const Kernel dot = module.kernel("dot_product");
  CHECK(dot.symbol() == "dot_product");
  CHECK(dot.name() == "dot_product");

  const Kernel affine = module.kernel("jitcu_kernels::affine");
  CHECK(affine.name() == "jitcu_kernels::affine");
  CHECK(affine.symbol().starts_with("_Z"));
  CHECK(affine.symbol().find("affine") != std::string::npos);
  CHECK(module.kernel(affine.symbol()).name() == "jitcu_kernels::affine");  // mangled
  CHECK(module.kernel("affine").symbol() == affine.symbol());               // unambiguous base name
  CHECK(module.has_kernel("affine"));
  CHECK_FALSE(module.has_kernel("affin"));
  CHECK_FALSE(module.has_kernel("other_ns::affine"));
}

TEST_CASE("name expressions find their instantiation, with any spacing") {
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source(), k_both_scales);
  CHECK(module.kernel_names() == std::vector<std::string>{"dot_product", "jitcu_kernels::affine", "saxpy",
                                                          "scale<double>", "scale<float>"});
  const Kernel f = module.kernel("scale<float>");
  const Kernel d = module.kernel("scale<double>");
  CHECK(f.name() == "scale<float>");
  CHECK(d.name() == "scale<double>");
  CHECK(f.symbol() != d.symbol());
  REQUIRE(f.params().size() == 4);
  REQUIRE(d.params().size() == 4);
  CHECK(f.params()[2].ptx_type == ".f32");  // T factor
  CHECK(d.params()[2].ptx_type == ".f64");
  CHECK(d.params()[2].size_bytes == 8);
  CHECK(f.params()[3].size_bytes == 8);     // unsigned long long n

  for (const char* spelled : {"scale< float >", "scale<float >", "scale <float>", " scale<float>"}) {
    INFO("looked up as '" << spelled << "'");
    CHECK(module.kernel(spelled).symbol() == f.symbol());
  }
  CHECK(module.kernel("scale < double >").symbol() == d.symbol());
  CHECK(module.kernel(f.symbol()).name() == "scale<float>");
}

TEST_CASE("a namespaced template with several arguments, looked up as written or respaced") {
  TempDir cache;
  const Source source = Source::string(R"(
namespace ns {
template <class T, int N>
__global__ void fill(T* out) { out[threadIdx.x] = T(N); }
}
)",
                                       "fill.cu");
  const Module module = engine_in(cache).compile(source, {.name_expressions = {"ns::fill<int, 4>"}});
  const Kernel k = module.kernel("ns::fill<int, 4>");
  CHECK(k.name() == "ns::fill<int, 4>");
  CHECK(module.kernel("ns::fill<int,4>").symbol() == k.symbol());
  CHECK(module.kernel("ns::fill < int , 4 >").symbol() == k.symbol());
  CHECK(module.kernel("fill").symbol() == k.symbol());  // the only one: unambiguous
  REQUIRE(k.params().size() == 1);
  CHECK(k.params()[0].size_bytes == 8);
}

TEST_CASE("an ambiguous base name is KernelNotFound naming every candidate") {
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source(), k_both_scales);
  CHECK_FALSE(module.has_kernel("scale"));
  try {
    (void)module.kernel("scale");
    FAIL("'scale' resolved although two instantiations exist");
  } catch (const KernelNotFound& error) {
    const std::string what = error.what();
    INFO(what);
    CHECK(what.find("ambiguous") != std::string::npos);
    CHECK(what.find("scale<float>") != std::string::npos);
    CHECK(what.find("scale<double>") != std::string::npos);
    CHECK(error.name() == "scale");
    CHECK(error.available() == module.kernel_names());
  }
}

TEST_CASE("an unknown name is KernelNotFound listing the kernels the module defines") {
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source());
  try {
    (void)module.kernel("dot_prod");
    FAIL("an unknown name resolved");
  } catch (const KernelNotFound& error) {
    const std::string what = error.what();
    INFO(what);
    CHECK(what.find("'dot_prod'") != std::string::npos);
    CHECK(what.find("vector_ops.cu") != std::string::npos);
    for (const char* defined : {"dot_product", "saxpy", "jitcu_kernels::affine"}) CHECK(what.find(defined) != std::string::npos);
    CHECK(error.name() == "dot_prod");
    CHECK(error.available() == std::vector<std::string>{"dot_product", "jitcu_kernels::affine", "saxpy"});
  }
  CHECK_THROWS_AS(module.kernel(""), KernelNotFound);
}

TEST_CASE("a template that was not requested is compiled on demand while its Engine lives") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Module module = engine.compile(seed_source());  // no name expressions
  CHECK(module.kernel_names().size() == 3);  // an uninstantiated template is no kernel
  CHECK_FALSE(module.has_kernel("scale<float>"));
  const Kernel on_demand = module.kernel("scale<float>");
  CHECK(on_demand.name() == "scale<float>");
  CHECK(on_demand.params()[2].ptx_type == ".f32");
  CHECK(module.kernel("scale< float >").symbol() == on_demand.symbol());
  CHECK(module.kernel("scale<double>").params()[2].ptx_type == ".f64");
  CHECK_THROWS_AS(module.kernel("scale"), KernelNotFound);  // a base name is not instantiated
  // the instantiation is the compile with that name expression, cached like one
  const Module direct = engine.compile(seed_source(), {.name_expressions = {"scale<float>"}});
  CHECK(direct.origin() == Origin::process_cache);
  CHECK(direct.kernel("scale<float>").symbol() == on_demand.symbol());
}

TEST_CASE("once its Engine is gone, a module suggests name_expressions for a new instantiation") {
  TempDir cache;
  const Module module = engine_in(cache).compile(seed_source());  // the engine is a temporary
  CHECK(module.has_kernel("saxpy"));
  CHECK_THROWS_WITH_AS(module.kernel("scale<float>"), doctest::Contains("name_expressions"), Error);
  CHECK_THROWS_WITH_AS(module.kernel("scale<float>"), doctest::Contains("scale<float>"), Error);
}

TEST_CASE("a name with template arguments that is no template kernel is an error") {
  TempDir cache;
  auto engine = engine_in(cache);
  const Module module = engine.compile(seed_source());
  CHECK_THROWS_AS(module.kernel("dot_product<int>"), Error);
  CHECK_THROWS_AS(module.kernel("scale<no_such_type>"), Error);
  CHECK(module.kernel_names().size() == 3);
}

TEST_CASE("a name expression that names nothing is a compile error") {
  TempDir cache;
  CHECK_THROWS_AS(engine_in(cache).compile(seed_source(), {.name_expressions = {"scale<no_such_type>"}}), Error);
}
