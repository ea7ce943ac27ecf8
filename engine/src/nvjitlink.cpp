// The only file that includes <nvJitLink.h>: opens libnvJitLink at run time and links.
#include "nvjitlink.hpp"

#include "toolkit.hpp"

#include <jitcu/base/log.hpp>
#include <jitcu/error.hpp>

#include <dlfcn.h>
#include <nvJitLink.h>

#include <chrono>
#include <filesystem>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::detail {
namespace {

constexpr const char* k_nvjitlink_soname = "libnvJitLink.so.13";

// nvJitLink's header maps each call to a versioned symbol; these are the 13.0 ones.
#define JITCU_NVJITLINK_FUNCTIONS(X)                                                              \
  X(Create) X(Destroy) X(AddData) X(AddFile) X(Complete) X(GetLinkedCubinSize) X(GetLinkedCubin) \
  X(GetLinkedPtxSize) X(GetLinkedPtx) X(GetErrorLogSize) X(GetErrorLog) X(GetInfoLogSize) X(GetInfoLog)

struct LinkTable {
#define JITCU_DECLARE(fn) decltype(&::__nvJitLink##fn##_13_0) fn = nullptr;
  JITCU_NVJITLINK_FUNCTIONS(JITCU_DECLARE)
#undef JITCU_DECLARE
};

const LinkTable& api() {
  static const LinkTable table = [] {
    std::string path = k_nvjitlink_soname;
    if (!toolkit().root.empty())
      for (const char* lib : {"lib64", "lib"})
        if (auto candidate = std::filesystem::path(toolkit().root) / lib / k_nvjitlink_soname; std::filesystem::exists(candidate)) {
          path = candidate.string();
          break;
        }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* reason = dlerror();
      throw Error(fmt::format("cannot load nvJitLink for linking: dlopen(\"{}\") failed: {}; install the CUDA 13 "
                              "toolkit's nvJitLink or point CUDA_HOME at it", path, reason ? reason : "unknown reason"));
    }
    LinkTable made;
#define JITCU_RESOLVE(fn)                                                                              \
  made.fn = reinterpret_cast<decltype(made.fn)>(dlsym(handle, "__nvJitLink" #fn "_13_0"));             \
  if (!made.fn) throw Error(fmt::format("{} lacks __nvJitLink{}_13_0: it is not nvJitLink 13", path, #fn));
    JITCU_NVJITLINK_FUNCTIONS(JITCU_RESOLVE)
#undef JITCU_RESOLVE
    return made;
  }();
  return table;
}

nvJitLinkInputType input_type(LinkInput::Kind kind) {
  switch (kind) {
    case LinkInput::Kind::cubin: return NVJITLINK_INPUT_CUBIN;
    case LinkInput::Kind::ptx: return NVJITLINK_INPUT_PTX;
    case LinkInput::Kind::lto_ir: return NVJITLINK_INPUT_LTOIR;
    case LinkInput::Kind::library_file: return NVJITLINK_INPUT_LIBRARY;
  }
  return NVJITLINK_INPUT_ANY;
}

std::string logs(nvJitLinkHandle handle) {
  std::string text;
  std::size_t size = 0;
  if (api().GetErrorLogSize(handle, &size) == NVJITLINK_SUCCESS && size > 1) {
    std::string part(size, '\0');
    api().GetErrorLog(handle, part.data());
    text += part.c_str();
  }
  if (api().GetInfoLogSize(handle, &size) == NVJITLINK_SUCCESS && size > 1) {
    std::string part(size, '\0');
    api().GetInfoLog(handle, part.data());
    text += part.c_str();
  }
  return text;
}

}  // namespace

LinkOutput nvjitlink_link(const std::vector<LinkInput>& inputs, const std::vector<std::string>& options) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<const char*> raw_options;
  for (const auto& option : options) raw_options.push_back(option.c_str());
  nvJitLinkHandle handle = nullptr;
  if (auto rc = api().Create(&handle, static_cast<std::uint32_t>(raw_options.size()), raw_options.data());
      rc != NVJITLINK_SUCCESS)
    throw Error(fmt::format("nvJitLinkCreate failed ({}) with options {}", static_cast<int>(rc), fmt::join(options, " ")));
  struct Destroy {
    nvJitLinkHandle* handle;
    ~Destroy() { api().Destroy(handle); }
  } destroy{&handle};

  LinkOutput output;
  for (const auto& input : inputs) {
    const auto rc = input.kind == LinkInput::Kind::library_file
                        ? api().AddFile(handle, input_type(input.kind), input.data.c_str())
                        : api().AddData(handle, input_type(input.kind), input.data.data(), input.data.size(),
                                        input.name.c_str());
    if (rc != NVJITLINK_SUCCESS) {
      output.log = fmt::format("adding {} failed ({})\n{}", input.name, static_cast<int>(rc), logs(handle));
      return output;
    }
  }
  if (api().Complete(handle) != NVJITLINK_SUCCESS) {
    output.log = logs(handle);
    return output;
  }
  output.log = logs(handle);
  std::size_t size = 0;
  const bool want_ptx = std::find(options.begin(), options.end(), "-ptx") != options.end();
  if (want_ptx) {
    if (api().GetLinkedPtxSize(handle, &size) == NVJITLINK_SUCCESS && size > 0) {
      output.ptx.resize(size);
      api().GetLinkedPtx(handle, output.ptx.data());
      if (!output.ptx.empty() && output.ptx.back() == '\0') output.ptx.pop_back();
    }
  } else if (api().GetLinkedCubinSize(handle, &size) == NVJITLINK_SUCCESS && size > 0) {
    output.cubin.resize(size);
    api().GetLinkedCubin(handle, output.cubin.data());
  }
  output.ok = true;
  output.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return output;
}

}  // namespace jitcu::detail
