#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/record.hpp>

#include <unistd.h>

#include <condition_variable>
#include <list>
#include <mutex>
#include <set>
#include <unordered_map>

namespace jitcu::cache {
namespace {

/// The keys being compiled in this process; shared with the locks so they outlive the tier.
struct LockTable {
  std::mutex mutex;
  std::condition_variable released;
  std::set<Key> held;
};

class MemoryKeyLock final : public KeyLock {
 public:
  MemoryKeyLock(std::shared_ptr<LockTable> table, const Key& key) : table_(std::move(table)), key_(key) {
    std::unique_lock guard(table_->mutex);
    table_->released.wait(guard, [&] { return !table_->held.contains(key_); });
    table_->held.insert(key_);
  }
  MemoryKeyLock(const MemoryKeyLock&) = delete;
  MemoryKeyLock& operator=(const MemoryKeyLock&) = delete;
  ~MemoryKeyLock() override {
    {
      const std::lock_guard guard(table_->mutex);
      table_->held.erase(key_);
    }
    table_->released.notify_all();
  }

 private:
  std::shared_ptr<LockTable> table_;
  Key key_;
};

std::uint64_t entry_size(const Entry& entry) { return entry.record.blob_bytes() + encode_record(entry.record).size(); }

}  // namespace

struct MemoryTier::State {
  struct Item {
    Entry entry;
    std::uint64_t size_bytes = 0;
    std::list<Key>::iterator use;  // position in lru, most recent at the back
  };
  explicit State(std::uint64_t max_size) : max_size_bytes(max_size) {}

  const std::uint64_t max_size_bytes;
  mutable std::mutex mutex;
  std::unordered_map<Key, Item> items;
  std::list<Key> lru;
  std::uint64_t total_bytes = 0;
  std::shared_ptr<LockTable> locks = std::make_shared<LockTable>();
  const std::shared_ptr<CounterTally> tally = std::make_shared<CounterTally>(::getpid());

  void erase(std::unordered_map<Key, Item>::iterator it) {
    total_bytes -= it->second.size_bytes;
    lru.erase(it->second.use);
    items.erase(it);
  }

  /// Least recently used first until under the cap; the newest goes only if alone too large.
  void evict() {
    std::uint64_t evicted = 0;
    for (; total_bytes > max_size_bytes && !lru.empty(); ++evicted) erase(items.find(lru.front()));
    if (evicted > 0) tally->add(CacheCounters{.evictions = evicted});
  }
};

MemoryTier::MemoryTier(std::uint64_t max_size_bytes) : state_(std::make_unique<State>(max_size_bytes)) {}
MemoryTier::~MemoryTier() = default;

std::optional<Entry> MemoryTier::get(const Key& key, const BlobSelection& blobs) {
  const std::lock_guard guard(state_->mutex);
  const auto it = state_->items.find(key);
  if (it == state_->items.end()) return std::nullopt;
  state_->lru.splice(state_->lru.end(), state_->lru, it->second.use);
  Entry found{it->second.entry.record, {}};
  for (const auto& [name, bytes] : it->second.entry.blobs)
    if (blobs.wants(name)) found.blobs.emplace(name, bytes);
  return found;
}

void MemoryTier::put(const Key& key, const Entry& entry) {
  const std::lock_guard guard(state_->mutex);
  if (state_->items.contains(key)) return;  // the first put of a key wins
  state_->lru.push_back(key);
  const std::uint64_t size = entry_size(entry);
  state_->items.emplace(key, State::Item{entry, size, std::prev(state_->lru.end())});
  state_->total_bytes += size;
  state_->evict();
}

void MemoryTier::remove(const Key& key) {
  const std::lock_guard guard(state_->mutex);
  if (auto it = state_->items.find(key); it != state_->items.end()) state_->erase(it);
}

std::unique_ptr<KeyLock> MemoryTier::lock(const Key& key) { return std::make_unique<MemoryKeyLock>(state_->locks, key); }

std::size_t MemoryTier::entry_count() const {
  const std::lock_guard guard(state_->mutex);
  return state_->items.size();
}

std::uint64_t MemoryTier::size_bytes() const {
  const std::lock_guard guard(state_->mutex);
  return state_->total_bytes;
}

const std::shared_ptr<CounterTally>& MemoryTier::tally() const { return state_->tally; }

}  // namespace jitcu::cache
