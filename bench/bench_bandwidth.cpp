// Bandwidth at n = 2^26 floats (256 MiB an array), kernels from bench/kernels/bandwidth.cu
// launched through jitcu: c = a * b (12 bytes an element: two reads, one write) and a float4
// sum (4 bytes an element). The floor is cuMemcpyDtoD (read + write counted), measured by
// raw_driver in a separate process, which also launches the same cubin raw for reference.
// Each sample: 20 back-to-back operations, then synchronize, on the host clock (the same
// method on every side, CuPy included); 10 samples.
#include "data.hpp"
#include "jitcu_side.hpp"

#include <string>
#include <vector>

namespace {
using bench::Json;

constexpr int k_log2n = 26;
constexpr int k_reps = 10;
constexpr int k_batch = 20;

int run(int, char**) {
  bench::require_device();
  bench::Report report("bench_bandwidth");
  bench::TempDir cache("bandwidth");
  jitcu::Engine engine = bench::engine_at(cache.path());
  const jitcu::Module module = engine.compile(jitcu::Source::file(bench::bench_kernel("bandwidth.cu")));
  const std::string cubin = bench::cubin_of(module).string();
  const std::uint64_t n = std::uint64_t{1} << k_log2n;
  const double bytes = static_cast<double>(n * sizeof(float));
  {
    const auto a = bench::pattern(n, 5), b = bench::pattern(n, 6);
    auto da = jitcu::to_device(a), db = jitcu::to_device(b);
    jitcu::DeviceBuffer<float> dc(n), dsum(1);
    const jitcu::Kernel multiply = module.kernel("multiply");
    const jitcu::Kernel sum4 = module.kernel("sum4");

    dc.fill_bytes(0xFF);
    report.result("jitcu_multiply_gbps",
                  bench::bandwidth([&] { multiply.launch(jitcu::grid_for(n, 256), 256, da, db, dc, n); }, 3 * bytes, k_reps, k_batch));
    report.check("multiply_correct", bench::first_wrong_product(a, b, dc.to_host()) < 0);

    report.result("jitcu_sum4_gbps", bench::bandwidth([&] { sum4.launch(2048, 256, da, dsum, n / 4); }, bytes, k_reps, k_batch));
    dsum.fill_bytes(0);
    sum4.launch(2048, 256, da, dsum, n / 4);
    report.check("sum4_correct", bench::sum_matches(dsum.to_host()[0], bench::host_sum(a)));
  }  // device memory freed before the floor runs

  const Json raw = bench::run_json_child({bench::sibling("raw_driver").string(), "bandwidth", cubin,
                                          std::to_string(k_log2n), std::to_string(k_reps), std::to_string(k_batch)},
                                         {}, 120);
  report.result("memcpy_dtod_gbps", raw["results"]["memcpy_dtod_gbps"]);
  report.result("raw_multiply_gbps", raw["results"]["multiply_gbps"]);
  report.result("raw_sum4_gbps", raw["results"]["sum4_gbps"]);
  report.info("n", n);
  report.info("ops_per_sample", k_batch);
  return report.print();
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_bandwidth", run, argc, argv); }
