// Texture and surface objects made from device buffers and CUDA arrays, read and written by kernels.
#include <doctest/doctest.h>
#include <jitcu/jitcu.hpp>

#include "test_support.hpp"

#include <cmath>
#include <limits>

using namespace jitcu;

namespace {
const char* k_texture_source = R"(
extern "C" __global__ void fetch_linear(cudaTextureObject_t texture, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = tex1Dfetch<float>(texture, i);
}
// Samples the middle between texel x and x+1 of row y: linear filtering averages them.
extern "C" __global__ void sample_2d(cudaTextureObject_t texture, float* out, int width, int height) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x < width && y < height) out[y * width + x] = tex2D<float>(texture, x + 1.0f, y + 0.5f);
}
extern "C" __global__ void write_surface(cudaSurfaceObject_t surface, int width, int height) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x < width && y < height) surf2Dwrite(static_cast<float>(y * 1000 + x), surface, x * sizeof(float), y);
}
)";
}  // namespace

TEST_CASE("textures over buffers and arrays, and a surface, match the CPU") {
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  test::TempDir dir("jitcu-gpu-texture");
  Engine engine(EngineOptions{.cache_dir = dir.path()});
  auto module = engine.compile(Source::string(k_texture_source, "textures.cu"));

  const int n = 1 + static_cast<int>(rng() % 100'000);
  const auto x = test::random_floats(rng, static_cast<std::size_t>(n));
  auto buffer = to_device(x);
  TextureObject linear = TextureObject::over_buffer(buffer);
  std::vector<float> fetched(x.size(), std::numeric_limits<float>::quiet_NaN());
  module.kernel("fetch_linear").launch(grid_for(static_cast<std::uint64_t>(n), 256), 256, linear, out(fetched), n);
  CHECK(fetched == x);

  const int width = 1 + static_cast<int>(rng() % 300), height = 1 + static_cast<int>(rng() % 50);
  const auto image = test::random_floats(rng, static_cast<std::size_t>(width * height));
  CudaArray<float> array(static_cast<std::size_t>(width), static_cast<std::size_t>(height));
  array.copy_from(image);
  TextureObject filtered(array, {.filter = TextureFilter::linear});
  std::vector<float> sampled(image.size(), std::numeric_limits<float>::quiet_NaN());
  module.kernel("sample_2d").launch(Dim3(grid_for(static_cast<std::uint64_t>(width), 64).x, static_cast<std::uint64_t>(height)), 64,
                                    filtered, out(sampled), width, height);
  for (int y = 0; y < height; ++y)
    for (int xi = 0; xi < width; ++xi) {
      const float left = image[static_cast<std::size_t>(y * width + xi)];
      const float right = image[static_cast<std::size_t>(y * width + std::min(xi + 1, width - 1))];  // clamp
      REQUIRE(sampled[static_cast<std::size_t>(y * width + xi)] == doctest::Approx((left + right) / 2).epsilon(1e-2));
    }

  CudaArray<float> writable(static_cast<std::size_t>(width), static_cast<std::size_t>(height), ArrayUse::texture_and_surface);
  SurfaceObject surface(writable);
  module.kernel("write_surface").launch(Dim3(grid_for(static_cast<std::uint64_t>(width), 64).x, static_cast<std::uint64_t>(height)), 64,
                                        surface, width, height);
  std::vector<float> written(image.size(), std::numeric_limits<float>::quiet_NaN());
  writable.copy_to(written);
  for (int y = 0; y < height; ++y)
    for (int xi = 0; xi < width; ++xi)
      REQUIRE(written[static_cast<std::size_t>(y * width + xi)] == static_cast<float>(y * 1000 + xi));
  std::vector<float> wrong_size(3);
  CHECK_THROWS_AS(writable.copy_to(wrong_size), ArgumentError);
  CHECK_THROWS_AS(module.kernel("fetch_linear").launch(1, 1, 1.0f, out(fetched), n), ArgumentError);
}
