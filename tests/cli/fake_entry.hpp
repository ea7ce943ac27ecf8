#pragma once
// Entries with chosen keys, put through the cache's own API: for prefixes that must collide.
#include <jitcu/cache/disk_store.hpp>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace jitcu::test {

/// A key whose hex starts with `hex_prefix` (an even count of digits) and ends in `tail`.
inline cache::Key key_starting_with(const std::string& hex_prefix, std::uint8_t tail) {
  cache::Digest digest{};
  for (std::size_t i = 0; i + 1 < hex_prefix.size() && i / 2 < digest.size(); i += 2) {
    digest[i / 2] = static_cast<std::uint8_t>(std::stoul(hex_prefix.substr(i, 2), nullptr, 16));
  }
  digest.back() = tail;
  return cache::Key(digest);
}

/// Publishes an entry shaped like the engine's (source name, arch, one kernel, PTX).
inline void put_fake_entry(const std::filesystem::path& cache_dir, const cache::Key& key,
                           const std::string& source_name) {
  cache::DiskStore store(cache_dir, 1ull << 30);
  cache::NewEntry entry;
  entry.meta = {{"source_name", source_name},
                {"arch", "sm_90"},
                {"kernels", nlohmann::json::array({{{"symbol", "fake"}, {"name", "fake"}, {"params", nlohmann::json::array()}}})}};
  entry.blobs["program.ptx"] = ".visible .entry fake()\n{\n\tret;\n}\n";
  store.put(key, entry);
}

}  // namespace jitcu::test
