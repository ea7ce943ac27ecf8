#include <jitcu/argument_list.hpp>
#include <jitcu/error.hpp>

#include <array>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace jitcu {
namespace {

struct ScalarSpelling {
  std::string_view name;
  ScalarType type;
};

// Every spelling scalar_type_named accepts; the first of each type is its C++ name.
constexpr std::array<ScalarSpelling, 34> k_spellings = {{
    {"signed char", ScalarType::i8},     {"char", ScalarType::i8},          {"int8_t", ScalarType::i8},
    {"i8", ScalarType::i8},              {"short", ScalarType::i16},        {"int16_t", ScalarType::i16},
    {"i16", ScalarType::i16},            {"int", ScalarType::i32},          {"int32_t", ScalarType::i32},
    {"i32", ScalarType::i32},            {"long long", ScalarType::i64},    {"long", ScalarType::i64},
    {"int64_t", ScalarType::i64},        {"i64", ScalarType::i64},          {"unsigned char", ScalarType::u8},
    {"uint8_t", ScalarType::u8},         {"u8", ScalarType::u8},            {"unsigned short", ScalarType::u16},
    {"uint16_t", ScalarType::u16},       {"u16", ScalarType::u16},          {"unsigned int", ScalarType::u32},
    {"unsigned", ScalarType::u32},       {"uint32_t", ScalarType::u32},     {"u32", ScalarType::u32},
    {"unsigned long long", ScalarType::u64}, {"unsigned long", ScalarType::u64}, {"uint64_t", ScalarType::u64},
    {"size_t", ScalarType::u64},         {"u64", ScalarType::u64},          {"float", ScalarType::f32},
    {"f32", ScalarType::f32},            {"double", ScalarType::f64},       {"f64", ScalarType::f64},
    {"ptrdiff_t", ScalarType::i64},
}};

bool is_floating(ScalarType type) { return type == ScalarType::f32 || type == ScalarType::f64; }
bool is_signed(ScalarType type) { return type <= ScalarType::i64; }

template <class T>
std::vector<std::byte> bytes_of(T value) {
  std::vector<std::byte> bytes(sizeof(T));
  std::memcpy(bytes.data(), &value, sizeof(T));
  return bytes;
}

[[noreturn]] void refuse(ScalarType type, std::string_view text, std::string_view why) {
  throw ArgumentError(fmt::format("'{}' is not a valid '{}': {}; write a number such as {}", text,
                                  scalar_type_name(type), why,
                                  is_floating(type) ? "2.5 or -1e-3" : is_signed(type) ? "-3 or 0x1f" : "3 or 0x1f"));
}

// Integer text: decimal, or hexadecimal after 0x; a '-' only for signed types.
template <class T>
std::vector<std::byte> integer_bytes(ScalarType type, std::string_view text) {
  std::string_view digits = text;
  const bool negative = digits.starts_with('-');
  if (negative) digits.remove_prefix(1);
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  }
  unsigned long long magnitude = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size())
    refuse(type, text, "it is not an integer");
  const auto max = static_cast<unsigned long long>(std::numeric_limits<T>::max());
  if (ec == std::errc::result_out_of_range) refuse(type, text, fmt::format("it is outside {}..{}", std::numeric_limits<T>::min(), max));
  if (negative) {
    if (!std::is_signed_v<T>) refuse(type, text, "the type is unsigned");
    if (magnitude > max + 1ull)
      refuse(type, text, fmt::format("it is outside {}..{}", std::numeric_limits<T>::min(), max));
    return bytes_of(static_cast<T>(-static_cast<long long>(magnitude - 1) - 1));
  }
  if (magnitude > max) refuse(type, text, fmt::format("it is outside {}..{}", std::numeric_limits<T>::min(), max));
  return bytes_of(static_cast<T>(magnitude));
}

template <class T>
std::vector<std::byte> floating_bytes(ScalarType type, std::string_view text) {
  const std::string terminated(text);
  char* end = nullptr;
  errno = 0;
  const T value = std::is_same_v<T, float> ? static_cast<T>(std::strtof(terminated.c_str(), &end))
                                           : static_cast<T>(std::strtod(terminated.c_str(), &end));
  if (terminated.empty() || end != terminated.c_str() + terminated.size()) refuse(type, text, "it is not a number");
  if (errno == ERANGE && std::isinf(value)) refuse(type, text, "it is too large for the type");
  return bytes_of(value);
}

ArgInfo info_of(ScalarType type) {
  return {static_cast<std::uint32_t>(scalar_size(type)), is_floating(type) ? ValueKind::floating : ValueKind::integer,
          scalar_type_name(type)};
}

constexpr std::size_t k_slot = sizeof(std::max_align_t);

}  // namespace

std::optional<ScalarType> scalar_type_named(std::string_view name) {
  if (name.starts_with("std::")) name.remove_prefix(5);
  for (const auto& spelling : k_spellings)
    if (spelling.name == name) return spelling.type;
  return std::nullopt;
}

std::string_view scalar_type_name(ScalarType type) {
  for (const auto& spelling : k_spellings)
    if (spelling.type == type) return spelling.name;
  return "?";
}

std::size_t scalar_size(ScalarType type) {
  switch (type) {
    case ScalarType::i8: case ScalarType::u8: return 1;
    case ScalarType::i16: case ScalarType::u16: return 2;
    case ScalarType::i32: case ScalarType::u32: case ScalarType::f32: return 4;
    case ScalarType::i64: case ScalarType::u64: case ScalarType::f64: return 8;
  }
  return 0;
}

std::vector<std::byte> scalar_bytes(ScalarType type, std::string_view text) {
  switch (type) {
    case ScalarType::i8: return integer_bytes<std::int8_t>(type, text);
    case ScalarType::i16: return integer_bytes<std::int16_t>(type, text);
    case ScalarType::i32: return integer_bytes<std::int32_t>(type, text);
    case ScalarType::i64: return integer_bytes<std::int64_t>(type, text);
    case ScalarType::u8: return integer_bytes<std::uint8_t>(type, text);
    case ScalarType::u16: return integer_bytes<std::uint16_t>(type, text);
    case ScalarType::u32: return integer_bytes<std::uint32_t>(type, text);
    case ScalarType::u64: return integer_bytes<std::uint64_t>(type, text);
    case ScalarType::f32: return floating_bytes<float>(type, text);
    case ScalarType::f64: return floating_bytes<double>(type, text);
  }
  refuse(type, text, "the type is unknown");
}

ArgumentList& ArgumentList::add_scalar(ScalarType type, std::string_view text) {
  const auto bytes = scalar_bytes(type, text);
  return append(bytes.data(), info_of(type), bytes.size());
}

ArgumentList& ArgumentList::add_pointer(DevicePtr address) {
  return append(&address, ArgInfo{sizeof(DevicePtr), ValueKind::pointer, "device pointer"}, alignof(DevicePtr));
}

ArgumentList& ArgumentList::add_bytes(std::span<const std::byte> bytes, std::size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    throw ArgumentError(fmt::format("argument {}: an alignment of {} bytes is not a power of two; use the "
                                    "parameter's alignment from Kernel::parameters()", infos_.size(), alignment));
  if (bytes.size() > std::numeric_limits<std::uint32_t>::max())
    throw ArgumentError(fmt::format("argument {}: {} bytes is more than a kernel parameter can hold", infos_.size(),
                                    bytes.size()));
  return append(bytes.data(), ArgInfo{static_cast<std::uint32_t>(bytes.size()), ValueKind::bytes, "raw bytes"},
                alignment);
}

ArgumentList& ArgumentList::append(const void* bytes, ArgInfo info, std::size_t alignment) {
  const std::size_t align = std::min(std::max<std::size_t>(alignment, 1), k_slot);
  const std::size_t offset = (used_bytes_ + align - 1) / align * align;
  const std::size_t end = offset + info.size_bytes;
  if (end > storage_.size() * k_slot) storage_.resize(std::max((end + k_slot - 1) / k_slot, storage_.size() * 2));
  if (info.size_bytes) std::memcpy(reinterpret_cast<std::byte*>(storage_.data()) + offset, bytes, info.size_bytes);
  offsets_.push_back(offset);
  infos_.push_back(info);
  used_bytes_ = end;
  return *this;
}

std::vector<void*> ArgumentList::pointers() const {
  std::vector<void*> pointers;
  pointers.reserve(offsets_.size() + 1);
  auto* base = reinterpret_cast<std::byte*>(const_cast<std::max_align_t*>(storage_.data()));
  for (auto offset : offsets_) pointers.push_back(base + offset);
  pointers.push_back(nullptr);  // never an empty buffer, and a terminator for readers
  return pointers;
}

void ArgumentList::clear() {
  infos_.clear();
  offsets_.clear();
  storage_.clear();
  used_bytes_ = 0;
}

}  // namespace jitcu
