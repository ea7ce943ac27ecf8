// The Redis tier (docs/remote-cache.md) on one host, with a redis-server this program starts on
// a unix socket in a temp folder:
//  - seed kernel: a remote hit into an empty local cache (new Engine, empty disk folder)
//    against compiling it (NVRTC); goal <= 1 ms and >= 50x faster;
//    (and, for reference, the next compile() there: a local disk hit of what the remote hit wrote);
//  - a CUB kernel (bench/kernels/cub_reduce_a.cu): the same; goal >= 1000x faster;
//  - 16 processes with separate local caches missing the same 64 keys at once: goal 64 NVRTC
//    compiles in all, not 16 x 64.
// Needs no GPU: compiles and hits need none (the arch is JITCU_ARCH's, else sm_90, without one).
// redis-server: $JITCU_BENCH_REDIS_SERVER, else .deps/root/usr/bin/redis-server (scripts/
// fetch-gpu-deps), else the one on PATH.
//
//   bench_remote                               the parent
//   bench_remote --node VARIANT...             one node (JITCU_CACHE_DIR, JITCU_REMOTE_CACHE)
#include "jitcu_side.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {
using bench::Clock;
using bench::Json;

constexpr int k_nodes = 16;
constexpr int k_shared_keys = 64;

std::string redis_server_path() {
  if (const char* path = std::getenv("JITCU_BENCH_REDIS_SERVER"); path && *path) return path;
  const auto unpacked = std::filesystem::path(JITCU_SOURCE_DIR) / ".deps/root/usr/bin/redis-server";
  if (std::filesystem::exists(unpacked)) return unpacked.string();
  return "redis-server";
}

bool socket_answers(const std::filesystem::path& socket) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

/// redis-server on a unix socket in `dir`, no TCP, no persistence; killed with this program.
class RedisServer {
 public:
  explicit RedisServer(const std::filesystem::path& dir) : socket_(dir / "redis.sock") {
    std::vector<std::string> args{redis_server_path(), "--port", "0", "--unixsocket", socket_.string(),
                                  "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                                  "--dir", dir.string(), "--logfile", (dir / "redis.log").string()};
    pid_ = fork();
    bench::require(pid_ >= 0, "fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 500 && !socket_answers(socket_); ++i) {
      bench::require(waitpid(pid_, nullptr, WNOHANG) == 0,
                     "redis-server did not start (" + args[0] + "; see " + (dir / "redis.log").string() +
                         "; on the GPU machine scripts/fetch-gpu-deps fetches it)");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    bench::require(socket_answers(socket_), "redis-server did not open its socket within 5 s");
  }
  ~RedisServer() {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  std::string url() const { return "unix://" + socket_.string(); }

 private:
  std::filesystem::path socket_;
  pid_t pid_ = -1;
};

jitcu::CompileOptions variant(const std::string& name) {
  jitcu::CompileOptions options;
  options.defines.emplace_back("JITCU_BENCH_VARIANT", name);
  return options;
}

/// compile() of a new engine on an empty disk folder: its time and origin.
std::pair<double, jitcu::Origin> compile_fresh(const std::filesystem::path& dir, const std::string& remote,
                                               const jitcu::Source& source, const std::string& name) {
  jitcu::EngineOptions options;
  options.cache_dir = dir;
  options.remote_cache = remote;
  jitcu::Engine engine(options);
  const auto start = Clock::now();
  const jitcu::Module module = engine.compile(source, variant(name));
  const double ms = bench::ms_since(start);
  return {ms, module.origin()};
}

struct Pair {
  std::vector<double> compile_ms, hit_ms, local_hit_ms;
  bool origins_right = true;
};

/// Per round: a variant compiled by one "node" (NVRTC; the result goes to Redis), then loaded by
/// another node with an empty disk (the remote hit). Round 0 warms the process up and is dropped.
Pair compile_then_remote_hit(const bench::TempDir& scratch, const std::string& remote, const jitcu::Source& source,
                             const std::string& tag, int rounds) {
  Pair pair;
  for (int r = 0; r <= rounds; ++r) {
    const std::string name = tag + std::to_string(r) + "-" + std::to_string(bench::monotonic_ns());
    const auto base = scratch.path() / (tag + std::to_string(r));
    const auto [compile_ms, compiled] = compile_fresh(base / "compiler", remote, source, name);
    const auto [hit_ms, hit] = compile_fresh(base / "reader", remote, source, name);
    const auto [local_ms, local] = compile_fresh(base / "reader", remote, source, name);  // the disk the hit filled
    pair.origins_right = pair.origins_right && compiled == jitcu::Origin::compiled && hit == jitcu::Origin::disk_cache &&
                         local == jitcu::Origin::disk_cache;
    if (r == 0) continue;
    pair.compile_ms.push_back(compile_ms);
    pair.hit_ms.push_back(hit_ms);
    pair.local_hit_ms.push_back(local_ms);
  }
  return pair;
}

int node(int argc, char** argv) {
  bench::Report report("bench_remote --node");
  jitcu::Engine engine;  // JITCU_CACHE_DIR, JITCU_REMOTE_CACHE
  const auto source = jitcu::Source::file(bench::seed_kernel());
  int compiled = 0;
  const auto start = Clock::now();
  for (int i = 2; i < argc; ++i) compiled += engine.compile(source, variant(argv[i])).origin() == jitcu::Origin::compiled;
  report.result("ms", bench::ms_since(start));
  report.result("compiled", compiled);
  report.result("keys", argc - 2);
  return report.print();
}

int parent() {
  bench::Report report("bench_remote");
  const int rounds = bench::env_int("JITCU_BENCH_REMOTE_ROUNDS", 5);
  bench::TempDir scratch("remote");
  RedisServer server(scratch.path());

  const Pair seed =
      compile_then_remote_hit(scratch, server.url(), jitcu::Source::file(bench::seed_kernel()), "seed", rounds);
  const Pair cub = compile_then_remote_hit(scratch, server.url(), jitcu::Source::file(bench::bench_kernel("cub_reduce_a.cu")),
                                           "cub", std::max(1, rounds / 2));
  const double seed_hit = bench::median(seed.hit_ms);
  const double seed_ratio = bench::median(seed.compile_ms) / seed_hit;
  const double cub_ratio = bench::median(cub.compile_ms) / bench::median(cub.hit_ms);
  report.result("seed_compile_ms", bench::stats(seed.compile_ms, "ms"));
  report.result("seed_remote_hit_ms", bench::stats(seed.hit_ms, "ms"));
  report.result("seed_local_hit_ms", bench::stats(seed.local_hit_ms, "ms"));
  report.result("seed_speedup", seed_ratio);
  report.result("cub_compile_ms", bench::stats(cub.compile_ms, "ms"));
  report.result("cub_remote_hit_ms", bench::stats(cub.hit_ms, "ms"));
  report.result("cub_local_hit_ms", bench::stats(cub.local_hit_ms, "ms"));
  report.result("cub_speedup", cub_ratio);

  // 16 nodes, separate disks, one Redis, the same 64 keys at once (each node starts elsewhere).
  const std::string self = (bench::executable_dir() / "bench_remote").string();
  const std::string run_tag = std::to_string(bench::monotonic_ns());
  std::vector<bench::Child> nodes;
  const auto start = Clock::now();
  for (int n = 0; n < k_nodes; ++n) {
    std::vector<std::string> argv{self, "--node"};
    for (int k = 0; k < k_shared_keys; ++k)
      argv.push_back("fleet-" + run_tag + "-" + std::to_string((k + n * k_shared_keys / k_nodes) % k_shared_keys));
    const bench::EnvOverrides env{{"JITCU_CACHE_DIR", (scratch.path() / ("node" + std::to_string(n))).string()},
                                  {"JITCU_REMOTE_CACHE", server.url()},
                                  {"JITCU_LOG_LEVEL", "warn"}};
    nodes.emplace_back(argv, env);
  }
  int compiles = 0;
  std::vector<double> node_ms;
  for (auto& child : nodes) {
    const Json result = bench::finish_json_child(child, 600);
    compiles += result["results"]["compiled"].get<int>();
    node_ms.push_back(result["results"]["ms"].get<double>());
  }
  report.result("fleet_wall_ms", bench::ms_since(start));
  report.result("fleet_node_ms", bench::stats(node_ms, "ms"));
  report.result("fleet_nvrtc_compiles", compiles);

  report.check("origins_compiled_then_remote_hit", seed.origins_right && cub.origins_right);
  report.check("seed_remote_hit_at_most_1_ms", seed_hit <= 1.0);
  report.check("seed_remote_hit_at_least_50x", seed_ratio >= 50);
  report.check("cub_remote_hit_at_least_1000x", cub_ratio >= 1000);
  report.check("fleet_one_compile_per_key", compiles == k_shared_keys);
  report.info("nodes", k_nodes);
  report.info("shared_keys", k_shared_keys);
  report.info("rounds", rounds);
  report.info("gpu", jitcu::cuda_available());
  report.note("a remote hit: compile() of a new Engine with an empty disk folder and the same Redis; its entry is "
              "read from Redis, verified, written to the disk and loaded");
  report.note("writing the entry to the local disk is most of a remote hit and depends on the file system of "
              "TMPDIR (here, in the dev container: 0.3 ms on tmpfs, 2-5 ms on a loaded ext4)");
  report.info("tmpdir", std::filesystem::temp_directory_path().string());
  return report.print();
}

int run(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--node") == 0) return node(argc, argv);
  if (argc == 1) return parent();
  throw bench::Failure("usage: bench_remote [--node VARIANT...]");
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_remote", run, argc, argv); }
