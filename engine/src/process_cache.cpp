#include "process_cache.hpp"

namespace jitcu::detail {

bool ProcessCache::Remembered::headers_unchanged() const {
  for (const auto& [path, stamp] : headers) {
    if (!stamp.trusted_at(stamped_ns)) return false;  // too fresh to vouch for its content
    if (FileStamp::of(path) != stamp) return false;
  }
  for (const auto& path : absent)
    if (FileStamp::of(path)) return false;
  return true;
}

std::shared_ptr<const ModuleState> ProcessCache::find(const CompileRequest& request, std::size_t hash) {
  std::lock_guard lock(mutex_);
  auto [first, last] = remembered_.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    if (!(it->second.request == request)) continue;
    if (it->second.headers_unchanged()) return it->second.module;
    remembered_.erase(it);  // a header changed: the full path decides again
    return nullptr;
  }
  return nullptr;
}

void ProcessCache::remember(CompileRequest request, std::size_t hash, const std::vector<HeaderDependency>& headers,
                            const std::vector<std::filesystem::path>& absent, std::int64_t stamped_ns,
                            std::shared_ptr<const ModuleState> module) {
  Remembered entry{std::move(request), std::move(module), {}, {}, stamped_ns};
  for (const auto& path : absent) entry.absent.push_back(path.string());
  for (const auto& header : headers) {
    auto stamp = FileStamp::of(header.path.string());
    if (!stamp) return;  // vanished meanwhile: do not remember
    entry.headers.emplace_back(header.path.string(), *stamp);
  }
  std::lock_guard lock(mutex_);
  remembered_.emplace(hash, std::move(entry));
}

}  // namespace jitcu::detail
