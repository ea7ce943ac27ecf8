// Sources and headers that are not plain text files: FIFOs, devices, sockets, files past the
// size limit, NUL bytes. Each is a clear error, never a blocking read or a silent truncation.
// A guard opens each FIFO for writing after a grace period, so a regression fails, not hangs.
#include "diagnostics.hpp"
#include "engine_support.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace jitcu;
using namespace jitcu::test;
using namespace std::chrono_literals;

namespace {

/// A FIFO at `path`; after `grace`, keeps opening and closing its write end until destroyed, so
/// a reader blocked in open() or read() gets end-of-file instead of waiting for ever.
/// `had_reader()` says whether anyone was still reading it then: a reader that blocked.
class GuardedFifo {
 public:
  explicit GuardedFifo(const std::filesystem::path& path, std::chrono::milliseconds grace = 30s) : path_(path) {
    std::filesystem::create_directories(path.parent_path());
    REQUIRE(mkfifo(path.c_str(), 0600) == 0);
    guard_ = std::thread([this, grace] {
      const auto release_at = std::chrono::steady_clock::now() + grace;
      while (!done_) {
        if (std::chrono::steady_clock::now() > release_at) {
          // Without a reader this open fails (ENXIO); it succeeds only while one waits.
          const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
          if (fd >= 0) {
            had_reader_ = true;
            ::close(fd);
          }
        }
        std::this_thread::sleep_for(10ms);
      }
    });
  }
  ~GuardedFifo() {
    done_ = true;
    guard_.join();
  }
  bool had_reader() const { return had_reader_; }
  GuardedFifo(const GuardedFifo&) = delete;
  GuardedFifo& operator=(const GuardedFifo&) = delete;

 private:
  std::filesystem::path path_;
  std::atomic<bool> done_{false};
  std::atomic<bool> had_reader_{false};
  std::thread guard_;
};

/// A sparse file of `bytes` bytes (no disk space used).
void make_sparse_file(const std::filesystem::path& path, std::uintmax_t bytes) {
  write_file(path, "");
  std::filesystem::resize_file(path, bytes);
}

/// A listening Unix socket bound at `path`; closed on destruction.
class BoundSocket {
 public:
  explicit BoundSocket(const std::filesystem::path& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string text = path.string();
    REQUIRE(text.size() < sizeof address.sun_path);
    std::copy(text.begin(), text.end(), address.sun_path);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  }
  ~BoundSocket() { ::close(fd_); }
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;

 private:
  int fd_;
};

const CompileOptions k_sm90{.arch = "sm_90"};

}  // namespace

TEST_CASE("Source::file of a FIFO, a device or a socket is an error naming what it is, not a hang") {
  TempDir tmp;
  GuardedFifo fifo(tmp / "kernel.cu");
  CHECK_THROWS_WITH_AS(Source::file(tmp / "kernel.cu"), doctest::Contains("it is a FIFO, not a regular file"), Error);
  CHECK_FALSE(fifo.had_reader());  // nothing blocked on the FIFO until the guard let it go
  CHECK_THROWS_WITH_AS(Source::file("/dev/zero"), doctest::Contains("'/dev/zero': it is a character device"), Error);
  CHECK_THROWS_WITH_AS(Source::file("/dev/null"), doctest::Contains("it is a character device"), Error);
  BoundSocket socket(tmp / "s.cu");
  CHECK_THROWS_WITH_AS(Source::file(tmp / "s.cu"), doctest::Contains("it is a socket, not a regular file"), Error);
}

TEST_CASE("a source past the 64 MiB limit is an error naming the limit; one just under it reads") {
  TempDir tmp;
  make_sparse_file(tmp / "huge.cu", (64u << 20) + 1);
  CHECK_THROWS_WITH_AS(Source::file(tmp / "huge.cu"),
                       doctest::Contains("larger than jitcu's limit of 64 MiB for a source or header file"), Error);
  make_sparse_file(tmp / "big.cu", 64u << 20);  // all NUL bytes: read whole, then refused for those
  CHECK_THROWS_WITH_AS(Source::file(tmp / "big.cu"), doctest::Contains("NUL byte on line 1"), Error);
}

TEST_CASE("a NUL byte in a source is an error naming file:line, for files and strings") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  TempDir tmp;
  const std::size_t lines = 2 + rng() % 50, nul_line = 1 + rng() % lines;
  std::string text;
  for (std::size_t line = 1; line <= lines; ++line) {
    text += "// line " + std::to_string(line);
    if (line == nul_line) text += std::string(1, '\0') + "after the NUL";
    text += "\n";
  }
  INFO("lines=" << lines << " nul_line=" << nul_line);
  write_file(tmp / "k.cu", text);
  const std::string where = (tmp / "k.cu").string() + ":" + std::to_string(nul_line);
  CHECK_THROWS_WITH_AS(Source::file(tmp / "k.cu"), doctest::Contains(where.c_str()), Error);
  CHECK_THROWS_WITH_AS(Source::string(text, "s.cu"), doctest::Contains(("s.cu:" + std::to_string(nul_line)).c_str()), Error);
  CHECK_THROWS_WITH_AS(Source::string(text, "s.cu"), doctest::Contains("would ignore everything after it"), Error);
}

TEST_CASE("an #include of a FIFO is a compile error naming the file and the including line, before NVRTC runs") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  GuardedFifo fifo(tmp / "src/pipe.h");
  write_file(tmp / "src/main.cu", "// a kernel\n#include \"a.h\"\n__global__ void k() {}\n");
  write_file(tmp / "src/a.h", "#pragma once\n\n\n#include \"pipe.h\"\n");
  const std::string where = (tmp / "src/a.h").string() + ":4: '#include \"pipe.h\"' finds '" + (tmp / "src/pipe.h").string();
  CHECK_THROWS_WITH_AS(engine.compile(Source::file(tmp / "src/main.cu"), k_sm90), doctest::Contains(where.c_str()),
                       CompileError);
  CHECK_THROWS_WITH_AS(engine.compile(Source::file(tmp / "src/main.cu"), k_sm90),
                       doctest::Contains("it is a FIFO; NVRTC would block"), CompileError);
  CHECK_FALSE(fifo.had_reader());  // nothing blocked on the FIFO until the guard let it go
  try {
    engine.compile(Source::file(tmp / "src/main.cu"), k_sm90);
  } catch (const CompileError& error) {
    REQUIRE(error.diagnostics().size() == 1);
    CHECK(error.diagnostics()[0].line == 4);
    CHECK(error.line() == 4);
  }
  // Directly from the source, through an -I folder, and with an angle-bracket include.
  write_file(tmp / "src/direct.cu", "#include <pipe.h>\n__global__ void k() {}\n");
  const CompileOptions through_include_dir{.include_dirs = {(tmp / "src").string()}, .arch = "sm_90"};
  CHECK_THROWS_WITH_AS(engine.compile(Source::file(tmp / "src/direct.cu"), through_include_dir),
                       doctest::Contains(((tmp / "src/direct.cu").string() + ":1: '#include <pipe.h>'").c_str()), CompileError);
}

TEST_CASE("an #include of a device or socket is refused; a folder in the way is looked past as before") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  write_file(tmp / "dev.cu", "#include \"/dev/zero\"\n__global__ void k() {}\n");
  CHECK_THROWS_WITH_AS(engine.compile(Source::file(tmp / "dev.cu"), k_sm90), doctest::Contains("it is a character device"),
                       CompileError);
  BoundSocket socket(tmp / "sock.h");
  write_file(tmp / "sock.cu", "#include \"sock.h\"\n__global__ void k() {}\n");
  CHECK_THROWS_WITH_AS(engine.compile(Source::file(tmp / "sock.cu"), k_sm90), doctest::Contains("it is a socket"),
                       CompileError);
  std::filesystem::create_directories(tmp / "src/thing.h");  // a folder named like the header
  write_file(tmp / "inc/thing.h", "#define THING 7\n");
  write_file(tmp / "src/use.cu", "#include \"thing.h\"\n__global__ void k(int* out) { *out = THING; }\n");
  const CompileOptions options{.include_dirs = {(tmp / "inc").string()}, .arch = "sm_90"};
  CHECK(engine.compile(Source::file(tmp / "src/use.cu"), options).kernel_names().size() == 1);
}

TEST_CASE("a header past the 64 MiB limit is a compile error naming the limit and the including line") {
  TempDir tmp, cache;
  auto engine = engine_in(cache);
  make_sparse_file(tmp / "huge.h", (64u << 20) + 1);
  write_file(tmp / "k.cu", "\n#include \"huge.h\"\n__global__ void k() {}\n");
  CHECK_THROWS_WITH_AS(engine.compile(Source::file(tmp / "k.cu"), k_sm90),
                       doctest::Contains(((tmp / "k.cu").string() + ":2: '#include \"huge.h\"'").c_str()), CompileError);
  CHECK_THROWS_WITH_AS(engine.compile(Source::file(tmp / "k.cu"), k_sm90), doctest::Contains("limit of 64 MiB"),
                       CompileError);
}

TEST_CASE("a compile error's excerpt reads only regular files: a log naming a FIFO or /dev/zero gets no excerpt") {
  TempDir tmp;
  GuardedFifo fifo(tmp / "pipe.h");
  const Source source = Source::string("__global__ void k() {}\n", "k.cu");
  for (const std::string& file : {(tmp / "pipe.h").string(), std::string("/dev/zero")}) {
    const std::string log = file + "(1): error: expected a \";\"\n\n1 error detected in the compilation of \"k.cu\".";
    const CompileError error = detail::make_compile_error(source, log, "NVRTC_ERROR_COMPILATION");
    CHECK(std::string(error.what()).starts_with("compile error in " + file + ":1: expected a \";\"\n"));
    CHECK(std::string(error.what()).size() < 200);  // an empty excerpt, not the file's bytes
  }
  CHECK_FALSE(fifo.had_reader());  // nothing blocked on the FIFO until the guard let it go
}
