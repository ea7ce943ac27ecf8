// The NVRTC floor: a program that calls NVRTC itself, with the options jitcu passes
// (engine/src/prepared_options.cpp): --no-cache --ptxas-options=-v -arch=ARCH -std=c++17
// -I<source folder> -I<cuda>/include -I<cuda>/include/cccl; each compile reads the file, compiles,
// and takes the PTX, the cubin and the log, as jitcu does.
//
//   raw_nvrtc compile FILE ARCH REPS WARMUP [--context]   REPS cold compiles in this process
//   raw_nvrtc one FILE ARCH                               one compile (run as a new process)
//   raw_nvrtc batch DIR ARCH THREADS                      every *.cu in DIR; file i on thread i % THREADS
//                                                         (after one untimed warm-up compile)
//
// --context first brings up a CUDA context (dlopen libcuda.so.1, cuInit, primary context), so
// the floor runs in the same state as jitcu's "context up" measurement. Prints one JSON object.
#include "common.hpp"

#include <cuda.h>
#include <dlfcn.h>
#include <nvrtc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace fs = std::filesystem;
using bench::Clock;
using bench::Json;
using bench::require;

// The toolkit folder, found by the rules jitcu's engine/src/toolkit.cpp uses.
fs::path cuda_root() {
  for (const char* variable : {"JITCU_CUDA_HOME", "CUDA_HOME", "CUDA_PATH"}) {
    const char* value = std::getenv(variable);
    if (value && *value && fs::is_regular_file(fs::path(value) / "include" / "cuda_runtime.h")) return value;
  }
  return "/usr/local/cuda";
}

std::vector<std::string> jitcu_options(const fs::path& source, const std::string& arch) {
  std::vector<std::string> options = {"--no-cache", "--ptxas-options=-v", "-arch=" + arch, "-std=c++17"};
  options.push_back("-I" + fs::absolute(source).parent_path().lexically_normal().string());
  const fs::path root = cuda_root();
  for (const fs::path& dir : {root / "include", root / "include" / "cccl"})
    if (fs::is_directory(dir)) options.push_back("-I" + dir.string());
  return options;
}

struct ProgramDeleter {
  void operator()(_nvrtcProgram* program) const noexcept { nvrtcDestroyProgram(&program); }
};
using Program = std::unique_ptr<_nvrtcProgram, ProgramDeleter>;

void check(nvrtcResult result, const char* call, const std::string& what) {
  if (result != NVRTC_SUCCESS)
    throw bench::Failure(std::string(call) + " failed: " + nvrtcGetErrorString(result) + " while " + what);
}

struct Compiled {
  std::size_t ptx_bytes = 0;
  std::size_t cubin_bytes = 0;
  std::size_t log_bytes = 0;
};

// What a direct NVRTC user does for one file: read, compile, take PTX, cubin and log.
Compiled compile_file(const fs::path& path, const std::vector<std::string>& options) {
  const std::string text = bench::read_file(path);
  const std::string name = path.string();
  nvrtcProgram made = nullptr;
  check(nvrtcCreateProgram(&made, text.c_str(), name.c_str(), 0, nullptr, nullptr), "nvrtcCreateProgram", name);
  Program program(made);
  std::vector<const char*> argv;
  for (const auto& option : options) argv.push_back(option.c_str());
  const nvrtcResult compiled = nvrtcCompileProgram(program.get(), static_cast<int>(argv.size()), argv.data());
  std::size_t log_size = 0;
  check(nvrtcGetProgramLogSize(program.get(), &log_size), "nvrtcGetProgramLogSize", name);
  std::string log(log_size, '\0');
  check(nvrtcGetProgramLog(program.get(), log.data()), "nvrtcGetProgramLog", name);
  if (compiled != NVRTC_SUCCESS)
    throw bench::Failure("NVRTC could not compile '" + name + "': " + nvrtcGetErrorString(compiled) + "\n" + log);
  Compiled result;
  result.log_bytes = log_size;
  check(nvrtcGetPTXSize(program.get(), &result.ptx_bytes), "nvrtcGetPTXSize", name);
  std::string ptx(result.ptx_bytes, '\0');
  check(nvrtcGetPTX(program.get(), ptx.data()), "nvrtcGetPTX", name);
  check(nvrtcGetCUBINSize(program.get(), &result.cubin_bytes), "nvrtcGetCUBINSize", name);
  std::string cubin(result.cubin_bytes, '\0');
  check(nvrtcGetCUBIN(program.get(), cubin.data()), "nvrtcGetCUBIN", name);
  require(result.ptx_bytes > 1, "NVRTC gave no PTX for '" + name + "'");
  require(result.cubin_bytes > 0 || options[2].starts_with("-arch=compute_"),
          "NVRTC gave no cubin for '" + name + "' with " + options[2]);
  return result;
}

// Brings up device 0's primary context through a dlopen'ed driver (this program does not link it).
void bring_up_context() {
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!driver) throw bench::NoDevice(std::string("dlopen(libcuda.so.1): ") + dlerror());
  auto symbol = [&](const char* name) {
    void* found = dlsym(driver, name);
    require(found != nullptr, std::string("libcuda.so.1 has no ") + name);
    return found;
  };
  auto init = reinterpret_cast<decltype(&cuInit)>(symbol("cuInit"));
  auto device_get = reinterpret_cast<decltype(&cuDeviceGet)>(symbol("cuDeviceGet"));
  auto retain = reinterpret_cast<decltype(&cuDevicePrimaryCtxRetain)>(symbol("cuDevicePrimaryCtxRetain"));
  auto set_current = reinterpret_cast<decltype(&cuCtxSetCurrent)>(symbol("cuCtxSetCurrent"));
  CUdevice device{};
  CUcontext context = nullptr;
  if (init(0) != CUDA_SUCCESS || device_get(&device, 0) != CUDA_SUCCESS)
    throw bench::NoDevice("cuInit or cuDeviceGet(0) failed");
  require(retain(&context, device) == CUDA_SUCCESS && set_current(context) == CUDA_SUCCESS,
          "cannot make device 0's primary context current");
}

Json nvrtc_version() {
  int major = 0, minor = 0;
  nvrtcVersion(&major, &minor);
  return std::to_string(major) + "." + std::to_string(minor);
}

int compile_command(const fs::path& file, const std::string& arch, int reps, int warmup, bool context) {
  bench::Report report("raw_nvrtc compile");
  if (context) bring_up_context();
  const auto options = jitcu_options(file, arch);
  Compiled sizes;
  for (int i = 0; i < warmup; ++i) sizes = compile_file(file, options);
  std::vector<double> samples;
  for (int i = 0; i < reps; ++i) {
    const auto start = Clock::now();
    sizes = compile_file(file, options);
    samples.push_back(bench::ms_since(start));
  }
  report.result("compile_ms", bench::stats(samples, "ms"));
  report.info("options", options);
  report.info("context_up", context);
  report.info("nvrtc", nvrtc_version());
  report.info("ptx_bytes", sizes.ptx_bytes);
  report.info("cubin_bytes", sizes.cubin_bytes);
  return report.print();
}

int one_command(const fs::path& file, const std::string& arch) {
  const auto main_started = bench::ms_since_spawn();
  bench::Report report("raw_nvrtc one");
  const auto start = Clock::now();
  const Compiled sizes = compile_file(file, jitcu_options(file, arch));
  const double compile_ms = bench::ms_since(start);
  report.result("compile_ms", compile_ms);
  if (main_started) report.result("spawn_to_main_ms", *main_started);
  if (auto since = bench::ms_since_spawn()) report.result("spawn_to_compiled_ms", *since);
  report.info("cubin_bytes", sizes.cubin_bytes);
  return report.print();
}

int batch_command(const fs::path& dir, const std::string& arch, int threads) {
  bench::Report report("raw_nvrtc batch");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".cu") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  require(!files.empty(), "no .cu files in '" + dir.string() + "'");
  std::vector<std::vector<std::string>> options;
  for (const auto& file : files) options.push_back(jitcu_options(file, arch));
  compile_file(files.front(), options.front());  // warm-up: NVRTC's first compile in a process is slower
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  const auto start = Clock::now();
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        try {
          for (std::size_t i = static_cast<std::size_t>(t); i < files.size(); i += static_cast<std::size_t>(threads))
            compile_file(files[i], options[i]);
        } catch (...) {
          errors[static_cast<std::size_t>(t)] = std::current_exception();
        }
      });
    }
  }
  const double total_ms = bench::ms_since(start);
  for (auto& error : errors)
    if (error) std::rethrow_exception(error);
  report.result("total_ms", total_ms);
  report.info("files", files.size());
  report.info("threads", threads);
  return report.print();
}

int run(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto number = [](const std::string& text) {
    const int value = std::atoi(text.c_str());
    require(value > 0, "'" + text + "' is not a positive count");
    return value;
  };
  if (args.size() >= 5 && args[0] == "compile")
    return compile_command(args[1], args[2], number(args[3]), std::atoi(args[4].c_str()),
                           args.size() > 5 && args[5] == "--context");
  if (args.size() == 3 && args[0] == "one") return one_command(args[1], args[2]);
  if (args.size() == 4 && args[0] == "batch") return batch_command(args[1], args[2], number(args[3]));
  throw bench::Failure("usage: raw_nvrtc compile FILE ARCH REPS WARMUP [--context] | one FILE ARCH | "
                       "batch DIR ARCH THREADS");
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("raw_nvrtc", run, argc, argv); }
