// A header-heavy kernel: CUB's BlockReduce (the whole of cub/block/block_reduce.cuh and what it
// pulls in). out[block] = sum of that block's 256 floats.
#include <cub/block/block_reduce.cuh>

extern "C" __global__ void block_sum(const float* in, float* out, int n) {
  using Reduce = cub::BlockReduce<float, 256>;
  __shared__ typename Reduce::TempStorage storage;
  const int i = blockIdx.x * 256 + threadIdx.x;
  const float total = Reduce(storage).Sum(i < n ? in[i] : 0.0f);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}
