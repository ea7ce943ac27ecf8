#pragma once
// CUDA arrays, texture objects and surface objects (RAII), passed to kernels by value.
#include <jitcu/arguments.hpp>
#include <jitcu/interop.hpp>
#include <jitcu/memory.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace jitcu {

/// The element type of a CUDA array or texture.
enum class ChannelType { f32, s32, u32, s16, u16, s8, u8 };

/// The ChannelType of T (float, 32-, 16- and 8-bit integers); other types do not compile.
template <class T>
constexpr ChannelType channel_type_of() {
  if constexpr (std::is_same_v<T, float>) return ChannelType::f32;
  else if constexpr (std::is_same_v<T, std::int32_t>) return ChannelType::s32;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return ChannelType::u32;
  else if constexpr (std::is_same_v<T, std::int16_t>) return ChannelType::s16;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return ChannelType::u16;
  else if constexpr (std::is_same_v<T, std::int8_t>) return ChannelType::s8;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return ChannelType::u8;
  else static_assert(sizeof(T) == 0, "textures hold float, (u)int32, (u)int16 or (u)int8 channels");
}

/// What an array is for: textures only, or also surfaces (kernels write it).
enum class ArrayUse { texture, texture_and_surface };

namespace detail {
/// A cuArray3DCreate'd array of `channels` x `type` per element; move-only.
class ArrayAllocation {
 public:
  ArrayAllocation(ChannelType type, int channels, std::size_t width, std::size_t height, ArrayUse use);
  ~ArrayAllocation();
  ArrayAllocation(ArrayAllocation&& other) noexcept;
  ArrayAllocation& operator=(ArrayAllocation&& other) noexcept;
  ArrayAllocation(const ArrayAllocation&) = delete;
  ArrayAllocation& operator=(const ArrayAllocation&) = delete;
  void copy_from_host(const void* host, std::size_t bytes);
  void copy_to_host(void* host, std::size_t bytes) const;
  /// Copies between the array and linear device memory of `bytes` (the whole array); synchronous.
  void copy_from_device(DevicePtr device, std::size_t bytes);
  void copy_to_device(DevicePtr device, std::size_t bytes) const;
  void* handle() const { return array_; }  // CUarray

 private:
  void* array_ = nullptr;
  std::size_t row_bytes_ = 0;
  std::size_t rows_ = 0;
};
}  // namespace detail

/// A 1D (height 0) or 2D CUDA array of `Channels` values of T per element.
template <class T, int Channels = 1>
class CudaArray {
  static_assert(Channels == 1 || Channels == 2 || Channels == 4, "1, 2 or 4 channels");

 public:
  /// Allocates `width` x `height` elements (height 0: a 1D array); `use` says whether surfaces may write it.
  CudaArray(std::size_t width, std::size_t height = 0, ArrayUse use = ArrayUse::texture)
      : alloc_(channel_type_of<T>(), Channels, width, height, use), width_(width), height_(height) {}
  /// Elements of T in the whole array (width x max(height, 1) x Channels).
  std::size_t size() const { return width_ * (height_ ? height_ : 1) * Channels; }
  /// Copies row-major host data in; ArgumentError unless it has size() values.
  void copy_from(std::span<const T> host) { alloc_.copy_from_host(host.data(), host.size_bytes()); }
  /// Copies the array out to row-major host data; ArgumentError unless it has size() values.
  void copy_to(std::span<T> host) const { alloc_.copy_to_host(host.data(), host.size_bytes()); }
  /// Copies a DeviceBuffer of size() values in, device to device (synchronous); ArgumentError
  /// unless the sizes match.
  void copy_from(const DeviceBuffer<T>& device) { alloc_.copy_from_device(device.ptr(), device.size_bytes()); }
  /// Copies the whole array into a DeviceBuffer of size() values (synchronous).
  void copy_to(DeviceBuffer<T>& device) const { alloc_.copy_to_device(device.ptr(), device.size_bytes()); }
  /// The CUarray, for interop with the driver API.
  void* handle() const { return alloc_.handle(); }
  /// The element type as the driver sees it.
  static constexpr ChannelType channel_type() { return channel_type_of<T>(); }
  /// Values of T per element: 1, 2 or 4.
  static constexpr int channels() { return Channels; }

 private:
  detail::ArrayAllocation alloc_;
  std::size_t width_, height_;
};

/// What a texture read outside the array returns: the edge, a wrapped or mirrored coordinate, or zero.
enum class TextureAddress { clamp, wrap, mirror, border };
/// Nearest element, or linear interpolation between elements (float textures).
enum class TextureFilter { point, linear };
/// Integers read as themselves, or as floats in [0, 1] (normalized_float).
enum class TextureRead { element_type, normalized_float };
/// Coordinates in elements, or in [0, 1) across the array.
enum class TextureCoordinates { unnormalized, normalized };

/// How a texture object reads its array.
struct TextureOptions {
  TextureAddress address = TextureAddress::clamp;                     ///< out-of-range coordinates
  TextureFilter filter = TextureFilter::point;                        ///< point or linear filtering
  TextureRead read = TextureRead::element_type;                       ///< integers as such or normalized
  TextureCoordinates coordinates = TextureCoordinates::unnormalized;  ///< element or normalized coordinates
};

/// A texture object; pass it to a kernel where it takes a cudaTextureObject_t. Move-only.
class TextureObject {
 public:
  /// Over a CUDA array.
  template <class T, int Channels>
  TextureObject(const CudaArray<T, Channels>& array, const TextureOptions& options = {})
      : handle_(create_for_array(array.handle(), options)) {}
  /// Over a linear device buffer (tex1Dfetch), `Channels` values of T per element.
  template <class T, int Channels = 1>
  static TextureObject over_buffer(const DeviceBuffer<T>& buffer, const TextureOptions& options = {}) {
    return TextureObject(create_for_linear(buffer.ptr(), buffer.size_bytes(), channel_type_of<T>(), Channels, options));
  }
  /// Destroys the texture object; never throws.
  ~TextureObject();
  /// Takes `other`'s texture object; `other` is left empty.
  TextureObject(TextureObject&& other) noexcept;
  /// Destroys this texture object and takes `other`'s.
  TextureObject& operator=(TextureObject&& other) noexcept;
  TextureObject(const TextureObject&) = delete;
  TextureObject& operator=(const TextureObject&) = delete;
  /// The cudaTextureObject_t value.
  unsigned long long handle() const { return handle_; }
  /// Where the handle is, for a raw argument list that takes its address.
  const unsigned long long* handle_address() const { return &handle_; }

 private:
  explicit TextureObject(unsigned long long handle) : handle_(handle) {}
  static unsigned long long create_for_array(void* array, const TextureOptions& options);
  static unsigned long long create_for_linear(DevicePtr ptr, std::size_t bytes, ChannelType type, int channels,
                                              const TextureOptions& options);
  unsigned long long handle_ = 0;
};

/// A surface object over an array made with ArrayUse::texture_and_surface; kernels write it
/// with surf2Dwrite. Pass it where a kernel takes a cudaSurfaceObject_t. Move-only.
class SurfaceObject {
 public:
  /// Over `array`, which must have been made with ArrayUse::texture_and_surface.
  template <class T, int Channels>
  explicit SurfaceObject(const CudaArray<T, Channels>& array) : handle_(create(array.handle())) {}
  /// Destroys the surface object; never throws.
  ~SurfaceObject();
  /// Takes `other`'s surface object; `other` is left empty.
  SurfaceObject(SurfaceObject&& other) noexcept;
  /// Destroys this surface object and takes `other`'s.
  SurfaceObject& operator=(SurfaceObject&& other) noexcept;
  SurfaceObject(const SurfaceObject&) = delete;
  SurfaceObject& operator=(const SurfaceObject&) = delete;
  /// The cudaSurfaceObject_t value.
  unsigned long long handle() const { return handle_; }
  /// Where the handle is, for a raw argument list that takes its address.
  const unsigned long long* handle_address() const { return &handle_; }

 private:
  static unsigned long long create(void* array);
  unsigned long long handle_ = 0;
};

namespace detail {
template <>
struct ArgTraits<TextureObject> {
  static constexpr bool stages = false;
  static constexpr ArgInfo info{8, ValueKind::integer, "jitcu::TextureObject"};
  static const void* bind(const TextureObject& t, DevicePtr&, HostStaging*) { return t.handle_address(); }
};
template <>
struct ArgTraits<SurfaceObject> {
  static constexpr bool stages = false;
  static constexpr ArgInfo info{8, ValueKind::integer, "jitcu::SurfaceObject"};
  static const void* bind(const SurfaceObject& s, DevicePtr&, HostStaging*) { return s.handle_address(); }
};
}  // namespace detail

}  // namespace jitcu
