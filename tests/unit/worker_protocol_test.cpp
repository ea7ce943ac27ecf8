// The engine <-> worker frames (worker_protocol.cpp): what one side writes the other reads back,
// and a frame that claims more than it carries is refused without allocating what it claims.
#include "worker_protocol.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <random>

using namespace jitcu::detail;

namespace {

/// An in-memory file holding `bytes`, read from its start.
int memory_file(const std::string& bytes) {
  const int fd = memfd_create("jitcu-test", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

TEST_CASE("a request and a response written to a worker's pipe read back the same") {
  const unsigned seed = jitcu::test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  std::string text(1 + rng() % 3'000'000, ' ');  // over the 1 MiB read chunk, most times
  for (auto& c : text) c = static_cast<char>(rng());
  std::string header_text(rng() % 100'000, ' ');  // any bytes, NULs aside (make_request refuses them)
  for (auto& c : header_text) c = static_cast<char>(1 + rng() % 255);
  const WorkerRequest request{text, "k.cu", {"-arch=sm_90", "-DX=" + std::to_string(rng())}, {"k<int>"}, "/c/pch/x",
                              {{"my/util.cuh", header_text}, {"empty.cuh", ""}}};
  const int fd = memory_file("");
  REQUIRE(write_request(fd, request));
  lseek(fd, 0, SEEK_SET);
  const auto got = read_request(fd);
  close(fd);
  REQUIRE(got.has_value());
  CHECK(got->text == request.text);
  CHECK(got->options == request.options);
  CHECK(got->name_expressions == request.name_expressions);
  CHECK(got->pch_file == request.pch_file);
  CHECK(got->headers == request.headers);
}

TEST_CASE("a request whose head promises more in-memory headers than follow is refused") {
  const int fd = memory_file("");
  REQUIRE(write_request(fd, WorkerRequest{"text", "k.cu", {}, {}, "", {{"a.cuh", "x"}}}));
  const off_t whole = lseek(fd, 0, SEEK_CUR);
  REQUIRE(ftruncate(fd, whole - 1) == 0);  // the last header's text cut short
  lseek(fd, 0, SEEK_SET);
  CHECK_FALSE(read_request(fd).has_value());
  close(fd);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // they reserve terabytes up front
namespace {

std::string frame_header(std::uint64_t size) { return std::string(reinterpret_cast<const char*>(&size), sizeof size); }

std::size_t virtual_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("a frame claiming 4 GiB that carries 10 bytes is refused without allocating 4 GiB") {
  // A child under an address-space limit 1 GiB above what it has: allocating the claimed size
  // (what read_frame did) throws std::bad_alloc and aborts it.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const rlimit limit{virtual_memory_bytes() + (std::size_t{1} << 30), RLIM_INFINITY};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
    const int fd = memory_file(frame_header(std::uint64_t{1} << 32) + "0123456789");
    const bool refused = !read_request(fd).has_value();
    lseek(fd, 0, SEEK_SET);
    const bool refused_too = !read_response(fd).has_value();
    _exit(refused && refused_too ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO("child status " << status);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
#endif
