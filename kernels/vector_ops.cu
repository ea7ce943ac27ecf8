// jitcu's seed kernels: what PyCUDA's SourceModule example computes, and a few more.

// c[i] = a[i] * b[i]: the seed program's kernel (PyCUDA calls it dot_product).
extern "C" __global__ void dot_product(const float* a, const float* b, float* c, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] * b[i];
}

// y = alpha * x + y
extern "C" __global__ void saxpy(float alpha, const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = alpha * x[i] + y[i];
}

// y = factor * x for any arithmetic T; instantiate with a name expression: "scale<float>".
template <class T>
__global__ void scale(const T* x, T* y, T factor, unsigned long long n) {
  const unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x;
  if (i < n) y[i] = factor * x[i];
}

namespace jitcu_kernels {

// A struct passed by value: an affine map applied elementwise.
struct Affine {
  float scale;
  float offset;
  int clamp_to_zero;  // nonzero: negative results become 0
};

__global__ void affine(Affine map, const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float v = map.scale * x[i] + map.offset;
  y[i] = (map.clamp_to_zero && v < 0.0f) ? 0.0f : v;
}

}  // namespace jitcu_kernels
