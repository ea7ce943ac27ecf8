#pragma once
// The NVRTC floor's one compile: what a direct NVRTC user does for one file (read it, compile
// with the options jitcu passes, take the log, the PTX and the cubin), through a table of
// NVRTC's functions. raw_nvrtc fills the table from NVRTC linked in; bench_compile fills it with
// dlsym from the NVRTC jitcu loaded, to time both in the same process.
#include "common.hpp"

#include <nvrtc.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace bench {

struct NvrtcApi {
  decltype(&nvrtcCreateProgram) create_program;
  decltype(&nvrtcCompileProgram) compile_program;
  decltype(&nvrtcDestroyProgram) destroy_program;
  decltype(&nvrtcGetProgramLogSize) log_size;
  decltype(&nvrtcGetProgramLog) log;
  decltype(&nvrtcGetPTXSize) ptx_size;
  decltype(&nvrtcGetPTX) ptx;
  decltype(&nvrtcGetCUBINSize) cubin_size;
  decltype(&nvrtcGetCUBIN) cubin;
  decltype(&nvrtcGetErrorString) error_string;
};

/// The toolkit folder, found by the rules jitcu's engine/src/toolkit.cpp uses for the usual
/// toolkit.
inline std::filesystem::path cuda_root() {
  for (const char* variable : {"JITCU_CUDA_HOME", "CUDA_HOME", "CUDA_PATH"}) {
    const char* value = std::getenv(variable);
    if (value && *value && std::filesystem::exists(std::filesystem::path(value) / "include" / "cuda_runtime.h"))
      return value;
  }
  return "/usr/local/cuda";
}

/// The options jitcu passes for a plain compile (engine/src/prepared_options.cpp).
inline std::vector<std::string> jitcu_options(const std::filesystem::path& source, const std::string& arch) {
  std::vector<std::string> options = {"--no-cache", "--ptxas-options=-v", "-arch=" + arch, "-std=c++17"};
  options.push_back("-I" + std::filesystem::absolute(source).parent_path().lexically_normal().string());
  const std::filesystem::path root = cuda_root();
  for (const std::filesystem::path& dir : {root / "include", root / "include" / "cccl"})
    if (std::filesystem::is_directory(dir)) options.push_back("-I" + dir.string());
  return options;
}

struct Compiled {
  std::size_t ptx_bytes = 0;
  std::size_t cubin_bytes = 0;
  std::size_t log_bytes = 0;
};

/// Reads `path`, compiles it, takes the log, the PTX and the cubin; a Failure if NVRTC fails.
inline Compiled compile_file(const NvrtcApi& api, const std::filesystem::path& path,
                             const std::vector<std::string>& options) {
  const std::string text = read_file(path);
  const std::string name = path.string();
  auto check = [&](nvrtcResult result, const char* call) {
    if (result != NVRTC_SUCCESS)
      throw Failure(std::string(call) + " failed: " + api.error_string(result) + " while compiling " + name);
  };
  nvrtcProgram program = nullptr;
  check(api.create_program(&program, text.c_str(), name.c_str(), 0, nullptr, nullptr), "nvrtcCreateProgram");
  struct Destroy {
    const NvrtcApi& api;
    nvrtcProgram& program;
    ~Destroy() { api.destroy_program(&program); }
  } destroy{api, program};
  std::vector<const char*> argv;
  for (const auto& option : options) argv.push_back(option.c_str());
  const nvrtcResult compiled = api.compile_program(program, static_cast<int>(argv.size()), argv.data());
  Compiled result;
  check(api.log_size(program, &result.log_bytes), "nvrtcGetProgramLogSize");
  std::string log(result.log_bytes, '\0');
  check(api.log(program, log.data()), "nvrtcGetProgramLog");
  if (compiled != NVRTC_SUCCESS)
    throw Failure("NVRTC could not compile '" + name + "': " + api.error_string(compiled) + "\n" + log);
  check(api.ptx_size(program, &result.ptx_bytes), "nvrtcGetPTXSize");
  std::string ptx(result.ptx_bytes, '\0');
  check(api.ptx(program, ptx.data()), "nvrtcGetPTX");
  check(api.cubin_size(program, &result.cubin_bytes), "nvrtcGetCUBINSize");
  std::string cubin(result.cubin_bytes, '\0');
  check(api.cubin(program, cubin.data()), "nvrtcGetCUBIN");
  require(result.ptx_bytes > 1, "NVRTC gave no PTX for '" + name + "'");
  require(result.cubin_bytes > 0 || options[2].starts_with("-arch=compute_"),
          "NVRTC gave no cubin for '" + name + "' with " + options[2]);
  return result;
}

}  // namespace bench
