#pragma once
// Reading a source or header file: regular files only, never a blocking read, bounded size.
#include <cstddef>
#include <optional>
#include <string>

namespace jitcu::detail {

/// Largest source or header file jitcu reads: far above any real kernel source (CUB's largest
/// header is under 1 MiB), small enough that a wrong path (a disk image, a log) fails at once
/// instead of filling memory.
constexpr std::size_t k_max_source_file_bytes = std::size_t{64} << 20;

/// The whole of a regular file, or nullopt with `why` set ("it is a FIFO, not a regular file",
/// "it is larger than ...", strerror). Opened with O_NONBLOCK: a FIFO or device never blocks.
std::optional<std::string> read_regular_file(const std::string& path, std::string& why);

/// "a FIFO", "a character device", ... for a file that is not a regular one or a folder; "" for
/// a regular file, a folder or one that cannot be stat()ed.
std::string special_file_kind(const std::string& path);

/// `text`'s first NUL byte's 1-based line, 0 when it has none. NVRTC reads a source as a C
/// string and would silently drop everything after it.
std::size_t first_nul_line(const std::string& text);

}  // namespace jitcu::detail
