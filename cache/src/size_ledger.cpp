#include "size_ledger.hpp"

#include "posix_io.hpp"


#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jitcu::cache::detail {
namespace {

constexpr std::uint64_t k_ledger_max_bytes = 4096;  // a few dozen bytes; more is garbage

}  // namespace

SizeLedger::SizeLedger(std::string file, std::string tmp_dir, mode_t file_mode)
    : file_(std::move(file)), tmp_dir_(std::move(tmp_dir)), file_mode_(file_mode) {}

std::optional<LedgerTotal> SizeLedger::read() const {
  UniqueFd fd = open_at(AT_FDCWD, file_.c_str(), O_RDONLY | O_NOFOLLOW);
  if (!fd) return std::nullopt;
  std::string text;
  if (read_all(fd.get(), text, k_ledger_max_bytes) != 0) return std::nullopt;
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_object()) return std::nullopt;
  const auto total = parsed.find("total_size_bytes");
  const auto scanned = parsed.find("last_scan_unix");
  if (total == parsed.end() || !total->is_number_unsigned() || scanned == parsed.end() ||
      !scanned->is_number_integer()) {
    return std::nullopt;
  }
  return LedgerTotal{total->get<std::uint64_t>(), scanned->get<std::int64_t>()};
}

void SizeLedger::write(const LedgerTotal& total) const {
  const nlohmann::json record = {{"total_size_bytes", total.total_size_bytes},
                                 {"last_scan_unix", total.last_scan_unix}};
  const std::string staged = tmp_dir_ + "/" + unique_tmp_name(".size");
  UniqueFd fd = open_at(AT_FDCWD, staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, file_mode_);
  if (!fd) {
    const int error = errno;
    throw IoError(fmt::format("cannot create '{}': {}", staged, errno_text(error)), error);
  }
  try {
    write_all(fd.get(), record.dump() + "\n", staged);
  } catch (...) {
    ::unlink(staged.c_str());
    throw;
  }
  fd.close_checked();
  if (::rename(staged.c_str(), file_.c_str()) != 0) {
    const int error = errno;
    ::unlink(staged.c_str());
    throw IoError(fmt::format("cannot replace '{}': {}", file_, errno_text(error)), error);
  }
}

void SizeLedger::adjust(std::int64_t delta_bytes) const {
  std::optional<LedgerTotal> total = read();
  if (!total) return;
  if (delta_bytes < 0 && static_cast<std::uint64_t>(-delta_bytes) > total->total_size_bytes) {
    total->total_size_bytes = 0;
  } else {
    total->total_size_bytes += static_cast<std::uint64_t>(delta_bytes);  // wraps back for < 0
  }
  write(*total);
}

}  // namespace jitcu::cache::detail
