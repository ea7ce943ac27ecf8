#pragma once
// CUDA driver types a user needs for interop, declared without <cuda.h>.
#include <cstdint>

struct CUstream_st;
struct CUctx_st;

namespace jitcu {

/// Same type as CUstream; nullptr is the legacy default stream.
using StreamHandle = CUstream_st*;
/// Same type as CUcontext.
using ContextHandle = CUctx_st*;
/// Same type as CUdeviceptr (checked by a static_assert in driver.cpp).
using DevicePtr = unsigned long long;

}  // namespace jitcu
