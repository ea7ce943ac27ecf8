#include <jitcu/kernels/type_names.hpp>

#include <bit>
#include <cmath>
#include <cstdint>

namespace jitcu::kernels {

Half to_half(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return {static_cast<std::uint16_t>(sign | 0x7e00u)};  // NaN
  if (magnitude >= 0x477ff000u) return {static_cast<std::uint16_t>(sign | 0x7c00u)};  // rounds past 65504: inf
  if (magnitude < 0x38800000u) {
    // Subnormal half (or zero): the value in units of 2^-24, rounded to nearest even.
    const float scaled = std::fabs(value) * 16777216.0f;  // exact: a power-of-two scale
    const auto units = static_cast<std::uint16_t>(std::nearbyint(scaled));
    return {static_cast<std::uint16_t>(sign | units)};
  }
  // Normal: rebias the exponent (127 -> 15), round the 23-bit mantissa to 10 bits, ties to even.
  const std::uint32_t rebased = magnitude - (112u << 23);
  const std::uint32_t half_bits = rebased >> 13;
  const std::uint32_t rest = rebased & 0x1fffu;
  const std::uint32_t round_up = (rest > 0x1000u || (rest == 0x1000u && (half_bits & 1u))) ? 1u : 0u;
  return {static_cast<std::uint16_t>(sign | (half_bits + round_up))};
}

float to_float(Half value) {
  const std::uint32_t sign = static_cast<std::uint32_t>(value.bits & 0x8000u) << 16;
  const std::uint32_t exponent = (value.bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = value.bits & 0x3ffu;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) / 16777216.0f;  // mantissa x 2^-24
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

BFloat16 to_bfloat16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return {static_cast<std::uint16_t>((bits >> 16) | 0x0040u)};  // quiet NaN
  const std::uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return {static_cast<std::uint16_t>((bits + rounding) >> 16)};
}

float to_float(BFloat16 value) { return std::bit_cast<float>(static_cast<std::uint32_t>(value.bits) << 16); }

}  // namespace jitcu::kernels
