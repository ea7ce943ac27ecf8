// jitcu-worker: runs NVRTC for an engine, one request at a time, over stdin and stdout.
// Started by the engine with ASLR off, so precompiled headers made by one worker load in the
// next (an NVRTC PCH file only loads where libnvrtc sits at the same address).
#include "nvrtc.hpp"
#include "worker_protocol.hpp"

#include <csignal>
#include <cstdlib>
#include <exception>

int main() {
  std::signal(SIGPIPE, SIG_IGN);
  const char* crash_on = std::getenv("JITCU_WORKER_CRASH_ON");  // tests: die like a crashing NVRTC
  while (auto request = jitcu::detail::read_request(0)) {
    if (crash_on && request->name == crash_on) std::abort();
    jitcu::detail::NvrtcInput input{&request->text, &request->name, request->options, request->name_expressions};
    input.precompiled_headers = !request->pch_dir.empty();
    input.pch_dir = request->pch_dir;
    jitcu::detail::NvrtcOutput output;
    try {
      output = jitcu::detail::nvrtc_compile(input);
    } catch (const std::exception& error) {
      output.ok = false;
      output.result_name = "jitcu-worker error";
      output.log = error.what();
    }
    if (!jitcu::detail::write_response(1, output)) return 1;
  }
  return 0;
}
