// One engine, several devices: the same module's kernels run on each, with buffers on each.
#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include "test_support.hpp"

#include <limits>
#include <thread>

using namespace jitcu;

TEST_SUITE("gpu-multi") {
  TEST_CASE("a module compiled once runs on every device, from one thread and from one thread per device") {
    const unsigned seed = test::test_seed();
    INFO("seed=" << seed);
    std::mt19937 rng(seed);
    test::TempDir dir("jitcu-gpu-multi");
    Engine engine(EngineOptions{.cache_dir = dir.path()});
    auto module = engine.compile(Source::file(test::kernel_path("vector_ops.cu")));
    auto kernel = module.kernel("dot_product");
    const auto all = devices();
    REQUIRE(all.size() >= 2);
    for (const auto& device : all) {
      CAPTURE(device.ordinal);
      use_device(device.ordinal);
      CHECK(current_device() == device.ordinal);
      const int n = 1 + static_cast<int>(rng() % 100'000);
      const auto a = test::random_floats(rng, static_cast<std::size_t>(n));
      const auto b = test::random_floats(rng, static_cast<std::size_t>(n));
      auto da = to_device(a), db = to_device(b);
      DeviceBuffer<float> dc(static_cast<std::size_t>(n));
      dc.fill_bytes(0xFF);
      kernel.launch(grid_for(static_cast<std::uint64_t>(n), 256), 256, da, db, dc, n);
      const auto c = dc.to_host();
      for (int i = 0; i < n; ++i) REQUIRE(c[static_cast<std::size_t>(i)] == a[static_cast<std::size_t>(i)] * b[static_cast<std::size_t>(i)]);
    }
    std::vector<std::thread> workers;
    std::vector<int> ok(all.size(), 0);
    for (std::size_t d = 0; d < all.size(); ++d)
      workers.emplace_back([&, d] {
        use_device(static_cast<int>(d));
        std::vector<float> a(4096, 2.0f), b(4096, static_cast<float>(d + 1)), c(4096, std::numeric_limits<float>::quiet_NaN());
        kernel.launch(grid_for(4096, 256), 256, in(a), in(b), out(c), 4096);
        ok[d] = c[4095] == 2.0f * static_cast<float>(d + 1) ? 1 : 0;
      });
    for (auto& w : workers) w.join();
    for (std::size_t d = 0; d < all.size(); ++d) CHECK(ok[d] == 1);
  }
}
