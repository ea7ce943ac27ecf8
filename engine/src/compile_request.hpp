#pragma once
// One compile as asked for, normalized: what the in-process cache compares, what the cache key
// is made of (one field per option), and what NVRTC is given. Every part derives from it.
#include "headers.hpp"

#include <jitcu/cache/key.hpp>
#include <jitcu/options.hpp>
#include <jitcu/source.hpp>

#include <string>
#include <vector>

namespace jitcu::detail {

/// Options every NVRTC call gets: jitcu's cache is the cache (NVRTC's own serves stale cubins
/// when only -ftz/-prec-div/-prec-sqrt change), and ptxas reports registers and spills.
inline const std::vector<std::string> k_fixed_nvrtc_options = {"--no-cache", "--ptxas-options=-v"};

struct CompileRequest {
  Source source;
  std::string arch;                          // "sm_90" / "compute_90"
  std::string standard;                      // "c++17"
  /// -DNAME, -DNAME=VALUE and -UNAME in the order NVRTC applies them: sorted by name (macros
  /// of different names commute), in the given order within one name (the last one wins).
  std::vector<std::string> macros;
  std::vector<std::string> include_dirs;     // -I folders in search order
  /// Headers given as text, sorted by name (names are unique, so NVRTC finds the same header
  /// whatever the order): found by exact name before any folder.
  std::vector<HeaderText> headers;
  /// Every other option, as written, in the given order: NVRTC lets a later one win.
  std::vector<std::string> options;
  std::vector<std::string> name_expressions;

  bool operator==(const CompileRequest&) const = default;
  /// A hash of every field, for the in-process cache.
  std::size_t hash() const;
  /// Everything NVRTC gets, in order: jitcu's fixed options, the target, the include folders
  /// (the source's first, the toolkit's last), the macros, then the other options.
  std::vector<std::string> nvrtc_options() const;
  /// Where #include lines are found: `headers` by name, the source's folder, then include_dirs.
  /// It refers to this request's headers: keep the request alive while it is used.
  IncludeSearch search() const;
  /// The options the user gave (macros and others): what may be refused by NVRTC.
  std::vector<std::string> user_options() const;
};

/// Validates and normalizes; throws Error naming a bad arch, standard or define, and
/// InvalidOptionError naming an in-memory header with an empty, repeated or unusable name. `default_arch`
/// is used when neither options.arch nor an -arch in options.extra says one.
CompileRequest make_request(const Source& source, const CompileOptions& options, const std::string& default_arch);

/// The cache key's record: every input that can change the result, one field each, in a
/// length-prefixed encoding (two different requests never serialize alike).
cache::KeyRecord make_key_record(const CompileRequest& request, const IncludedHeaders& headers);

/// True for "sm_90", "sm_90a", "compute_100f"...
bool is_valid_arch(const std::string& arch);

}  // namespace jitcu::detail
