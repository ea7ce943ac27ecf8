#pragma once
// One connection to Redis with timeouts, shared by a RedisTier and its locks; after a failure
// Redis is skipped for a backoff, then a fresh connection is tried.
#include <jitcu/cache/redis_tier.hpp>

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jitcu::cache::detail {

struct ReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;
using Command = std::vector<std::string_view>;

class RedisLink {
 public:
  explicit RedisLink(RedisConfig config);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  /// Sends the commands in one round trip and returns their replies; nullopt when Redis is in
  /// its backoff, cannot be reached, times out or answers an error (each logged once per
  /// process and kind, then at debug level).
  std::optional<std::vector<Reply>> run(const std::vector<Command>& commands);
  /// One command.
  std::optional<Reply> run(const Command& command);
  /// Logs a problem found in what Redis returned: one warning per kind, then debug lines.
  void report(std::string_view kind, std::string_view message) const;
  /// The last failure's description; empty after a success.
  std::string last_problem() const;
  const RedisConfig& config() const { return config_; }

 private:
  bool connect_locked();
  void fail_locked(std::string_view kind, std::string message, bool back_off);

  const RedisConfig config_;
  mutable std::mutex mutex_;
  redisContext* context_ = nullptr;
  std::chrono::steady_clock::time_point skip_until_{};
  std::string last_problem_;
};

}  // namespace jitcu::cache::detail
