#include "redis_link.hpp"

#include <jitcu/base/log.hpp>

#include <csignal>
#include <cerrno>
#include <ctime>
#include <set>

#include <fmt/format.h>

namespace jitcu::cache::detail {
namespace {

timeval to_timeval(std::chrono::milliseconds duration) {
  return timeval{static_cast<time_t>(duration.count() / 1000), static_cast<suseconds_t>(duration.count() % 1000 * 1000)};
}

/// Writing to a connection the server closed raises SIGPIPE, which would end a host program
/// that does not ignore it: blocked on this thread while hiredis writes, and consumed.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec none{0, 0};
      sigtimedwait(&pipe_, nullptr, &none);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

/// Error replies that make every later command fail too: skip Redis for the backoff.
bool refuses_everything(std::string_view kind) {
  return kind == "NOAUTH" || kind == "WRONGPASS" || kind == "LOADING" || kind == "MASTERDOWN" || kind == "BUSY";
}

std::string first_word(std::string_view text) { return std::string(text.substr(0, text.find(' '))); }

std::string io_problem(const redisContext& context, std::chrono::milliseconds timeout) {
  if (context.err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
    return fmt::format("no answer within {} ms", timeout.count());
  return context.errstr[0] ? std::string(context.errstr) : std::string("connection failed");
}

}  // namespace

RedisLink::RedisLink(RedisConfig config) : config_(std::move(config)) {}

RedisLink::~RedisLink() {
  if (context_) redisFree(context_);
}

void RedisLink::report(std::string_view kind, std::string_view message) const {
  static std::mutex mutex;
  static std::set<std::string> warned;  // one warning per server and kind of problem, per process
  bool first = false;
  {
    const std::lock_guard guard(mutex);
    first = warned.insert(fmt::format("{}|{}", config_.describe(), kind)).second;
  }
  if (first)
    jitcu::log().warn("remote cache {}: {}; compiling and caching locally as usual (further such problems are "
                      "logged at debug level)",
                      config_.describe(), message);
  else if (jitcu::log_enabled(spdlog::level::debug))
    jitcu::log().debug("remote cache {}: {}", config_.describe(), message);
}

std::string RedisLink::last_problem() const {
  const std::lock_guard guard(mutex_);
  return last_problem_;
}

void RedisLink::fail_locked(std::string_view kind, std::string message, bool back_off) {
  if (back_off) {
    if (context_) redisFree(context_);
    context_ = nullptr;
    skip_until_ = std::chrono::steady_clock::now() + config_.backoff;
    message += fmt::format("; Redis is skipped for {} ms", config_.backoff.count());
  }
  report(kind, message);
  last_problem_ = std::move(message);
}

bool RedisLink::connect_locked() {
  if (context_) return true;
  if (std::chrono::steady_clock::now() < skip_until_) {
    last_problem_ = "skipped after a recent failure";
    return false;
  }
  const timeval timeout = to_timeval(config_.connect_timeout);
  redisContext* made = config_.socket_path.empty()
                           ? redisConnectWithTimeout(config_.host.c_str(), config_.port, timeout)
                           : redisConnectUnixWithTimeout(config_.socket_path.c_str(), timeout);
  if (made == nullptr) {
    fail_locked("unreachable", "cannot make a connection", true);
    return false;
  }
  if (made->err) {
    std::string problem = fmt::format("cannot connect: {}", made->errstr);
    redisFree(made);
    fail_locked("unreachable", std::move(problem), true);
    return false;
  }
  redisSetTimeout(made, to_timeval(config_.operation_timeout));
  context_ = made;
  return true;
}

std::optional<std::vector<Reply>> RedisLink::run(const std::vector<Command>& commands) {
  const std::lock_guard guard(mutex_);
  const bool fresh = context_ == nullptr;
  if (!connect_locked()) return std::nullopt;
  std::vector<Command> sent;
  if (fresh && !config_.password.empty())
    sent.push_back(config_.user.empty() ? Command{"AUTH", config_.password}
                                        : Command{"AUTH", config_.user, config_.password});
  const std::string db = std::to_string(config_.db);
  if (fresh && config_.db != 0) sent.push_back({"SELECT", db});
  const std::size_t setup = sent.size();
  sent.insert(sent.end(), commands.begin(), commands.end());

  const SigpipeBlocked sigpipe_blocked;
  for (const Command& command : sent) {
    std::vector<const char*> argv;
    std::vector<std::size_t> sizes;
    for (std::string_view word : command) {
      argv.push_back(word.data());
      sizes.push_back(word.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), sizes.data()) != REDIS_OK) {
      fail_locked("unreachable", io_problem(*context_, config_.operation_timeout), true);
      return std::nullopt;
    }
  }
  std::vector<Reply> replies;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK) {
      fail_locked("unreachable", io_problem(*context_, config_.operation_timeout), true);
      return std::nullopt;
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (replies[i]->type != REDIS_REPLY_ERROR) continue;
    const std::string text(replies[i]->str, replies[i]->len);
    const std::string kind = i < setup && sent[i][0] == "AUTH" ? "WRONGPASS" : first_word(text);
    fail_locked(kind, fmt::format("{} answered: {}", sent[i][0], text), i < setup || refuses_everything(kind));
    return std::nullopt;
  }
  last_problem_.clear();
  replies.erase(replies.begin(), replies.begin() + static_cast<std::ptrdiff_t>(setup));
  return replies;
}

std::optional<Reply> RedisLink::run(const Command& command) {
  auto replies = run(std::vector<Command>{command});
  if (!replies) return std::nullopt;
  return std::move(replies->front());
}

}  // namespace jitcu::cache::detail
