// Bandwidth kernels for bench_bandwidth: hand-written, no library, as a user would write them.

// c[i] = a[i] * b[i]: reads 8 bytes and writes 4 per element.
extern "C" __global__ void multiply(const float* __restrict__ a, const float* __restrict__ b,
                                    float* __restrict__ c, unsigned long long n) {
  const unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x;
  if (i < n) c[i] = a[i] * b[i];
}

// *out += sum of x[0..4*n4): float4 loads in a grid-stride loop, a warp-shuffle tree in each
// block, one atomicAdd per block. Launch with 256 threads a block.
extern "C" __global__ void sum4(const float4* __restrict__ x, float* __restrict__ out, unsigned long long n4) {
  float sum = 0.0f;
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x; i < n4;
       i += stride) {
    const float4 v = x[i];
    sum += (v.x + v.y) + (v.z + v.w);
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  __shared__ float warp_sums[32];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = sum;
  __syncthreads();
  if (warp == 0) {
    sum = lane < (blockDim.x + 31) / 32 ? warp_sums[lane] : 0.0f;
    for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
    if (lane == 0) atomicAdd(out, sum);
  }
}
