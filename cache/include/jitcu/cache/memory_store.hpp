#pragma once
// A store that lives in this process only: used when the disk cache is off or unwritable.
#include <jitcu/cache/store.hpp>

#include <memory>

namespace jitcu::cache {

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::uint64_t max_size_bytes);
  ~MemoryStore() override;
  std::optional<FoundEntry> find(const Key& key) override;
  std::optional<std::string> read_blob(const FoundEntry& entry, std::string_view name) override;
  bool put(const Key& key, const NewEntry& entry) override;
  void remove(const Key& key) override;
  std::unique_ptr<KeyLock> lock(const Key& key) override;
  std::vector<FoundEntry> list() override;
  std::vector<VerifyResult> verify() override;
  StoreStats stats() override;
  std::size_t prune_to_size(std::uint64_t max_size_bytes) override;
  std::size_t prune_older_than(std::chrono::system_clock::time_point cutoff) override;
  std::size_t clear() override;
  std::string location() const override { return "memory"; }

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace jitcu::cache
