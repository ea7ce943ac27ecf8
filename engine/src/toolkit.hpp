#pragma once
// Where the CUDA toolkit is: NVRTC's library and the headers NVRTC cannot find by itself.
#include <string>
#include <vector>

namespace jitcu::detail {

// Plain strings: a cache hit builds this in every new process, and std::filesystem's path
// parsing there cost more than the stat calls themselves.
struct Toolkit {
  std::string root;                       // e.g. /usr/local/cuda; empty if not found
  std::string nvrtc_library;              // what dlopen gets; a bare soname if no root
  /// Names NVRTC's build for the cache key without loading it: "libnvrtc.so.13, N bytes".
  std::string nvrtc_identity;
};

/// Found once per process from $JITCU_CUDA_HOME, $CUDA_HOME, $CUDA_PATH, /usr/local/cuda.
const Toolkit& toolkit();

/// The toolkit's include/ and include/cccl/ where present, for NVRTC's -I; found on first use
/// (a compile), not on a cache hit.
const std::vector<std::string>& toolkit_include_dirs();

}  // namespace jitcu::detail
