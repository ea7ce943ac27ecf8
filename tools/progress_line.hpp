#pragma once
// `jitcu compile`'s progress on stderr: on a terminal one line, redrawn as compiles start and end
// and every 200 ms while they run; elsewhere a plain line per finished compile.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace jitcu::tool {

/// What a batch of compiles has done so far.
struct ProgressState {
  std::size_t done = 0;
  std::size_t failed = 0;
  std::size_t total = 0;
  std::map<std::size_t, std::string> running;  // job index -> "file arch", oldest job first
};

/// "[3/10] 2.4 s  compiling k3.cu sm_90, k4.cu sm_90" (", 1 failed" after the count when some
/// did), cut to `width` columns.
std::string progress_text(const ProgressState& state, std::chrono::milliseconds elapsed, std::size_t width);

/// How progress is shown: a live line (a terminal), plain lines, or not at all.
enum class ProgressDisplay { live, plain, none };

/// live when stderr is a terminal (and TERM is not "dumb"), else plain.
ProgressDisplay progress_display_for_stderr();

/// Progress of one batch on stderr; thread-safe. Output printed through print() goes above a live line.
class ProgressLine {
 public:
  ProgressLine(std::size_t total, ProgressDisplay display);
  /// Stops redrawing and erases the live line (as stop() does).
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  /// Job `index` (named `label`, e.g. "k.cu sm_90") began compiling.
  void started(std::size_t index, std::string label);
  /// Job `index` ended; `outcome` is "hit", "miss" or "failed".
  void finished(std::size_t index, std::string_view outcome);
  /// Writes `text` to `stream` (stdout or stderr) without mixing it into the live line.
  void print(std::FILE* stream, std::string_view text);
  /// Stops redrawing and erases the live line, for output that follows the batch; idempotent.
  void stop();

 private:
  void redraw_loop(std::stop_token stop);
  void draw();   // with mutex_ held
  void erase();  // with mutex_ held

  ProgressDisplay display_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable_any wake_;
  ProgressState state_;
  bool drawn_ = false;
  std::jthread redraw_;  // last: it stops and joins before the members it uses go
};

}  // namespace jitcu::tool
