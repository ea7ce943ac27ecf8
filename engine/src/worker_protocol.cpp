#include "worker_protocol.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace jitcu::detail {
namespace {

constexpr std::uint64_t k_max_frame_bytes = 1ull << 32;  // a cubin or PTX is far smaller
constexpr std::size_t k_read_chunk_bytes = std::size_t{1} << 20;

bool write_all(int fd, const void* data, std::size_t size) {
  const char* at = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t wrote = write(fd, at, size);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    at += wrote;
    size -= static_cast<std::size_t>(wrote);
  }
  return true;
}

bool read_all(int fd, void* data, std::size_t size) {
  char* at = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t got = read(fd, at, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    at += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

bool write_frame(int fd, const std::string& bytes) {
  const std::uint64_t size = bytes.size();
  return write_all(fd, &size, sizeof size) && write_all(fd, bytes.data(), bytes.size());
}

std::optional<std::string> read_frame(int fd) {
  std::uint64_t size = 0;
  if (!read_all(fd, &size, sizeof size) || size > k_max_frame_bytes) return std::nullopt;
  // Grown as the bytes arrive: a frame that claims gigabytes and ends early (a confused or
  // dying peer) costs what it sent, not what it claimed.
  std::string bytes;
  while (bytes.size() < size) {
    const std::size_t filled = bytes.size();
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(size - filled, k_read_chunk_bytes));
    bytes.resize(filled + chunk);
    if (!read_all(fd, bytes.data() + filled, chunk)) return std::nullopt;
  }
  return bytes;
}

}  // namespace

// A request: the head (JSON), the source text, then each in-memory header as two frames, its
// name and its text (any bytes: JSON would need UTF-8).
bool write_request(int fd, const WorkerRequest& request) {
  const nlohmann::json head = {{"name", request.name},
                               {"options", request.options},
                               {"name_expressions", request.name_expressions},
                               {"pch_file", request.pch_file},
                               {"headers", request.headers.size()}};
  if (!write_frame(fd, head.dump()) || !write_frame(fd, request.text)) return false;
  for (const auto& header : request.headers)
    if (!write_frame(fd, header.name) || !write_frame(fd, header.text)) return false;
  return true;
}

std::optional<WorkerRequest> read_request(int fd) try {
  auto head = read_frame(fd);
  auto text = head ? read_frame(fd) : std::nullopt;
  if (!text) return std::nullopt;
  const auto json = nlohmann::json::parse(*head);
  WorkerRequest request{std::move(*text), json.at("name").get<std::string>(),
                        json.at("options").get<std::vector<std::string>>(),
                        json.at("name_expressions").get<std::vector<std::string>>(),
                        json.at("pch_file").get<std::string>()};
  const auto count = json.at("headers").get<std::uint64_t>();
  for (std::uint64_t i = 0; i < count; ++i) {  // each read is checked: a false count ends at the file's end
    auto name = read_frame(fd);
    auto header_text = name ? read_frame(fd) : std::nullopt;
    if (!header_text) return std::nullopt;
    request.headers.push_back({std::move(*name), std::move(*header_text)});
  }
  return request;
} catch (const nlohmann::json::exception&) {
  return std::nullopt;
}

bool write_response(int fd, const NvrtcOutput& output) {
  const nlohmann::json head = {{"ok", output.ok},
                               {"invalid_option", output.invalid_option},
                               {"cancelled", output.cancelled},
                               {"result_name", output.result_name},
                               {"lowered_names", output.lowered_names},
                               {"milliseconds", output.milliseconds},
                               {"pch", static_cast<int>(output.pch)},
                               {"pch_detail", output.pch_detail}};
  return write_frame(fd, head.dump()) && write_frame(fd, output.ptx) && write_frame(fd, output.cubin) &&
         write_frame(fd, output.log) && write_frame(fd, output.lto_ir);
}

std::optional<NvrtcOutput> read_response(int fd) try {
  auto head = read_frame(fd);
  if (!head) return std::nullopt;
  NvrtcOutput output;
  for (std::string* blob : {&output.ptx, &output.cubin, &output.log, &output.lto_ir}) {
    auto bytes = read_frame(fd);
    if (!bytes) return std::nullopt;
    *blob = std::move(*bytes);
  }
  const auto json = nlohmann::json::parse(*head);
  output.ok = json.at("ok").get<bool>();
  output.invalid_option = json.at("invalid_option").get<bool>();
  output.cancelled = json.at("cancelled").get<bool>();
  output.result_name = json.at("result_name").get<std::string>();
  output.lowered_names = json.at("lowered_names").get<std::map<std::string, std::string>>();
  output.milliseconds = json.at("milliseconds").get<double>();
  const int pch = json.at("pch").get<int>();
  if (pch < 0 || pch > static_cast<int>(PchUse::skipped)) return std::nullopt;
  output.pch = static_cast<PchUse>(pch);
  output.pch_detail = json.at("pch_detail").get<std::string>();
  return output;
} catch (const nlohmann::json::exception&) {
  return std::nullopt;
}

}  // namespace jitcu::detail
