// jitcu-worker: runs NVRTC for an engine, one request at a time, over stdin and stdout.
// Started by the engine with ASLR off, so precompiled headers made by one worker load in the
// next (an NVRTC PCH file only loads where libnvrtc and its PCH heap sit at the same address).
#include "nvrtc.hpp"
#include "pch_store.hpp"
#include "worker_protocol.hpp"

#include <csignal>
#include <cstdlib>
#include <exception>

int main() {
  std::signal(SIGPIPE, SIG_IGN);
  const char* crash_on = std::getenv("JITCU_WORKER_CRASH_ON");  // tests: die like a crashing NVRTC
  try {
    // First of all: where NVRTC's PCH heap lands must not depend on what requests came.
    jitcu::detail::pch_address_layout();
  } catch (const std::exception&) {
    // No NVRTC: every request says so below.
  }
  while (auto request = jitcu::detail::read_request(0)) {
    if (crash_on && request->name == crash_on) std::abort();
    jitcu::detail::NvrtcInput input{&request->text, &request->name, request->options, request->name_expressions};
    input.pch_file = request->pch_file;
    input.headers = request->headers;
    jitcu::detail::NvrtcOutput output;
    try {
      output = input.pch_file.empty() ? jitcu::detail::nvrtc_compile(input)
                                      : jitcu::detail::compile_with_persistent_pch(input);
    } catch (const std::exception& error) {
      output.ok = false;
      output.result_name = "jitcu-worker error";
      output.log = error.what();
    }
    if (!jitcu::detail::write_response(1, output)) return 1;
  }
  return 0;
}
