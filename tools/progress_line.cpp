#include "progress_line.hpp"

#include "format.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include <fmt/format.h>

namespace jitcu::tool {
namespace {

constexpr std::chrono::milliseconds k_redraw_every{200};  // the elapsed time moves during a long compile
constexpr std::size_t k_default_width = 80;               // when the terminal does not say
constexpr std::string_view k_erase_line = "\r\x1b[K";     // to column 0, clear to the end of the line

std::size_t terminal_width() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return k_default_width;
}

}  // namespace

std::string progress_text(const ProgressState& state, std::chrono::milliseconds elapsed, std::size_t width) {
  std::string text = fmt::format("[{}/{}] {:.1f} s", state.done, state.total, static_cast<double>(elapsed.count()) / 1000.0);
  if (state.failed) text += fmt::format(", {} failed", state.failed);
  if (!state.running.empty()) {
    std::vector<std::string> names;
    for (const auto& [index, label] : state.running) names.push_back(label);
    const std::size_t room = width > display_width(text) + 12 ? width - display_width(text) - 12 : 0;
    text += "  compiling " + join_names(names, room);
  }
  return shorten(text, width);
}

ProgressDisplay progress_display_for_stderr() {
  const char* term = std::getenv("TERM");
  if (isatty(STDERR_FILENO) && !(term && std::string_view(term) == "dumb")) return ProgressDisplay::live;
  return ProgressDisplay::plain;
}

ProgressLine::ProgressLine(std::size_t total, ProgressDisplay display) : display_(display) {
  state_.total = total;
  if (display_ == ProgressDisplay::live) redraw_ = std::jthread([this](std::stop_token stop) { redraw_loop(stop); });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
  if (redraw_.joinable()) {
    redraw_.request_stop();
    redraw_.join();
  }
  const std::lock_guard lock(mutex_);
  erase();
  if (display_ == ProgressDisplay::live) display_ = ProgressDisplay::none;  // no drawing after this
}

void ProgressLine::started(std::size_t index, std::string label) {
  const std::lock_guard lock(mutex_);
  state_.running[index] = std::move(label);
  if (display_ == ProgressDisplay::live) draw();
}

void ProgressLine::finished(std::size_t index, std::string_view outcome) {
  const std::lock_guard lock(mutex_);
  const auto found = state_.running.find(index);
  const std::string label = found == state_.running.end() ? "" : found->second;
  if (found != state_.running.end()) state_.running.erase(found);
  ++state_.done;
  if (outcome == "failed") ++state_.failed;
  if (display_ == ProgressDisplay::plain && state_.total > 1)
    fmt::print(stderr, "[{}/{}] {} {}\n", state_.done, state_.total, label, outcome);
  if (display_ == ProgressDisplay::live) draw();
}

void ProgressLine::print(std::FILE* stream, std::string_view text) {
  const std::lock_guard lock(mutex_);
  const bool was_drawn = drawn_;
  erase();
  fmt::print(stream, "{}", text);
  std::fflush(stream);
  if (was_drawn) draw();
}

void ProgressLine::redraw_loop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, k_redraw_every, [] { return false; });
    if (!stop.stop_requested()) draw();
  }
}

void ProgressLine::draw() {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_);
  // One column short of the width: a full line would wrap on some terminals.
  fmt::print(stderr, "{}{}", k_erase_line, progress_text(state_, elapsed, terminal_width() - 1));
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::erase() {
  if (!drawn_) return;
  fmt::print(stderr, "{}", k_erase_line);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace jitcu::tool
