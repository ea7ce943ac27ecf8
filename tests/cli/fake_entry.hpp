#pragma once
// Entries with chosen keys, put through the cache's own API: for prefixes that must collide.
#include <jitcu/cache/disk_tier.hpp>

#include <filesystem>
#include <string>


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
  cache::DiskTier disk(cache_dir, 1ull << 30);
  cache::EntryRecord record;
  record.key = key;
  record.source_name = source_name;
  record.arch = "sm_90";
  record.image = "program.ptx";
  record.kernels.push_back({"fake", "fake", {}, std::nullopt});
  disk.put(key, cache::make_entry(std::move(record), {{"program.ptx", ".visible .entry fake()\n{\n\tret;\n}\n"}}));
}

}  // namespace jitcu::test
