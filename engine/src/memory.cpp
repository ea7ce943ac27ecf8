#include "driver.hpp"

#include <jitcu/arguments.hpp>
#include <jitcu/error.hpp>
#include <jitcu/memory.hpp>

#include <utility>

#include <fmt/format.h>

namespace jitcu::detail {

void copy_host_to_device(DevicePtr device, const void* host, std::size_t bytes) { memcpy_htod(device, host, bytes); }
void copy_device_to_host(void* host, DevicePtr device, std::size_t bytes) { memcpy_dtoh(host, device, bytes); }

DeviceAllocation::DeviceAllocation(std::size_t bytes) : bytes_(bytes) {
  if (bytes > 0) ptr_ = mem_alloc(bytes);
}

DeviceAllocation::~DeviceAllocation() { mem_free(ptr_); }

DeviceAllocation::DeviceAllocation(DeviceAllocation&& other) noexcept
    : ptr_(std::exchange(other.ptr_, 0)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceAllocation& DeviceAllocation::operator=(DeviceAllocation&& other) noexcept {
  if (this != &other) {
    mem_free(ptr_);
    ptr_ = std::exchange(other.ptr_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

namespace {
void check_fits(std::size_t bytes, std::size_t offset, std::size_t capacity, const char* what) {
  if (offset > capacity || bytes > capacity - offset)
    throw ArgumentError(fmt::format("{} {} bytes at offset {} does not fit a device buffer of {} bytes", what,
                                    bytes, offset, capacity));
}
}  // namespace

void DeviceAllocation::copy_from_host(const void* host, std::size_t bytes, std::size_t offset_bytes) {
  check_fits(bytes, offset_bytes, bytes_, "copying");
  memcpy_htod(ptr_ + offset_bytes, host, bytes);
}

void DeviceAllocation::copy_to_host(void* host, std::size_t bytes, std::size_t offset_bytes) const {
  check_fits(bytes, offset_bytes, bytes_, "reading");
  memcpy_dtoh(host, ptr_ + offset_bytes, bytes);
}

void DeviceAllocation::copy_from_host_async(const void* host, std::size_t bytes, StreamHandle stream) {
  check_fits(bytes, 0, bytes_, "copying");
  memcpy_htod_async(ptr_, host, bytes, stream);
}

void DeviceAllocation::copy_to_host_async(void* host, std::size_t bytes, StreamHandle stream) const {
  check_fits(bytes, 0, bytes_, "reading");
  memcpy_dtoh_async(host, ptr_, bytes, stream);
}

PinnedAllocation::PinnedAllocation(std::size_t bytes) {
  if (bytes > 0) ptr_ = host_alloc_pinned(bytes);
}
PinnedAllocation::~PinnedAllocation() { host_free_pinned(ptr_); }
PinnedAllocation::PinnedAllocation(PinnedAllocation&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
PinnedAllocation& PinnedAllocation::operator=(PinnedAllocation&& other) noexcept {
  if (this != &other) {
    host_free_pinned(ptr_);
    ptr_ = std::exchange(other.ptr_, nullptr);
  }
  return *this;
}

void DeviceAllocation::fill_bytes(unsigned char value) { memset_d8(ptr_, value, bytes_); }

DevicePtr HostStaging::add(const void* host_in, void* host_out, std::size_t bytes) {
  staged_.push_back({DeviceAllocation(bytes), host_in, host_out});
  return staged_.back().device.ptr();
}

void HostStaging::upload(StreamHandle stream) {
  for (auto& s : staged_)
    if (s.host_in) memcpy_htod_async(s.device.ptr(), s.host_in, s.device.size_bytes(), stream);
}

void HostStaging::download(StreamHandle stream) {
  for (auto& s : staged_)
    if (s.host_out) memcpy_dtoh_async(s.host_out, s.device.ptr(), s.device.size_bytes(), stream);
  stream_synchronize(stream);
}

}  // namespace jitcu::detail
