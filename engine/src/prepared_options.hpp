#pragma once
// CompileOptions checked and turned into NVRTC's option list and the key's canonical text.
#include "headers.hpp"

#include <jitcu/options.hpp>
#include <jitcu/source.hpp>

#include <string>
#include <vector>

namespace jitcu::detail {

/// Options every NVRTC call gets: jitcu's cache is the cache (NVRTC's own serves stale cubins
/// when only -ftz/-prec-div/-prec-sqrt change), and ptxas reports registers and spills.
inline const std::vector<std::string> k_fixed_nvrtc_options = {"--no-cache", "--ptxas-options=-v"};

struct PreparedOptions {
  std::string arch;                     // "sm_90" / "compute_90"
  std::string standard;                 // "c++17"
  std::vector<std::string> user_given;  // the user's -D and other options, in order; they go last
  std::string canonical;                // order-insensitive where order does not matter
  IncludeSearch search;

  /// Everything NVRTC gets, in order. Built on demand: a cache hit needs only the key's view.
  std::vector<std::string> nvrtc() const;
};

/// Validates and normalizes; throws Error naming a bad arch, standard or define.
/// `default_arch` is used when neither options.arch nor an -arch in options.extra says one.
PreparedOptions prepare_options(const CompileOptions& options, const Source& source,
                                const std::string& default_arch);

/// True for "sm_90", "sm_90a", "compute_100f"...
bool is_valid_arch(const std::string& arch);

}  // namespace jitcu::detail
