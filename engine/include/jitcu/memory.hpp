#pragma once
// Device memory: RAII DeviceBuffer<T>, to_device, and in/out/inout host ranges for launches.
#include <jitcu/interop.hpp>

#include <cstddef>
#include <iterator>
#include <ranges>
#include <span>
#include <type_traits>
#include <vector>

namespace jitcu {

namespace detail {

/// Synchronous copies between any device address and host memory.
void copy_host_to_device(DevicePtr device, const void* host, std::size_t bytes);
void copy_device_to_host(void* host, DevicePtr device, std::size_t bytes);

/// Owns one cuMemAlloc'd block; move-only, freed on destruction (errors logged, never thrown).
class DeviceAllocation {
 public:
  DeviceAllocation() = default;
  /// Allocates `bytes` (0 allocates nothing) in the current context, or the default device's.
  explicit DeviceAllocation(std::size_t bytes);
  ~DeviceAllocation();
  DeviceAllocation(DeviceAllocation&& other) noexcept;
  DeviceAllocation& operator=(DeviceAllocation&& other) noexcept;
  DeviceAllocation(const DeviceAllocation&) = delete;
  DeviceAllocation& operator=(const DeviceAllocation&) = delete;

  DevicePtr ptr() const { return ptr_; }
  const DevicePtr* ptr_address() const { return &ptr_; }
  std::size_t size_bytes() const { return bytes_; }
  /// Synchronous copies (cuMemcpyHtoD/DtoH); `bytes` must fit.
  void copy_from_host(const void* host, std::size_t bytes, std::size_t offset_bytes = 0);
  void copy_to_host(void* host, std::size_t bytes, std::size_t offset_bytes = 0) const;
  /// Asynchronous copies on `stream`; the host memory must stay valid until the stream has
  /// run them (pinned memory overlaps with kernels, pageable memory may not).
  void copy_from_host_async(const void* host, std::size_t bytes, StreamHandle stream);
  void copy_to_host_async(void* host, std::size_t bytes, StreamHandle stream) const;
  /// Sets every byte to `value` (cuMemsetD8).
  void fill_bytes(unsigned char value);

 private:
  DevicePtr ptr_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace detail

/// `count` elements of T in device memory; move-only, freed when destroyed.
template <class T>
class DeviceBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "DeviceBuffer<T> needs a trivially copyable T");

 public:
  DeviceBuffer() = default;
  /// Uninitialized device memory for `count` elements; synchronous allocation.
  explicit DeviceBuffer(std::size_t count) : alloc_(count * sizeof(T)), count_(count) {}

  /// Elements of T.
  std::size_t size() const { return count_; }
  /// Bytes: size() * sizeof(T).
  std::size_t size_bytes() const { return count_ * sizeof(T); }
  /// True when the buffer holds no element (default-constructed or moved from).
  bool empty() const { return count_ == 0; }
  /// The device address, as the kernel sees it.
  DevicePtr ptr() const { return alloc_.ptr(); }
  /// Where the device address is, for a raw argument list that takes its address.
  const DevicePtr* ptr_address() const { return alloc_.ptr_address(); }

  /// Copies `host` to the start of the buffer; throws ArgumentError if it is longer.
  void copy_from(std::span<const T> host) { alloc_.copy_from_host(host.data(), host.size_bytes()); }
  /// Copies the first host.size() elements back; throws ArgumentError if host is longer.
  void copy_to(std::span<T> host) const { alloc_.copy_to_host(host.data(), host.size_bytes()); }
  /// Asynchronous copies on `stream` (use PinnedBuffer host memory for real overlap).
  void copy_from_async(std::span<const T> host, StreamHandle stream) {
    alloc_.copy_from_host_async(host.data(), host.size_bytes(), stream);
  }
  /// Copies back into `host` on `stream`; `host` must stay alive until the stream has run it.
  void copy_to_async(std::span<T> host, StreamHandle stream) const {
    alloc_.copy_to_host_async(host.data(), host.size_bytes(), stream);
  }
  /// The whole buffer as a new vector.
  std::vector<T> to_host() const {
    std::vector<T> host(count_);
    copy_to(host);
    return host;
  }
  /// Sets every byte to `value`; 0xFF poisons floats with NaN.
  void fill_bytes(unsigned char value) { alloc_.fill_bytes(value); }

 private:
  detail::DeviceAllocation alloc_;
  std::size_t count_ = 0;
};

namespace detail {
/// Page-locked host memory (cuMemHostAlloc); move-only.
class PinnedAllocation {
 public:
  PinnedAllocation() = default;
  explicit PinnedAllocation(std::size_t bytes);
  ~PinnedAllocation();
  PinnedAllocation(PinnedAllocation&& other) noexcept;
  PinnedAllocation& operator=(PinnedAllocation&& other) noexcept;
  PinnedAllocation(const PinnedAllocation&) = delete;
  PinnedAllocation& operator=(const PinnedAllocation&) = delete;
  void* data() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
};
}  // namespace detail

/// `count` elements of T in pinned host memory, for copies that overlap with kernels.
template <class T>
class PinnedBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "PinnedBuffer<T> needs a trivially copyable T");

 public:
  PinnedBuffer() = default;
  /// Uninitialized page-locked memory for `count` elements (cuMemHostAlloc).
  explicit PinnedBuffer(std::size_t count) : alloc_(count * sizeof(T)), count_(count) {}
  /// The first element.
  T* data() const { return static_cast<T*>(alloc_.data()); }
  /// Elements of T.
  std::size_t size() const { return count_; }
  /// Element `i`, unchecked.
  T& operator[](std::size_t i) const { return data()[i]; }
  /// The first element, for range-for and algorithms.
  T* begin() const { return data(); }
  /// One past the last element.
  T* end() const { return data() + count_; }
  /// All elements as a span, e.g. for DeviceBuffer::copy_from_async.
  std::span<T> span() const { return {data(), count_}; }

 private:
  detail::PinnedAllocation alloc_;
  std::size_t count_ = 0;
};

/// The element type of a host range, without const: float for a const std::vector<float>.
template <class Range>
using range_value_t = std::remove_cv_t<std::ranges::range_value_t<Range>>;

/// A new DeviceBuffer holding a copy of a contiguous host range (vector, array, span).
template <std::ranges::contiguous_range Range>
DeviceBuffer<range_value_t<Range>> to_device(const Range& host) {
  DeviceBuffer<range_value_t<Range>> buffer(std::ranges::size(host));
  buffer.copy_from(std::span<const range_value_t<Range>>(std::ranges::data(host), std::ranges::size(host)));
  return buffer;
}

/// Direction of a host range passed straight to a launch.
enum class Transfer { in, out, inout };

/// A host range copied to the device before a launch (in), back after it (out), or both.
template <class T, Transfer direction>
struct HostArg {
  std::conditional_t<direction == Transfer::in, const T*, T*> data;  ///< the host range's first element
  std::size_t count;                                                 ///< its length in elements
};

/// Copied to the device before the launch.
template <std::ranges::contiguous_range Range>
HostArg<range_value_t<Range>, Transfer::in> in(const Range& host) {
  return {std::ranges::data(host), std::ranges::size(host)};
}
/// Copied back to the host after the launch (the launch waits for the kernel).
template <std::ranges::contiguous_range Range>
HostArg<range_value_t<Range>, Transfer::out> out(Range& host) {
  return {std::ranges::data(host), std::ranges::size(host)};
}
/// Copied in before and back after the launch.
template <std::ranges::contiguous_range Range>
HostArg<range_value_t<Range>, Transfer::inout> inout(Range& host) {
  return {std::ranges::data(host), std::ranges::size(host)};
}

}  // namespace jitcu
