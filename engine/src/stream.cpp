#include "driver.hpp"

#include <jitcu/stream.hpp>

#include <utility>

namespace jitcu {

Stream::Stream(StreamSync sync) : handle_(detail::stream_create(sync == StreamSync::non_blocking)) {}
Stream::~Stream() { detail::stream_destroy(handle_); }
Stream::Stream(Stream&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    detail::stream_destroy(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}
void Stream::synchronize() const { detail::stream_synchronize(handle_); }

Event::Event() : handle_(detail::event_create()) {}
Event::~Event() { detail::event_destroy(handle_); }
Event::Event(Event&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    detail::event_destroy(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}
void Event::record(StreamHandle stream) { detail::event_record(handle_, stream); }
void Event::synchronize() const { detail::event_synchronize(handle_); }
float Event::elapsed_ms_since(const Event& start) const { return detail::event_elapsed_ms(start.handle_, handle_); }

}  // namespace jitcu
