#include "linker.hpp"

#include "diagnostics.hpp"
#include "entry_codec.hpp"
#include "nvjitlink.hpp"
#include "nvrtc.hpp"
#include "toolkit.hpp"

#include <jitcu/error.hpp>

#include <filesystem>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

std::filesystem::path device_runtime_library() {
  for (const char* lib : {"lib64", "lib"}) {
    auto candidate = std::filesystem::path(toolkit().root) / lib / "libcudadevrt.a";
    if (std::filesystem::exists(candidate)) return candidate;
  }
  throw Error(fmt::format("linking with the device runtime needs libcudadevrt.a, which is not in the CUDA toolkit "
                          "at '{}'; set CUDA_HOME to a full toolkit", toolkit().root));
}

}  // namespace

std::pair<std::shared_ptr<ModuleState>, cache::Entry> link_sources(const cache::Key& key, const LinkPlan& plan) {
  std::vector<LinkInput> inputs;
  NvrtcOutput combined;
  std::string names, texts;
  for (std::size_t i = 0; i < plan.requests.size(); ++i) {
    const auto& source = plan.requests[i].source;
    NvrtcInput input{&source.text(), &source.name(), plan.requests[i].nvrtc_options(), {}};
    input.headers = plan.requests[i].headers;
    auto output = nvrtc_compile(input);
    if (!output.ok) throw make_compile_error(source, output.log, output.result_name, input.headers);
    combined.milliseconds += output.milliseconds;
    combined.log += output.log.empty() ? "" : fmt::format("== {}\n{}\n", source.name(), output.log);
    combined.ptx += output.ptx.empty() ? "" : fmt::format("// ==== {}\n{}\n", source.name(), output.ptx);
    if (plan.how.lto) inputs.push_back({LinkInput::Kind::lto_ir, std::move(output.lto_ir), source.name()});
    else inputs.push_back({LinkInput::Kind::cubin, std::move(output.cubin), source.name()});
    names += (i ? " + " : "") + source.name();
    texts += fmt::format("// ==== {}\n{}\n", source.name(), source.text());
  }
  if (plan.how.device_runtime)
    inputs.push_back({LinkInput::Kind::library_file, device_runtime_library().string(), "libcudadevrt.a"});

  std::vector<std::string> link_options{"-arch=" + plan.requests.front().arch};
  if (plan.how.lto) link_options.push_back("-lto");
  auto linked = nvjitlink_link(inputs, link_options);
  if (!linked.ok) {
    const bool needs_runtime = !plan.how.device_runtime && (linked.log.find("LaunchDevice") != std::string::npos ||
                                                             linked.log.find("GetParameterBuffer") != std::string::npos);
    throw CompileError(fmt::format("linking {} failed{}:\n{}", names,
                                   needs_runtime ? "; a kernel that launches kernels needs the device runtime: "
                                                   "CompileOptions{.device_runtime = true} or "
                                                   "LinkOptions{.device_runtime = true}"
                                                 : "",
                                   linked.log),
                       names, linked.log, parse_nvrtc_log(linked.log));
  }
  if (plan.how.lto) {  // LTO inputs carry no PTX: ask the linker for the optimized program's
    link_options.push_back("-ptx");
    combined.ptx = nvjitlink_link(inputs, link_options).ptx;
  }
  combined.ok = true;
  combined.cubin = std::move(linked.cubin);
  combined.log += linked.log;
  combined.milliseconds += linked.milliseconds;

  auto module = module_from_output(key, names, plan.requests.front().arch, std::move(combined));
  auto entry = entry_from_module(*module, texts, plan.record);
  return {std::move(module), std::move(entry)};
}

}  // namespace jitcu::detail
