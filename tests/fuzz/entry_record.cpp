// The entry record's one codec (cache/src/record.cpp) on any bytes: never a crash or a huge
// allocation, and whatever it accepts encodes back to a record it reads the same.
#include <jitcu/cache/record.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(std::string_view bytes) {
  const auto decoded = jitcu::cache::decode_record(bytes);
  if (!decoded.record) return;
  const auto again = jitcu::cache::decode_record(jitcu::cache::encode_record(*decoded.record));
  if (!again.record || !(*again.record == *decoded.record)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes);
  // The input as a record's body, sealed with its right checksum: the field parser behind the
  // checksum gets the mutations too, as a forger who can write the folder would send them.
  std::string sealed(bytes);
  sealed += "xxh3 " + jitcu::cache::checksum_hex(sealed) + "\n";
  check(sealed);
  return 0;
}
