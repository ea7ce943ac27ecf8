// The generators (issue 7) against hand-written kernels in the same process, n = 2^26 floats:
// Elementwise "c[i] = a[i] * b[i]" vs bench/kernels/bandwidth.cu's multiply (12 B/element),
// Reduction sum vs its float4 sum with one atomicAdd a block (4 B/element), and an inclusive
// Scan (8 B/element: one read, one write) reported as GB/s. Same method as bench_bandwidth:
// 20 back-to-back operations a sample, then synchronize, host clock; 10 samples.
#include "data.hpp"
#include "jitcu_side.hpp"

#include <jitcu/kernels/elementwise.hpp>
#include <jitcu/kernels/reduction.hpp>
#include <jitcu/kernels/scan.hpp>

#include <cmath>
#include <vector>

namespace {
namespace jk = jitcu::kernels;

constexpr int k_log2n = 26;

int run(int, char**) {
  bench::require_device();
  bench::Report report("bench_generators");
  bench::TempDir cache("generators");
  jitcu::Engine engine = bench::engine_at(cache.path());
  const jitcu::Module hand = engine.compile(jitcu::Source::file(bench::bench_kernel("bandwidth.cu")));
  const std::uint64_t n = std::uint64_t{1} << k_log2n;
  const double bytes = static_cast<double>(n * sizeof(float));
  const auto a = bench::pattern(n, 7), b = bench::pattern(n, 8);
  auto da = jitcu::to_device(a), db = jitcu::to_device(b);
  jitcu::DeviceBuffer<float> dc(n), dsum(1);

  jk::Elementwise multiply(engine, {.params = "const float* a, const float* b, float* c",
                                    .operation = "c[i] = a[i] * b[i]", .name = "multiply"});
  const jitcu::Kernel hand_multiply = hand.kernel("multiply");
  report.result("hand_multiply_gbps",
                bench::bandwidth([&] { hand_multiply.launch(jitcu::grid_for(n, 256), 256, da, db, dc, n); }, 3 * bytes));
  dc.fill_bytes(0xFF);
  report.result("generated_multiply_gbps", bench::bandwidth([&] { multiply(n, da, db, dc); }, 3 * bytes));
  report.check("multiply_correct", bench::first_wrong_product(a, b, dc.to_host()) < 0);

  jk::Reduction sum(engine, {.params = "const float* x", .map = "x[i]", .reduce = "a + b", .neutral = "0",
                             .reduce_type = "float", .name = "sum"});
  const jitcu::Kernel hand_sum = hand.kernel("sum4");
  report.result("hand_sum4_gbps", bench::bandwidth([&] { hand_sum.launch(2048, 256, da, dsum, n / 4); }, bytes));
  report.result("generated_sum_gbps", bench::bandwidth([&] { sum(n, dsum, da); }, bytes));
  report.check("sum_correct", bench::sum_matches(sum.value<float>(n, da), bench::host_sum(a)));

  jk::Scan scan(engine, {.value_type = "float", .name = "cumsum"});
  report.result("generated_scan_gbps", bench::bandwidth([&] { scan(n, da, dc); }, 2 * bytes));
  const auto prefix = dc.to_host();
  double running = 0;
  bool scan_ok = true;
  for (std::size_t i = 0; i < 4096; ++i) {  // the head exactly enough for float rounding
    running += a[i];
    scan_ok = scan_ok && std::fabs(prefix[i] - running) <= 1e-3 * (1 + std::fabs(running));
  }
  report.check("scan_head_correct", scan_ok);
  report.info("n", n);
  return report.print();
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_generators", run, argc, argv); }
