#pragma once
// Keeps a dlopen'ed library (NVRTC) from replacing the process's SIGTERM and SIGINT handlers.
//
// NVRTC 13 installs its own SIGTERM/SIGINT handler with signal() for the length of its front end
// and puts the old one back after (dropping sigaction flags such as SA_SIGINFO). Its handler
// calls exit(); one of NVRTC's exit handlers then waits on a mutex the compiling thread holds,
// so a terminated process hangs for ever, holding the key's compile lock.
#include <string>

namespace jitcu::detail {

/// Points the library's own imports of signal() and sigaction() (its GOT slots) at versions that
/// leave SIGTERM and SIGINT as the process has them; other signals pass through. `handle` is
/// dlopen's; call once, before the library runs. Returns "" on success, else why it could not.
std::string keep_termination_signals_from(void* handle);

}  // namespace jitcu::detail
