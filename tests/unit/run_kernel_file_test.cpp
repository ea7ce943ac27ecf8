// examples/run_kernel_file without a GPU: it lists a user's kernels with their signatures and
// parameters, and refuses a bad command line or an argument list the kernel does not take.
#include "engine_support.hpp"

#include <doctest/doctest.h>

using namespace jitcu;
using namespace jitcu::test;

#ifdef JITCU_RUN_KERNEL_FILE
constexpr bool k_example_built = true;
#else
#define JITCU_RUN_KERNEL_FILE ""
constexpr bool k_example_built = false;
#endif

namespace {

ProcessResult run_example(const TempDir& cache, std::vector<std::string> args) {
  args.insert(args.begin(), JITCU_RUN_KERNEL_FILE);
  return run_process(args, {{"JITCU_CACHE_DIR", cache.path().string()}});
}

}  // namespace

TEST_CASE("run_kernel_file lists every kernel's signature and parameters" * doctest::skip(!k_example_built)) {
  TempDir cache;
  const auto listed = run_example(cache, {kernel_path("vector_ops.cu").string(), "--name-expr", "scale<double>"});
  INFO(listed.output);
  CHECK(listed.exit_code == 0);
  CHECK(listed.output.find("jitcu_kernels::affine(jitcu_kernels::Affine, float const*, float*, int)") != std::string::npos);
  CHECK(listed.output.find("parameter 0: struct .b8[12], 12 bytes, aligned to 4") != std::string::npos);
  CHECK(listed.output.find("scale<double>(double const*, double*, double, unsigned long long)") != std::string::npos);
  CHECK(listed.output.find("parameter 2: floating .f64, 8 bytes, aligned to 8") != std::string::npos);
  CHECK(listed.output.find("  saxpy\n") != std::string::npos);
}

TEST_CASE("run_kernel_file refuses a bad command line and an argument list that does not fit" *
          doctest::skip(!k_example_built)) {
  TempDir cache;
  const std::string file = kernel_path("vector_ops.cu").string();
  const auto no_type = run_example(cache, {file, "--kernel", "saxpy", "real=2"});
  CHECK(no_type.exit_code == 2);
  CHECK(no_type.output.find("'real' is not a scalar type") != std::string::npos);
  const auto no_kernel = run_example(cache, {file, "float=2"});
  CHECK(no_kernel.exit_code == 2);
  CHECK(no_kernel.output.find("without --kernel") != std::string::npos);
  const auto bad_value = run_example(cache, {file, "--kernel", "saxpy", "int=2.5"});
  CHECK(bad_value.exit_code == 1);
  CHECK(bad_value.output.find("'2.5' is not a valid 'int'") != std::string::npos);
  // double where saxpy takes float: refused by the check, nothing is launched
  const auto wrong = run_example(cache, {file, "--kernel", "saxpy", "--grid", "1", "--block", "32", "double=2",
                                         "float[4]=1", "float[4]=1", "int=4"});
  INFO(wrong.output);
  CHECK(wrong.exit_code == 1);
  if (!cuda_available()) return;  // without a driver the buffers fail first, with a CudaError
  CHECK(wrong.output.find("parameter 0 takes 4 bytes (.f32) but got 'double'") != std::string::npos);
}
