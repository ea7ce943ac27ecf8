#pragma once
// A real redis-server for one test: started in a temp folder on a unix socket (no TCP port, no
// persistence), killed with the test, never a system service. Also a plain client to set the
// server up or tamper with it.
#include <hiredis/hiredis.h>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace jitcu::test {

struct RedisReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

class RedisServer {
 public:
  /// Starts redis-server with its socket, log and nothing else in `dir`.
  explicit RedisServer(std::filesystem::path dir, std::vector<std::string> extra = {})
      : dir_(std::move(dir)), extra_(std::move(extra)) {
    start();
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::filesystem::path socket() const { return dir_ / "redis.sock"; }
  /// unix://<socket>, followed by `query` ("?timeout_ms=200") when given.
  std::string url(const std::string& query = "") const { return "unix://" + socket().string() + query; }

  /// Starts the server (again, on the same socket) and waits until it answers PING (5 s at most).
  void start() {
    if (pid_ > 0) return;
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args{"redis-server", "--port", "0", "--unixsocket", socket().string(),
                                  "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                                  "--dir", dir_.string(), "--logfile", (dir_ / "redis.log").string(),
                                  "--enable-debug-command", "local"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server did not start (is it installed? scripts/packages.txt lists it); see " +
                                 (dir_ / "redis.log").string());
      }
      if (answers()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill9();
    throw std::runtime_error("redis-server did not answer within 5 s");
  }

  /// SIGKILL: the server dies mid-whatever, as a crashed machine's would.
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    std::error_code ignored;
    std::filesystem::remove(socket(), ignored);
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {  // 2 s, then SIGKILL
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill9();
  }

  /// One command on a fresh connection (5 s timeout); throws when the server cannot be asked.
  RedisReply command(const std::vector<std::string>& words, const std::string& password = "") const {
    redisContext* context = redisConnectUnixWithTimeout(socket().c_str(), timeval{5, 0});
    if (context == nullptr || context->err) {
      if (context) redisFree(context);
      throw std::runtime_error("cannot connect to the test's redis-server");
    }
    redisSetTimeout(context, timeval{5, 0});
    if (!password.empty()) freeReplyObject(redisCommand(context, "AUTH %s", password.c_str()));
    std::vector<const char*> argv;
    std::vector<std::size_t> sizes;
    for (const auto& word : words) {
      argv.push_back(word.data());
      sizes.push_back(word.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), sizes.data()));
    redisFree(context);
    if (reply == nullptr) throw std::runtime_error("the test's redis-server did not answer");
    return RedisReply(reply);
  }

  /// A string value, or "" for none.
  std::string get(const std::string& key) const {
    const auto reply = command({"GET", key});
    return reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : std::string();
  }

 private:
  bool answers() const {
    redisContext* context = redisConnectUnixWithTimeout(socket().c_str(), timeval{0, 200'000});
    if (context == nullptr) return false;
    bool ok = false;
    if (!context->err) {
      auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
      ok = reply != nullptr && (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_ERROR);  // NOAUTH answers too
      if (reply) freeReplyObject(reply);
    }
    redisFree(context);
    return ok;
  }

  std::filesystem::path dir_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

}  // namespace jitcu::test
