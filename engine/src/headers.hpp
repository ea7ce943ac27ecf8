#pragma once
// Finds the user headers a source reaches through #include, since NVRTC does not say.
#include <jitcu/options.hpp>
#include <jitcu/source.hpp>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace jitcu::detail {

/// A user header a compile depends on.
struct HeaderDependency {
  std::filesystem::path path;  // absolute, lexically normal
  std::string sha256;
};

/// What a source's #include lines reach, apart from the toolkit's headers.
struct IncludedHeaders {
  std::vector<HeaderDependency> on_disk;  // user headers
  /// Standard headers no user header provides, which jitcu gives NVRTC (standard_headers.hpp),
  /// sorted by name.
  std::vector<const HeaderText*> standard;
};

/// Where #include lines are looked up, in the order NVRTC will look.
struct IncludeSearch {
  /// Headers given as text: an #include naming one exactly finds it before any folder, from
  /// the source, a disk header or another of them (NVRTC's rule, tests/unit/memory_headers_test.cpp).
  std::span<const HeaderText> memory_headers{};
  std::vector<std::string> user_dirs;  // -I dirs, the source's folder first; the toolkit's
                                      // come after and are not scanned
};

/// The header of `headers` named exactly `name` (NVRTC matches in-memory names exactly), or null.
const HeaderText* memory_header(std::span<const HeaderText> headers, std::string_view name);

/// Every user header on disk reachable from `source`, transitively, and the standard headers
/// jitcu stands in for. Conservative: every #include line counts, whatever #if it sits in; a
/// standard header (<cstdint>) found in no folder gets jitcu's, unless some include of that name
/// finds a user's file (NVRTC would then take jitcu's for all of them); any other header that
/// exists nowhere is left to NVRTC to report. An include that an in-memory header satisfies is
/// never looked for on disk; the includes inside that header are followed (its quoted ones first
/// in the folder its name has, relative to the current directory, as NVRTC does). In-memory
/// headers are not returned: the request keys them all.
/// Throws CompileError, naming the #include line, where the header found is a FIFO, device or
/// socket (NVRTC would block reading it) or larger than k_max_source_file_bytes.
/// Unchanged headers (same size, mtime and inode, not modified in the last second) are not
/// read again in this process.
/// `missing`, if given, receives every path looked at and not found before a header was found
/// (or for a header found nowhere): creating one of them would change what NVRTC includes.
IncludedHeaders scan_headers(const Source& source, const IncludeSearch& search,
                             std::vector<std::filesystem::path>* missing = nullptr);

/// The headers NVRTC gets: `given` (CompileOptions::headers), then the standard ones of `included`.
std::vector<HeaderText> headers_for_nvrtc(std::span<const HeaderText> given, const IncludedHeaders& included);

/// One `#include "name"` or `#include <name>` line.
struct IncludeLine {
  std::string name;
  bool quoted = false;
  std::size_t line = 0;  // 1-based
};

/// The #include targets of `text`, in order.
std::vector<IncludeLine> include_lines(std::string_view text);

}  // namespace jitcu::detail
