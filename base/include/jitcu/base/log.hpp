#pragma once
// jitcu's one logger, shared by every layer.
#include <spdlog/logger.h>

namespace jitcu {

/// The logger named "jitcu": one the host app registered wins; else stderr, level from
/// JITCU_LOG_LEVEL (trace, debug, info, warn, error, critical, off; default warn).
spdlog::logger& log();

/// Whether log() would pass a message at `level`. Before the logger exists it answers from
/// JITCU_LOG_LEVEL without creating it: spdlog's start-up (~40 us) stays off a cache hit that
/// logs nothing. (So a host logger registered as "jitcu" gets jitcu's debug lines from the first
/// message jitcu logs at its default level or JITCU_LOG_LEVEL's.)
bool log_enabled(spdlog::level::level_enum level);

}  // namespace jitcu
