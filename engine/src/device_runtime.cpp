#include "device_runtime.hpp"

#include <jitcu/error.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jitcu::detail {

bool needs_device_link(const CompileOptions& options) {
  return options.relocatable_device_code || options.device_runtime;
}

CompileOptions device_link_compile_options(const CompileOptions& options) {
  if (!options.name_expressions.empty())
    throw Error(fmt::format("CompileOptions::{} compiles through a link, which takes no name expressions ({}): "
                            "instantiate the templates in the source (template __global__ void k<float>(float*);) "
                            "and find them by name (\"k<float>\")",
                            options.device_runtime ? "device_runtime" : "relocatable_device_code",
                            fmt::join(options.name_expressions, ", ")));
  CompileOptions per_source = options;
  per_source.relocatable_device_code = false;  // Engine::link adds -rdc=true itself
  per_source.device_runtime = false;
  return per_source;
}

LinkOptions device_link_options(const CompileOptions& options) { return LinkOptions{.lto = false, .device_runtime = options.device_runtime}; }

}  // namespace jitcu::detail
