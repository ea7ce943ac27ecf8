#pragma once
// Messages between the engine and a `jitcu-worker` process: length-prefixed frames on pipes.
#include "nvrtc.hpp"

#include <optional>
#include <string>

namespace jitcu::detail {

/// One compile request as it travels to a worker.
struct WorkerRequest {
  std::string text;
  std::string name;
  std::vector<std::string> options;
  std::vector<std::string> name_expressions;
  std::string pch_file;  // NvrtcInput::pch_file; empty: no precompiled header
  std::vector<HeaderText> headers{};  // NvrtcInput::headers
};

/// Writes one request or response to `fd`; false if the pipe broke.
bool write_request(int fd, const WorkerRequest& request);
bool write_response(int fd, const NvrtcOutput& output);
/// Reads one; nullopt at end of file or on a broken or malformed message.
std::optional<WorkerRequest> read_request(int fd);
std::optional<NvrtcOutput> read_response(int fd);

}  // namespace jitcu::detail
