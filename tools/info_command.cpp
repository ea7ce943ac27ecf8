// jitcu info: versions, devices, default target and cache, for bug reports and setup checks.
#include "commands.hpp"
#include "format.hpp"
#include "entry_view.hpp"
#include "remote_status.hpp"

#include <jitcu/device.hpp>
#include <jitcu/engine.hpp>
#include <jitcu/source.hpp>
#include <jitcu/version.hpp>

#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

using nlohmann::json;

// NVRTC writes its release into every PTX it makes: "// Cuda compilation tools, release 13.0, V13.0.88".
constexpr std::string_view k_release_marker = "// Cuda compilation tools, ";
constexpr const char* k_probe_source = "extern \"C\" __global__ void jitcu_info_probe() {}\n";

struct InfoArgs {
  bool json = false;
};

struct NvrtcInfo {
  std::string identity;  // the cache key's name for the build: "libnvrtc.so.13, N bytes"
  std::string toolkit;
  std::string release;   // "release 13.0, V13.0.88"; empty when NVRTC did not load
  std::string error;
};

struct DriverInfo {
  bool available = false;
  std::string reason;
  int version = 0;  // 13000 for 13.0; 0 when unknown
  std::vector<DeviceInfo> devices;
};

std::string release_line(const std::string& ptx) {
  std::istringstream lines(ptx);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(k_release_marker)) return line.substr(k_release_marker.size());
  }
  return "(not stated in its PTX)";
}

/// NVRTC's identity from the key record, and its release from one tiny in-memory compile.
NvrtcInfo nvrtc_info(Engine& engine) {
  NvrtcInfo info;
  const Source probe = Source::string(k_probe_source, "jitcu_info_probe.cu");
  try {
    const cache::KeyRecord record = engine.key_record(probe);
    info.identity = field_value(record, "nvrtc").value_or("");
    info.toolkit = field_value(record, "toolkit").value_or("");
    info.release = release_line(engine.compile(probe).ptx());
  } catch (const std::exception& error) {
    info.error = error.what();
  }
  return info;
}

DriverInfo driver_info() {
  DriverInfo info;
  info.available = cuda_available();
  if (!info.available) info.reason = cuda_unavailable_reason();
  try {
    info.version = driver_version();
    info.devices = devices();
  } catch (const std::exception& error) {
    if (info.reason.empty()) info.reason = error.what();
  }
  return info;
}

std::string version_text(int version) {
  return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

json device_json(const DeviceInfo& device) {
  return {{"ordinal", device.ordinal}, {"name", device.name}, {"arch", device.arch()},
          {"compute_capability", fmt::format("{}.{}", device.major, device.minor)},
          {"total_memory_bytes", device.total_memory_bytes}};
}

Exit run_info(const InfoArgs& args, const GlobalOptions& global) {
  EngineOptions memory_only = engine_options(global);
  memory_only.disk_cache = false;  // the probe compile must not land in the user's cache
  Engine engine(memory_only);
  const DriverInfo driver = driver_info();
  const NvrtcInfo nvrtc = nvrtc_info(engine);
  const std::string arch = engine.default_arch();
  const std::string dir = cache_dir(global).string();
  const auto disk = open_cache(global);
  const cache::DiskStats stats = disk ? disk->stats() : cache::DiskStats{0, 0, cache_cap_bytes()};
  const json remote = remote_status();

  if (args.json) {
    json device_list = json::array();
    for (const DeviceInfo& device : driver.devices) device_list.push_back(device_json(device));
    print_json({{"jitcu_version", std::string(jitcu::version())},
                {"nvrtc", {{"identity", nvrtc.identity}, {"release", nvrtc.release}, {"error", nvrtc.error}}},
                {"toolkit", nvrtc.toolkit},
                {"driver", {{"available", driver.available}, {"reason", driver.reason},
                            {"version", driver.version},
                            {"version_text", driver.version ? version_text(driver.version) : ""}}},
                {"devices", device_list},
                {"default_arch", arch},
                {"cache", {{"dir", dir}, {"entries", stats.entries}, {"total_size_bytes", stats.total_size_bytes},
                           {"max_size_bytes", stats.max_size_bytes}, {"pch_files", stats.pch_files},
                           {"pch_bytes", stats.pch_bytes}}},
                {"remote", remote}});
    return Exit::ok;
  }
  fmt::print("jitcu         {}\n", jitcu::version());
  if (nvrtc.error.empty()) fmt::print("nvrtc         {} ({})\n", nvrtc.release, nvrtc.identity);
  else fmt::print("nvrtc         cannot compile: {}\n", nvrtc.error);
  fmt::print("toolkit       {}\n", nvrtc.toolkit.empty() ? "(not found: set CUDA_HOME)" : nvrtc.toolkit);
  if (driver.version) fmt::print("driver        CUDA {} ({})\n", version_text(driver.version), driver.version);
  else fmt::print("driver        no CUDA driver: {}\n", driver.reason);
  if (driver.version && driver.devices.empty()) {
    fmt::print("devices       none{}\n", driver.reason.empty() ? "" : ": " + driver.reason);
  }
  for (const DeviceInfo& device : driver.devices) {
    fmt::print("device {:<6} {} ({}, compute capability {}.{}, {})\n", device.ordinal, device.name, device.arch(),
               device.major, device.minor, human_size(device.total_memory_bytes));
  }
  fmt::print("default arch  {}{}\n", arch, driver.devices.empty() ? " (no GPU: $JITCU_ARCH, else sm_90)" : "");
  fmt::print("cache dir     {}\n", dir);
  fmt::print("cache         {} entr{}, {} of a {} cap\n", stats.entries, stats.entries == 1 ? "y" : "ies", human_size(stats.total_size_bytes),
             human_size(stats.max_size_bytes));
  if (stats.pch_files)
    fmt::print("precompiled   {} header file{}, {} (within the cap)\n", stats.pch_files, stats.pch_files == 1 ? "" : "s",
               human_size(stats.pch_bytes));
  print_remote_status(remote, 14);
  return Exit::ok;
}

}  // namespace

Command add_info_command(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* app = parent.add_subcommand("info", "show jitcu's and NVRTC's versions, the driver and its devices, "
                                                "the default arch and the cache");
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  return {app, [args, &global] { return run_info(*args, global); }};
}

}  // namespace jitcu::tool
