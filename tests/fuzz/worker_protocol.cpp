// The engine <-> worker frames (worker_protocol.cpp) from any bytes; what parses must survive a
// write and a read unchanged.
#include "worker_protocol.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace {

/// An in-memory file holding `size` bytes of `data`, read from its start.
int memory_file(const void* data, std::size_t size) {
  const int fd = memfd_create("jitcu-fuzz", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  lseek(fd, 0, SEEK_SET);
  return fd;
}

template <class Message, class Read, class Write>
void round_trip(const Message& message, Read read, Write write_message) {
  const int fd = memory_file(nullptr, 0);
  if (!write_message(fd, message)) std::abort();
  lseek(fd, 0, SEEK_SET);
  const auto again = read(fd);
  close(fd);
  if (!again) std::abort();
  const auto& copy = *again;
  if constexpr (requires { copy.pch_file; }) {
    if (copy.text != message.text || copy.name != message.name || copy.options != message.options ||
        copy.name_expressions != message.name_expressions || copy.pch_file != message.pch_file ||
        copy.headers != message.headers)
      std::abort();
  } else {
    if (copy.ok != message.ok || copy.ptx != message.ptx || copy.cubin != message.cubin || copy.log != message.log ||
        copy.lowered_names != message.lowered_names || copy.pch != message.pch || copy.pch_detail != message.pch_detail)
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jitcu::detail;
  const int fd = memory_file(data, size);
  while (auto request = read_request(fd)) round_trip(*request, read_request, write_request);
  lseek(fd, 0, SEEK_SET);
  while (auto response = read_response(fd)) round_trip(*response, read_response, write_response);
  close(fd);
  return 0;
}
