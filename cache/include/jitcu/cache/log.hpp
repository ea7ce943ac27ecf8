#pragma once
// jitcu's one logger, shared by every layer.
#include <spdlog/logger.h>

namespace jitcu {

/// The logger named "jitcu": one the host app registered wins; else stderr, level from
/// JITCU_LOG_LEVEL (trace, debug, info, warn, error, critical, off; default warn).
spdlog::logger& log();

}  // namespace jitcu
