#pragma once
// CUDA C++ that every generated kernel starts with: vector slices, shuffles, L2 loads and
// acquire/release flags. Written for C++11 and later (no if constexpr), any sm_70+.
#include <string_view>

namespace jitcu::kernels::detail {

// NVRTC has no <math.h> macros; expressions like "-INFINITY" are common in neutral elements.
inline constexpr std::string_view k_math_macros = R"cuda(#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#ifndef NAN
#define NAN __int_as_float(0x7fffffff)
#endif
)cuda";

inline constexpr std::string_view k_device_helpers = R"cuda(namespace jitcu_detail {

// V consecutive elements of T; 16-byte aligned, so a copy is 16-byte vector loads or stores.
template <class T, int V>
struct alignas(16) Vec {
  T v[V];
};

__device__ __forceinline__ bool aligned16(const void* p) {
  return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

// A pointer the code only reads as p[i]: V elements loaded at once, p[i] reads a register.
template <class T, int V>
struct In {
  Vec<T, V> data;
  long long base;
  __device__ __forceinline__ In(const T* p, long long first)
      : data(*reinterpret_cast<const Vec<T, V>*>(p + first)), base(first) {}
  __device__ __forceinline__ const T& operator[](long long j) const { return data.v[j - base]; }
};

// A pointer the code reads and writes as p[i]: loaded at once, stored at once.
template <class T, int V>
struct InOut {
  Vec<T, V> data;
  long long base;
  __device__ __forceinline__ InOut(const T* p, long long first)
      : data(*reinterpret_cast<const Vec<T, V>*>(p + first)), base(first) {}
  __device__ __forceinline__ T& operator[](long long j) { return data.v[j - base]; }
  __device__ __forceinline__ void store(T* p) const { *reinterpret_cast<Vec<T, V>*>(p + base) = data; }
};

// A pointer the code only assigns as p[i] = ...: stored at once when every element was
// assigned (the usual case, known at compile time), else element by element.
template <class T, int V>
struct Out {
  Vec<T, V> data;
  bool written[V];
  long long base;
  __device__ __forceinline__ explicit Out(long long first) : base(first) {
#pragma unroll
    for (int k = 0; k < V; ++k) written[k] = false;
  }
  __device__ __forceinline__ T& operator[](long long j) {
    written[j - base] = true;
    return data.v[j - base];
  }
  __device__ __forceinline__ void store(T* p) const {
    bool all = true;
#pragma unroll
    for (int k = 0; k < V; ++k) all = all && written[k];
    if (all) {
      *reinterpret_cast<Vec<T, V>*>(p + base) = data;
      return;
    }
#pragma unroll
    for (int k = 0; k < V; ++k)
      if (written[k]) p[base + k] = data.v[k];
  }
};

// The widest word that tiles T exactly, for moving any trivially copyable T.
template <int Bytes> struct WordOfSize;
template <> struct WordOfSize<4> { typedef unsigned int type; };
template <> struct WordOfSize<2> { typedef unsigned short type; };
template <> struct WordOfSize<1> { typedef unsigned char type; };
template <class T>
struct WordOf {
  typedef typename WordOfSize<sizeof(T) % 4 == 0 ? 4 : (sizeof(T) % 2 == 0 ? 2 : 1)>::type type;
  static const int count = sizeof(T) / sizeof(type);
};

// __shfl_down_sync / __shfl_up_sync for any trivially copyable T, 4 bytes at a time.
template <class T>
__device__ __forceinline__ T shfl_down(const T& value, unsigned delta) {
  unsigned int words[(sizeof(T) + 3) / 4] = {};
  memcpy(words, &value, sizeof(T));
#pragma unroll
  for (int k = 0; k < (int)((sizeof(T) + 3) / 4); ++k) words[k] = __shfl_down_sync(0xffffffffu, words[k], delta);
  T out = value;
  memcpy(&out, words, sizeof(T));
  return out;
}
template <class T>
__device__ __forceinline__ T shfl_up(const T& value, unsigned delta) {
  unsigned int words[(sizeof(T) + 3) / 4] = {};
  memcpy(words, &value, sizeof(T));
#pragma unroll
  for (int k = 0; k < (int)((sizeof(T) + 3) / 4); ++k) words[k] = __shfl_up_sync(0xffffffffu, words[k], delta);
  T out = value;
  memcpy(&out, words, sizeof(T));
  return out;
}

template <class T>
__device__ __forceinline__ T shfl_idx(const T& value, int lane) {
  unsigned int words[(sizeof(T) + 3) / 4] = {};
  memcpy(words, &value, sizeof(T));
#pragma unroll
  for (int k = 0; k < (int)((sizeof(T) + 3) / 4); ++k) words[k] = __shfl_sync(0xffffffffu, words[k], lane);
  T out = value;
  memcpy(&out, words, sizeof(T));
  return out;
}

// Reads *p from L2, past this multiprocessor's L1: for values other blocks wrote.
template <class T>
__device__ __forceinline__ T load_from_l2(const T* p, const T& like) {
  typedef typename WordOf<T>::type W;
  W words[WordOf<T>::count];
  const W* source = reinterpret_cast<const W*>(p);
#pragma unroll
  for (int k = 0; k < WordOf<T>::count; ++k) words[k] = __ldcg(source + k);
  T out = like;
  memcpy(&out, words, sizeof(T));
  return out;
}

// Flags between blocks: a release store publishes the writes before it, an acquire load
// sees them (PTX memory model, gpu scope).
__device__ __forceinline__ unsigned long long load_acquire(const unsigned long long* p) {
  unsigned long long value;
  asm volatile("ld.acquire.gpu.u64 %0, [%1];" : "=l"(value) : "l"(p) : "memory");
  return value;
}
__device__ __forceinline__ void store_release(unsigned long long* p, unsigned long long value) {
  asm volatile("st.release.gpu.u64 [%0], %1;" : : "l"(p), "l"(value) : "memory");
}

}  // namespace jitcu_detail
)cuda";

}  // namespace jitcu::kernels::detail
