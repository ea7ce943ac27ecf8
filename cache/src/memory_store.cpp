#include <jitcu/cache/memory_store.hpp>

#include "meta.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

namespace jitcu::cache {
namespace {

using Clock = std::chrono::system_clock;

/// One entry: what was put, and what find() hands out.
struct Item {
  FoundEntry found;
  std::map<std::string, std::string> blobs;
  std::uint64_t use_tick = 0;  // orders uses even when the clock does not move
};

/// The keys being compiled in this process; shared with the locks so they outlive the store.
struct LockTable {
  std::mutex mutex;
  std::condition_variable released;
  std::set<Key> held;
};

class MemoryKeyLock final : public KeyLock {
 public:
  MemoryKeyLock(std::shared_ptr<LockTable> table, const Key& key)
      : table_(std::move(table)), key_(key) {
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

std::uint64_t entry_size(const NewEntry& entry) {
  std::uint64_t total = detail::canonical_dump(entry.meta).size() + entry.summary.size();
  for (const auto& [name, bytes] : entry.blobs) total += bytes.size();
  return total;
}

}  // namespace

struct MemoryStore::State {
  explicit State(std::uint64_t max_size) : max_size_bytes(max_size) {}

  const std::uint64_t max_size_bytes;
  std::mutex mutex;
  std::unordered_map<Key, Item> items;
  std::uint64_t total_size_bytes = 0;
  std::uint64_t next_tick = 0;
  std::shared_ptr<LockTable> locks = std::make_shared<LockTable>();

  using Iterator = std::unordered_map<Key, Item>::iterator;

  /// Least recently used first; entries used in one clock tick keep their order.
  std::vector<Iterator> lru_first() {
    std::vector<Iterator> order;
    order.reserve(items.size());
    for (auto it = items.begin(); it != items.end(); ++it) order.push_back(it);
    std::sort(order.begin(), order.end(),
              [](Iterator a, Iterator b) { return a->second.use_tick < b->second.use_tick; });
    return order;
  }

  void erase(Iterator it) {
    total_size_bytes -= std::min(total_size_bytes, it->second.found.total_size_bytes);
    items.erase(it);
  }

  /// Evicts least recently used entries until the total is at most `target`; `keep` goes
  /// last, and only if it alone is still over the target.
  std::size_t evict_to(std::uint64_t target, const Key* keep) {
    std::size_t removed = 0;
    Iterator kept = items.end();
    for (Iterator it : lru_first()) {
      if (total_size_bytes <= target) break;
      if (keep && it->first == *keep) {
        kept = it;
        continue;
      }
      erase(it);
      ++removed;
    }
    if (total_size_bytes > target && kept != items.end()) {
      erase(kept);
      ++removed;
    }
    return removed;
  }
};

MemoryStore::MemoryStore(std::uint64_t max_size_bytes)
    : state_(std::make_unique<State>(max_size_bytes)) {}

MemoryStore::~MemoryStore() = default;

std::optional<FoundEntry> MemoryStore::find(const Key& key) {
  const std::lock_guard guard(state_->mutex);
  const auto it = state_->items.find(key);
  if (it == state_->items.end()) return std::nullopt;
  it->second.found.last_used = Clock::now();
  it->second.use_tick = ++state_->next_tick;
  return it->second.found;
}

std::optional<std::string> MemoryStore::read_blob(const FoundEntry& entry, std::string_view name) {
  if (!detail::is_valid_blob_name(name)) {
    throw std::invalid_argument(fmt::format("bad cache blob name '{}'", name));
  }
  const std::lock_guard guard(state_->mutex);
  const auto it = state_->items.find(entry.key);
  if (it == state_->items.end()) return std::nullopt;  // evicted since it was found
  const auto asked = entry.blobs.find(std::string(name));
  const auto held = it->second.found.blobs.find(std::string(name));
  if (asked == entry.blobs.end() || held == it->second.found.blobs.end() ||
      asked->second.sha256 != held->second.sha256) {
    return std::nullopt;  // not in this entry, or the entry was replaced since
  }
  return it->second.blobs.at(std::string(name));
}

bool MemoryStore::put(const Key& key, const NewEntry& entry) {
  detail::validate_new_entry(entry);
  Item item;
  item.found.key = key;
  item.found.meta = entry.meta;
  item.found.summary = entry.summary;
  item.found.created = item.found.last_used = Clock::now();
  item.found.total_size_bytes = entry_size(entry);
  for (const auto& [name, bytes] : entry.blobs) {
    item.found.blobs[name] = BlobInfo{bytes.size(), sha256_hex(bytes)};
  }
  item.blobs = entry.blobs;

  const std::lock_guard guard(state_->mutex);
  if (state_->items.contains(key)) return false;
  item.use_tick = ++state_->next_tick;
  state_->total_size_bytes += item.found.total_size_bytes;
  state_->items.emplace(key, std::move(item));
  if (state_->total_size_bytes > state_->max_size_bytes) {
    state_->evict_to(state_->max_size_bytes, &key);
  }
  return true;
}

void MemoryStore::remove(const Key& key) {
  const std::lock_guard guard(state_->mutex);
  if (const auto it = state_->items.find(key); it != state_->items.end()) state_->erase(it);
}

std::unique_ptr<KeyLock> MemoryStore::lock(const Key& key) {
  return std::make_unique<MemoryKeyLock>(state_->locks, key);
}

std::vector<FoundEntry> MemoryStore::list() {
  std::vector<FoundEntry> found;
  {
    const std::lock_guard guard(state_->mutex);
    for (const auto& [key, item] : state_->items) found.push_back(item.found);
  }
  std::sort(found.begin(), found.end(), [](const FoundEntry& a, const FoundEntry& b) {
    if (a.created != b.created) return a.created > b.created;
    return a.key < b.key;
  });
  return found;
}

std::vector<VerifyResult> MemoryStore::verify() {
  std::vector<VerifyResult> results;
  const std::lock_guard guard(state_->mutex);
  for (const auto& [key, item] : state_->items) {
    VerifyResult result{key, true, {}};
    for (const auto& [name, info] : item.found.blobs) {
      if (sha256_hex(item.blobs.at(name)) == info.sha256) continue;
      result.ok = false;
      result.problem += (result.problem.empty() ? "" : "; ") + name + ": checksum mismatch";
    }
    results.push_back(std::move(result));
  }
  std::sort(results.begin(), results.end(),
            [](const VerifyResult& a, const VerifyResult& b) { return a.key < b.key; });
  return results;
}

StoreStats MemoryStore::stats() {
  const std::lock_guard guard(state_->mutex);
  return StoreStats{state_->items.size(), state_->total_size_bytes, state_->max_size_bytes};
}

std::size_t MemoryStore::prune_to_size(std::uint64_t max_size_bytes) {
  const std::lock_guard guard(state_->mutex);
  return state_->evict_to(max_size_bytes, nullptr);
}

std::size_t MemoryStore::prune_older_than(std::chrono::system_clock::time_point cutoff) {
  const std::lock_guard guard(state_->mutex);
  std::size_t removed = 0;
  for (auto it = state_->items.begin(); it != state_->items.end();) {
    const auto next = std::next(it);
    if (it->second.found.last_used < cutoff) {
      state_->erase(it);
      ++removed;
    }
    it = next;
  }
  return removed;
}

std::size_t MemoryStore::clear() {
  const std::lock_guard guard(state_->mutex);
  const std::size_t removed = state_->items.size();
  state_->items.clear();
  state_->total_size_bytes = 0;
  return removed;
}

}  // namespace jitcu::cache
