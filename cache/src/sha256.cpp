#include <jitcu/cache/sha256.hpp>

#include <stdexcept>

#include <openssl/evp.h>

namespace jitcu::cache {

Digest sha256(std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw std::runtime_error("EVP_Digest with EVP_sha256 failed (OpenSSL's libcrypto)");
  }
  return digest;
}

std::string sha256_hex(std::string_view data) {
  const Digest digest = sha256(data);
  return to_hex(digest.data(), digest.size());
}

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = k_digits[bytes[i] >> 4];
    hex[2 * i + 1] = k_digits[bytes[i] & 0x0f];
  }
  return hex;
}

}  // namespace jitcu::cache
