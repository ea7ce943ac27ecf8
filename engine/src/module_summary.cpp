#include "module_summary.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

// "jitcu-module <version>\n", then every field as "<byte count>:<bytes>\n" in a fixed order
// (names may hold any character, so they are counted, not quoted).
namespace jitcu::detail {
namespace {

class FieldWriter {
 public:
  explicit FieldWriter(std::string& out) : out_(out) {}
  void text(std::string_view value) {
    out_ += fmt::format("{}:", value.size());
    out_.append(value);
    out_ += '\n';
  }
  void number(std::uint64_t value) { text(fmt::format("{}", value)); }

 private:
  std::string& out_;
};

/// "123" or "41.734" (what fmt writes for a compile time) by hand; nullopt for anything else.
/// std::from_chars for double sets up a locale on its first call, which a cache hit would pay.
std::optional<double> plain_decimal(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;  // <= 15 digits: exact in a double, so one division rounds right
  std::uint64_t digits = 0, scale = 1;
  bool point = false;
  for (const char c : text) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
      if (point) scale *= 10;
    } else {
      return std::nullopt;
    }
  }
  if (text.front() == '.' || text.back() == '.') return std::nullopt;
  return static_cast<double>(digits) / static_cast<double>(scale);
}

/// Reads fields back; after the first malformed one every read fails and ok() is false.
class FieldReader {
 public:
  explicit FieldReader(std::string_view text) : rest_(text) {}

  std::string_view text() {
    std::uint64_t count = 0;
    const auto [end, error] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), count);
    const std::size_t digits = static_cast<std::size_t>(end - rest_.data());
    if (!ok_ || error != std::errc() || digits == 0 || digits >= rest_.size() || rest_[digits] != ':' ||
        count > rest_.size() - digits - 1 || count + digits + 1 >= rest_.size() || rest_[digits + 1 + count] != '\n') {
      ok_ = false;
      return {};
    }
    const std::string_view value = rest_.substr(digits + 1, count);
    rest_.remove_prefix(digits + 2 + count);
    return value;
  }
  std::uint64_t number(std::uint64_t limit) {
    const std::string_view value = text();
    std::uint64_t parsed = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (error != std::errc() || end != value.data() + value.size() || parsed > limit) ok_ = false;
    return ok_ ? parsed : 0;
  }
  double real() {
    const std::string_view value = text();
    if (auto plain = plain_decimal(value)) return *plain;
    double parsed = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (error != std::errc() || end != value.data() + value.size()) ok_ = false;
    return parsed;
  }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && rest_.empty(); }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

constexpr std::uint64_t k_max_count = 1u << 20;  // far above any real module; guards allocation
constexpr std::uint64_t k_max_reserve = 64;  // a damaged count must not reserve much before it fails

}  // namespace

std::string encode_summary(const ModuleSummary& summary) {
  std::string out = fmt::format("jitcu-module {}\n", k_summary_version);
  FieldWriter write(out);
  write.text(summary.source_name);
  write.text(summary.arch);
  write.text(summary.image);
  write.text(fmt::format("{}", summary.compile_ms));
  write.number(summary.name_expressions.size());
  for (const auto& [expression, lowered] : summary.name_expressions) {
    write.text(expression);
    write.text(lowered);
  }
  write.number(summary.kernels.size());
  for (const auto& kernel : summary.kernels) {
    write.text(kernel.symbol);
    write.text(kernel.name);
    write.number(kernel.params.size());
    for (const auto& param : kernel.params) {
      write.number(param.size_bytes);
      write.number(static_cast<std::uint64_t>(param.kind));
      write.text(param.ptx_type);
    }
  }
  return out;
}

std::optional<ModuleSummary> decode_summary(std::string_view text) {
  static const std::string header = "jitcu-module " + std::to_string(k_summary_version) + "\n";
  if (text.substr(0, header.size()) != header) return std::nullopt;
  FieldReader read(text.substr(header.size()));
  ModuleSummary summary;
  summary.source_name = read.text();
  summary.arch = read.text();
  summary.image = read.text();
  summary.compile_ms = read.real();
  for (std::uint64_t n = read.number(k_max_count); n > 0 && read.ok(); --n) {
    std::string expression(read.text());
    summary.name_expressions[std::move(expression)] = std::string(read.text());
  }
  const std::uint64_t kernel_count = read.number(k_max_count);
  summary.kernels.reserve(std::min<std::uint64_t>(kernel_count, k_max_reserve));
  for (std::uint64_t n = kernel_count; n > 0 && read.ok(); --n) {
    KernelRecord kernel;
    kernel.symbol = read.text();
    kernel.name = read.text();
    const std::uint64_t param_count = read.number(k_max_count);
    kernel.params.reserve(std::min<std::uint64_t>(param_count, k_max_reserve));
    for (std::uint64_t p = param_count; p > 0 && read.ok(); --p) {
      ParamInfo param;
      param.size_bytes = static_cast<std::uint32_t>(read.number(UINT32_MAX));
      param.kind = static_cast<ValueKind>(read.number(static_cast<std::uint64_t>(ValueKind::bytes)));
      param.ptx_type = read.text();
      kernel.params.push_back(std::move(param));
    }
    summary.kernels.push_back(std::move(kernel));
  }
  if (!read.done()) return std::nullopt;
  return summary;
}

}  // namespace jitcu::detail
