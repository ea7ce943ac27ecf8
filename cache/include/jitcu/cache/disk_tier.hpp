#pragma once
// The on-disk tier: one folder per entry, plain files, atomic publish, LRU under a size cap,
// and the cache's maintenance (list, verify, prune, clear). docs/cache-format.md.
#include <jitcu/cache/tier.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace jitcu::cache {

/// An entry as a listing shows it.
struct ListedEntry {
  EntryRecord record;
  std::filesystem::path dir;
  std::chrono::system_clock::time_point last_used;
  std::uint64_t total_size_bytes = 0;  // every file of the entry
};

/// Outcome of checking one entry.
struct VerifyResult {
  Key key;
  bool ok = true;
  std::string problem;  // what is wrong, empty when ok
};

/// Totals for `jitcu cache stats`.
struct DiskStats {
  std::uint64_t entries = 0;
  std::uint64_t total_size_bytes = 0;
  std::uint64_t max_size_bytes = 0;
};

class DiskTier final : public Tier {
 public:
  /// Opens (creating with mode 0700) the cache at `root`. Throws std::runtime_error naming the
  /// folder and the reason when it cannot be used; open_store() then keeps entries in memory.
  DiskTier(const std::filesystem::path& root, std::uint64_t max_size_bytes);
  ~DiskTier() override;
  DiskTier(const DiskTier&) = delete;
  DiskTier& operator=(const DiskTier&) = delete;

  std::optional<Entry> get(const Key& key, const BlobSelection& blobs) override;
  void put(const Key& key, const Entry& entry) override;
  void remove(const Key& key) override;
  std::unique_ptr<KeyLock> lock(const Key& key) override;
  std::string describe() const override;

  /// Every entry with a readable record, newest first (no blob checks).
  std::vector<ListedEntry> list();
  /// Checks the record and every blob of every entry; changes nothing.
  std::vector<VerifyResult> verify();
  DiskStats stats();
  /// Evicts least-recently-used entries until the total is at most `max_size_bytes`; how many.
  std::size_t prune_to_size(std::uint64_t max_size_bytes);
  /// Removes entries last used before `cutoff`; how many.
  std::size_t prune_older_than(std::chrono::system_clock::time_point cutoff);
  /// Removes every entry; how many.
  std::size_t clear();

  /// The cache folder, made absolute.
  const std::filesystem::path& root() const;
  /// The folder an entry of `key` lives in (whether or not it exists).
  std::filesystem::path entry_dir(const Key& key) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace jitcu::cache
