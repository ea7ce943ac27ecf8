#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/base/log.hpp>
#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include "background_fill.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace jitcu::cache {
namespace {

/// The locks of several tiers, released bottom first.
class StackedLock final : public KeyLock {
 public:
  void add(std::unique_ptr<KeyLock> lock) { locks_.push_back(std::move(lock)); }
  ~StackedLock() override {
    while (!locks_.empty()) locks_.pop_back();
  }

 private:
  std::vector<std::unique_ptr<KeyLock>> locks_;
};

/// A tier's get, with anything it throws turned into a logged miss.
std::optional<Entry> get_from(Tier& tier, const Key& key, const BlobSelection& blobs) {
  try {
    return tier.get(key, blobs);
  } catch (const std::exception& error) {
    jitcu::log().warn("cache tier {} failed reading {}: {}; a miss", tier.describe(), key.short_hex(), error.what());
    return std::nullopt;
  }
}

void put_into(Tier& tier, const Key& key, const Entry& entry) {
  try {
    tier.put(key, entry);
  } catch (const std::exception& error) {
    jitcu::log().warn("cache tier {} failed writing {}: {}; not kept there", tier.describe(), key.short_hex(),
                      error.what());
  }
}

}  // namespace

TieredStore::TieredStore(std::vector<std::shared_ptr<Tier>> tiers)
    : tiers_(std::move(tiers)), fill_(std::make_unique<detail::BackgroundFill>()) {
  if (tiers_.empty()) throw std::invalid_argument("a TieredStore needs at least one tier");
  for (const auto& tier : tiers_) {
    if (dynamic_cast<DiskTier*>(tier.get())) kinds_.push_back(TierKind::disk);
    else if (dynamic_cast<MemoryTier*>(tier.get())) kinds_.push_back(TierKind::memory);
    else kinds_.push_back(TierKind::remote);
  }
  // The local tier's tally, so that what it counts itself (damage, evictions) is in counters().
  const auto* memory = dynamic_cast<const MemoryTier*>(tiers_.front().get());
  tally_ = disk() ? disk()->tally() : memory ? memory->tally() : std::make_shared<CounterTally>(::getpid());
}

TieredStore::~TieredStore() = default;

void TieredStore::wait_for_fills() { fill_->wait(); }

std::optional<Hit> TieredStore::get(const Key& key, const BlobSelection& blobs, Lookup lookup) {
  for (std::size_t level = 0; level < tiers_.size(); ++level) {
    // A lower tier's entry is read whole: the tiers above keep all of it.
    std::optional<Entry> found = get_from(*tiers_[level], key, level == 0 ? blobs : BlobSelection::all());
    if (!found) continue;
    if (level > 0) {
      std::vector<std::shared_ptr<Tier>> above(tiers_.begin(), tiers_.begin() + static_cast<std::ptrdiff_t>(level));
      fill_->submit([above = std::move(above), key, copy = *found] {
        for (const auto& tier : above) put_into(*tier, key, copy);
      });
    }
    if (jitcu::log_enabled(spdlog::level::debug))
      jitcu::log().debug("cache hit {} from {}", key.short_hex(), tiers_[level]->describe());
    if (lookup == Lookup::compile) count_hit(kinds_[level], found->record);
    return Hit{std::move(*found), level};
  }
  return std::nullopt;
}

void TieredStore::put(const Key& key, const Entry& entry) {
  for (const auto& tier : tiers_) put_into(*tier, key, entry);
}

void TieredStore::remove(const Key& key) {
  for (const auto& tier : tiers_) {
    try {
      tier->remove(key);
    } catch (const std::exception& error) {
      jitcu::log().debug("cache tier {} failed removing {}: {}", tier->describe(), key.short_hex(), error.what());
    }
  }
}

std::unique_ptr<KeyLock> TieredStore::lock(const Key& key) {
  if (tiers_.size() == 1) return tiers_.front()->lock(key);
  auto stacked = std::make_unique<StackedLock>();
  for (const auto& tier : tiers_) stacked->add(tier->lock(key));
  return stacked;
}

void TieredStore::count_hit(TierKind kind, const EntryRecord& record) {
  CacheCounters hit{.saved_ns = static_cast<std::uint64_t>(std::max(record.compile_ms, 0.0) * 1e6)};
  ++(kind == TierKind::disk ? hit.disk_hits : kind == TierKind::memory ? hit.memory_hits : hit.remote_hits);
  tally_->add(hit);  // in memory: a hit pays no I/O for its counters
}

void TieredStore::count(const CacheCounters& delta) { tally_->add(delta); }

CacheCounters TieredStore::counters() const { return tally_->total(); }

void TieredStore::flush_counters() {
  if (auto* disk_tier = disk()) disk_tier->flush_counters();
}

DiskTier* TieredStore::disk() const {
  for (const auto& tier : tiers_)
    if (auto* disk = dynamic_cast<DiskTier*>(tier.get())) return disk;
  return nullptr;
}

}  // namespace jitcu::cache
