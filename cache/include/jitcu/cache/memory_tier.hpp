#pragma once
// A tier in this process only: the cache when the disk is off or unusable.
#include <jitcu/cache/counters.hpp>
#include <jitcu/cache/tier.hpp>

#include <cstdint>
#include <memory>

namespace jitcu::cache {

/// Entries in memory under a size cap (least recently used go first); lock() excludes other
/// threads of this process compiling the same key.
class MemoryTier final : public Tier {
 public:
  explicit MemoryTier(std::uint64_t max_size_bytes);
  ~MemoryTier() override;
  std::optional<Entry> get(const Key& key, const BlobSelection& blobs) override;
  void put(const Key& key, const Entry& entry) override;
  void remove(const Key& key) override;
  std::unique_ptr<KeyLock> lock(const Key& key) override;
  std::string describe() const override { return "memory"; }

  /// Entries held and their bytes (blobs plus the record's encoding).
  std::size_t entry_count() const;
  std::uint64_t size_bytes() const;
  /// This process's counts; the tier adds its evictions, and a TieredStore over it shares it.
  const std::shared_ptr<CounterTally>& tally() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace jitcu::cache
