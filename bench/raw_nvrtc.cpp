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
#include "nvrtc_floor.hpp"

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

constexpr bench::NvrtcApi k_nvrtc{nvrtcCreateProgram, nvrtcCompileProgram, nvrtcDestroyProgram, nvrtcGetProgramLogSize,
                                   nvrtcGetProgramLog,  nvrtcGetPTXSize,     nvrtcGetPTX,         nvrtcGetCUBINSize,
                                   nvrtcGetCUBIN,       nvrtcGetErrorString};

bench::Compiled compile_file(const fs::path& path, const std::vector<std::string>& options) {
  return bench::compile_file(k_nvrtc, path, options);
}

// Brings up device 0's primary context through a dlopen'ed driver (this program does not link it).
void bring_up_context() {
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!driver) throw bench::NoDevice(std::string("dlopen(libcuda.so.1): ") + dlerror());
  auto symbol = [&](const char* name) { return bench::symbol_in(driver, "libcuda.so.1", name); };
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
  const auto options = bench::jitcu_options(file, arch);
  bench::Compiled sizes;
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
  const bench::Compiled sizes = compile_file(file, bench::jitcu_options(file, arch));
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
  for (const auto& file : files) options.push_back(bench::jitcu_options(file, arch));
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
