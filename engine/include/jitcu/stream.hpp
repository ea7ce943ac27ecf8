#pragma once
// RAII CUDA streams and events, and a timed region.
#include <jitcu/interop.hpp>

namespace jitcu {

/// Whether a stream waits for work on the legacy default stream (as PyCUDA's and CuPy's do).
enum class StreamSync {
  blocking,      ///< the default: ordered after the legacy stream's work, like every CUDA default
  non_blocking,  ///< runs beside the legacy stream; jitcu's synchronous copies are still done on return
};

/// A CUDA stream, blocking unless asked otherwise; move-only, destroyed with the object.
/// jitcu's synchronous copies (DeviceBuffer::copy_from, to_device, fill_bytes, CudaArray) are
/// complete when they return, so a kernel launched next on any Stream sees their data.
class Stream {
 public:
  /// Creates a stream in the current context (or the default device's).
  explicit Stream(StreamSync sync = StreamSync::blocking);
  /// Destroys the stream (work queued on it still runs); never throws.
  ~Stream();
  /// Takes `other`'s stream; `other` is left empty.
  Stream(Stream&& other) noexcept;
  /// Destroys this stream and takes `other`'s.
  Stream& operator=(Stream&& other) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  /// The CUstream, for LaunchConfig::stream and interop.
  StreamHandle handle() const { return handle_; }
  /// The CUstream: a Stream is usable where a CUstream is.
  operator StreamHandle() const { return handle_; }  // NOLINT(google-explicit-constructor)
  /// Waits for everything queued on it; throws CudaError if a kernel on it failed.
  void synchronize() const;

 private:
  StreamHandle handle_ = nullptr;
};

/// A CUDA event for ordering and timing; move-only.
class Event {
 public:
  /// Creates an event in the current context (or the default device's).
  Event();
  /// Destroys the event; never throws.
  ~Event();
  /// Takes `other`'s event; `other` is left empty.
  Event(Event&& other) noexcept;
  /// Destroys this event and takes `other`'s.
  Event& operator=(Event&& other) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  /// Records the event on `stream` (nullptr: the default stream).
  void record(StreamHandle stream = nullptr);
  /// Waits until the event has happened.
  void synchronize() const;
  /// Milliseconds from `start` to this event; both recorded, this one complete.
  float elapsed_ms_since(const Event& start) const;

 private:
  void* handle_ = nullptr;  // CUevent
};

}  // namespace jitcu
