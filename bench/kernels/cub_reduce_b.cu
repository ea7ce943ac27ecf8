// A different CUB kernel with the same headers: doubles, 128 threads, the raking algorithm.
// Its key differs from cub_reduce_a.cu's, so a new process compiles it with NVRTC.
#include <cub/block/block_reduce.cuh>

extern "C" __global__ void block_sum_double(const double* in, double* out, int n) {
  using Reduce = cub::BlockReduce<double, 128, cub::BLOCK_REDUCE_RAKING>;
  __shared__ typename Reduce::TempStorage storage;
  const int i = blockIdx.x * 128 + threadIdx.x;
  const double total = Reduce(storage).Sum(i < n ? in[i] : 0.0);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}
