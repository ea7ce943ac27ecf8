#include <jitcu/cache/sha256.hpp>
#include <jitcu/cache/signature.hpp>

// HMAC_CTX is deprecated in OpenSSL 3 in favour of EVP_MAC, whose provider fetch costs a process
// about a millisecond (see sha256.cpp); HMAC_CTX is present throughout OpenSSL 3.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace jitcu::cache {
namespace {

struct HmacContextDeleter {
  void operator()(HMAC_CTX* context) const noexcept { HMAC_CTX_free(context); }
};

}  // namespace

std::optional<std::string> secret_from_env() {
  const char* secret = std::getenv("JITCU_CACHE_SECRET");
  if (secret == nullptr || *secret == '\0') return std::nullopt;
  return std::string(secret);
}

std::string sign_entry(std::string_view secret, std::string_view encoded_record, const Entry& entry) {
  std::unique_ptr<HMAC_CTX, HmacContextDeleter> context(HMAC_CTX_new());
  const auto update = [&](std::string_view bytes) {
    if (HMAC_Update(context.get(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 1)
      throw std::runtime_error("HMAC-SHA256 failed in OpenSSL's libcrypto");
  };
  if (!context || HMAC_Init_ex(context.get(), secret.data(), static_cast<int>(secret.size()), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL's libcrypto");
  update(encoded_record);
  for (const BlobRef& ref : entry.record.blobs) {
    const auto it = entry.blobs.find(ref.name);
    update(it == entry.blobs.end() ? std::string_view() : std::string_view(it->second));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC_Final(context.get(), digest, &size) != 1) throw std::runtime_error("HMAC-SHA256 failed in OpenSSL's libcrypto");
  return to_hex(digest, size);
}

bool same_signature(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace jitcu::cache
