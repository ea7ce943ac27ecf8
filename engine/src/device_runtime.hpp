#pragma once
// CompileOptions that ask for relocatable device code or the device runtime: such a compile is
// a link of one source (Engine::link), so it is cached under the link's key.
#include <jitcu/options.hpp>

namespace jitcu::detail {

/// True when `options` ask for relocatable device code or the device runtime.
bool needs_device_link(const CompileOptions& options);
/// The options each source of that link compiles with; throws Error for what a link cannot take.
CompileOptions device_link_compile_options(const CompileOptions& options);
/// How that link joins the source: with libcudadevrt when the device runtime is asked for.
LinkOptions device_link_options(const CompileOptions& options);

}  // namespace jitcu::detail
