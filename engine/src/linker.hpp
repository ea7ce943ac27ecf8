#pragma once
// Several sources compiled as relocatable code and linked into one module with nvJitLink.
#include "module_state.hpp"
#include "compile_request.hpp"

#include <jitcu/cache/entry.hpp>
#include <jitcu/cache/key.hpp>
#include <jitcu/options.hpp>

#include <memory>
#include <utility>
#include <vector>

namespace jitcu::detail {

/// Everything a link needs, prepared per source.
struct LinkPlan {
  LinkOptions how;
  std::vector<CompileRequest> requests;  // one a source, in the order given
  cache::KeyRecord record;
};

/// Compiles every source with NVRTC, links with nvJitLink; the module and its cache entry.
/// Throws CompileError for a source or the link.
std::pair<std::shared_ptr<ModuleState>, cache::Entry> link_sources(const cache::Key& key, const LinkPlan& plan);

}  // namespace jitcu::detail
