#pragma once
// Precompiled headers that outlast the worker that made them: NVRTC's explicit PCH files
// (--create-pch / --use-pch), one per header prefix, options and NVRTC build, in a folder
// of the cache with its own size cap.
#include "headers.hpp"
#include "nvrtc.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jitcu::detail {

/// JITCU_PCH_MAX_SIZE ("512M", "2G", bytes), else 1 GiB; a malformed value is warned about once.
std::uint64_t pch_limit_bytes();

/// Creates `folder` (and its parents) with the cache's permissions (0700) if it is missing.
void make_pch_folder(const std::filesystem::path& folder);

/// Where workers keep PCH files: <cache_dir>/pch, or this process's own folder (removed at
/// exit) when the cache is in memory only.
std::filesystem::path worker_pch_folder(const std::filesystem::path& cache_dir);

/// The preprocessing directives before the first token that is not one (NVRTC's header stop
/// point), one per line, comments dropped and blanks squeezed; empty when none is an #include,
/// or when the stop falls inside an #if (its extent is then unknown from the text).
std::string header_prefix(std::string_view text);

/// "<folder>/<key>" for a worker compile's PCH; the key hashes NVRTC's build, every NVRTC
/// option, the header prefix and every user header's content hash, on disk and in memory
/// (name and text), so an edited header never meets an old PCH. Empty when the source has no
/// header prefix.
std::string persistent_pch_stem(const std::filesystem::path& folder, std::string_view text,
                                const std::vector<std::string>& nvrtc_options,
                                const std::vector<HeaderDependency>& headers,
                                std::span<const HeaderText> memory_headers);

/// Compiles `input` in this process with the PCH file `input.pch_file` names: uses it when
/// present, makes it when absent, and on any trouble with it compiles without it (the file is
/// then removed or replaced). For worker processes, after pch_address_layout().
NvrtcOutput compile_with_persistent_pch(const NvrtcInput& input);

/// Logs what a worker compile did with its PCH: debug, and a rejection once at info.
void report_pch_use(const std::string& source_name, const NvrtcOutput& output);

/// Removes the PCH files made for `stem` (e.g. after a worker died using one).
void forget_pch(const std::string& stem);

/// Deletes the least recently used PCH files of `folder` until it holds at most `limit_bytes`,
/// and temporary files that no live process is writing.
void prune_pch_folder(const std::filesystem::path& folder, std::uint64_t limit_bytes);

}  // namespace jitcu::detail
