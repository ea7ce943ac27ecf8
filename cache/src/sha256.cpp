#include <jitcu/cache/sha256.hpp>

#include <stdexcept>

// OpenSSL 3's EVP interface fetches a provider on first use: 0.55-1.1 ms per process (measured
// on the dev machine), which was most of a disk-cache hit. The SHA256_* functions compute the
// same digest without that start-up; they are deprecated but present throughout OpenSSL 3.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace jitcu::cache {

Digest sha256(std::string_view data) {
  Digest digest{};
  SHA256_CTX context;
  if (SHA256_Init(&context) != 1 || SHA256_Update(&context, data.data(), data.size()) != 1 ||
      SHA256_Final(digest.data(), &context) != 1)
    throw std::runtime_error("SHA-256 failed in OpenSSL's libcrypto");
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
