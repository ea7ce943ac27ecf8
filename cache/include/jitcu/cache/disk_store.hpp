#pragma once
// The on-disk store: one folder per entry, plain files, atomic publish. docs/cache-format.md.
#include <jitcu/cache/store.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace jitcu::cache {

constexpr std::uint64_t k_default_cache_limit_bytes = 1ull << 30;  // DESIGN.md default: 1 GiB

class DiskStore final : public Store {
 public:
  /// Opens (creating with mode 0700) the cache at `root` (a std::filesystem::path converts).
  /// Throws std::runtime_error if the folder cannot be created or written; open_store() turns
  /// that into a memory store.
  DiskStore(std::string root, std::uint64_t max_size_bytes);
  ~DiskStore() override;
  DiskStore(const DiskStore&) = delete;
  DiskStore& operator=(const DiskStore&) = delete;

  std::optional<FoundEntry> find(const Key& key) override;
  std::optional<FoundEntry> find_quick(const Key& key) override;
  std::optional<std::string> read_blob(const FoundEntry& entry, std::string_view name) override;
  std::optional<FoundBlob> find_blob(const Key& key, std::string_view name) override;
  bool put(const Key& key, const NewEntry& entry) override;
  void remove(const Key& key) override;
  std::unique_ptr<KeyLock> lock(const Key& key) override;
  std::vector<FoundEntry> list() override;
  std::vector<VerifyResult> verify() override;
  StoreStats stats() override;
  std::size_t prune_to_size(std::uint64_t max_size_bytes) override;
  std::size_t prune_older_than(std::chrono::system_clock::time_point cutoff) override;
  std::size_t clear() override;
  std::string location() const override;

  /// The cache folder, made absolute.
  std::filesystem::path root() const { return root_; }
  /// The folder an entry of `key` lives in (whether or not it exists).
  std::filesystem::path entry_dir(const Key& key) const;

 private:
  struct State;
  std::string root_;
  std::uint64_t max_size_bytes_;
  std::unique_ptr<State> state_;
};

}  // namespace jitcu::cache
