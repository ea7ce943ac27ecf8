#pragma once
// nvJitLink, opened with dlopen when a link really has to run.
#include <string>
#include <vector>

namespace jitcu::detail {

/// One input of a link.
struct LinkInput {
  enum class Kind { cubin, ptx, lto_ir, library_file } kind;
  std::string data;  // bytes, or a path for library_file
  std::string name;
};

struct LinkOutput {
  bool ok = false;
  std::string cubin;
  std::string ptx;  // only when asked for (LTO with -ptx)
  std::string log;  // error and info logs
  double milliseconds = 0;
};

/// Links `inputs` with nvJitLink; `options` like "-arch=sm_90", "-lto", "-ptx". Throws Error
/// when libnvJitLink cannot be loaded.
LinkOutput nvjitlink_link(const std::vector<LinkInput>& inputs, const std::vector<std::string>& options);

}  // namespace jitcu::detail
