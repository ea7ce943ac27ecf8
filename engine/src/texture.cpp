#include "driver.hpp"

#include <jitcu/error.hpp>
#include <jitcu/texture.hpp>

#include <utility>

#include <fmt/format.h>

namespace jitcu {
namespace detail {

ArrayAllocation::ArrayAllocation(ChannelType type, int channels, std::size_t width, std::size_t height, ArrayUse use)
    : array_(array_create(type, channels, width, height, use)),
      row_bytes_(width * static_cast<std::size_t>(channels) * channel_bytes(type)),
      rows_(height ? height : 1) {}

ArrayAllocation::~ArrayAllocation() { array_destroy(array_); }

ArrayAllocation::ArrayAllocation(ArrayAllocation&& other) noexcept
    : array_(std::exchange(other.array_, nullptr)), row_bytes_(other.row_bytes_), rows_(other.rows_) {}

ArrayAllocation& ArrayAllocation::operator=(ArrayAllocation&& other) noexcept {
  if (this != &other) {
    array_destroy(array_);
    array_ = std::exchange(other.array_, nullptr);
    row_bytes_ = other.row_bytes_;
    rows_ = other.rows_;
  }
  return *this;
}

namespace {
void check_whole(std::size_t bytes, std::size_t row_bytes, std::size_t rows) {
  if (bytes != row_bytes * rows)
    throw ArgumentError(fmt::format("a CUDA array of {} rows of {} bytes is copied whole: got {} bytes, not {}", rows,
                                    row_bytes, bytes, row_bytes * rows));
}
}  // namespace

void ArrayAllocation::copy_from_host(const void* host, std::size_t bytes) {
  check_whole(bytes, row_bytes_, rows_);
  array_copy_from_host(array_, host, row_bytes_, rows_);
}

void ArrayAllocation::copy_to_host(void* host, std::size_t bytes) const {
  check_whole(bytes, row_bytes_, rows_);
  array_copy_to_host(host, array_, row_bytes_, rows_);
}

void ArrayAllocation::copy_from_device(DevicePtr device, std::size_t bytes) {
  check_whole(bytes, row_bytes_, rows_);
  array_copy_from_device(array_, device, row_bytes_, rows_);
}

void ArrayAllocation::copy_to_device(DevicePtr device, std::size_t bytes) const {
  check_whole(bytes, row_bytes_, rows_);
  array_copy_to_device(device, array_, row_bytes_, rows_);
}

}  // namespace detail

unsigned long long TextureObject::create_for_array(void* array, const TextureOptions& options) {
  return detail::texture_create_for_array(array, options);
}
unsigned long long TextureObject::create_for_linear(DevicePtr ptr, std::size_t bytes, ChannelType type, int channels,
                                                    const TextureOptions& options) {
  return detail::texture_create_for_linear(ptr, bytes, type, channels, options);
}
TextureObject::~TextureObject() { detail::texture_destroy(handle_); }
TextureObject::TextureObject(TextureObject&& other) noexcept : handle_(std::exchange(other.handle_, 0)) {}
TextureObject& TextureObject::operator=(TextureObject&& other) noexcept {
  if (this != &other) {
    detail::texture_destroy(handle_);
    handle_ = std::exchange(other.handle_, 0);
  }
  return *this;
}

unsigned long long SurfaceObject::create(void* array) { return detail::surface_create(array); }
SurfaceObject::~SurfaceObject() { detail::surface_destroy(handle_); }
SurfaceObject::SurfaceObject(SurfaceObject&& other) noexcept : handle_(std::exchange(other.handle_, 0)) {}
SurfaceObject& SurfaceObject::operator=(SurfaceObject&& other) noexcept {
  if (this != &other) {
    detail::surface_destroy(handle_);
    handle_ = std::exchange(other.handle_, 0);
  }
  return *this;
}

}  // namespace jitcu
