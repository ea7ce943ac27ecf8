#pragma once
// The remote tier: entries in a Redis shared by a cluster or a CI fleet, under the local disk.
// docs/remote-cache.md tells how to set a server up and what the secret protects.
#include <jitcu/cache/tier.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jitcu::cache {

/// Where the Redis is and how to use it. Every field has a documented default.
struct RedisConfig {
  std::string url;          // as given, for messages (the password is never shown)
  std::string socket_path;  // set: a unix socket; else host and port
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;  // with a password: AUTH user password (Redis 6 ACL)
  std::string password;
  int db = 0;
  std::string name_space = "jitcu";  // every key starts with "<name_space>:"
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds operation_timeout{500};
  std::chrono::seconds ttl{std::chrono::hours(24 * 30)};  // refreshed on every hit
  std::chrono::milliseconds backoff{30'000};               // Redis skipped this long after a failure
  std::chrono::milliseconds lock_expiry{10'000};           // refreshed while the compile runs
  std::chrono::milliseconds lock_wait{60'000};             // the longest a node waits for another's compile
  std::chrono::milliseconds lock_poll{25};
  std::uint64_t max_value_bytes = 64ull << 20;  // larger entries are not sent
  std::string secret;  // non-empty: values are signed (sign_entry, HMAC-SHA256) and checked

  /// Parses redis://[[user]:password@]host[:port][/db], unix:///path.sock or
  /// redis+unix:///path.sock, each optionally followed by ?name=value&... to set namespace,
  /// connect_timeout_ms, timeout_ms, ttl_s, backoff_ms, lock_expiry_ms, lock_wait_ms,
  /// max_value (a size: "64M"). Throws std::invalid_argument naming the URL and what is wrong.
  static RedisConfig from_url(std::string_view url);
  /// from_url, with JITCU_REMOTE_NAMESPACE and JITCU_CACHE_SECRET (secret_from_env) from the
  /// environment (the URL's namespace wins over the variable).
  static RedisConfig from_env(std::string_view url);
  /// "redis unix:/path/redis.sock" or "redis host:port/db": no password.
  std::string describe() const;
};

/// Counters the fleet shares, kept in Redis (HINCRBY <namespace>:stats).
using RemoteStats = std::map<std::string, std::int64_t>;

/// One entry per Redis string ("<namespace>:entry:<key hex>"): the record and every blob,
/// length-prefixed, HMAC-signed when a secret is set. Every failure is a logged miss (one
/// warning per kind of problem per process, then debug lines) and makes the tier skip Redis
/// for `backoff`, so a dead server costs at most one timeout per backoff. lock() elects one
/// compiler per key across machines. Thread-safe: calls share one connection, in turn.
class RedisTier final : public Tier {
 public:
  explicit RedisTier(RedisConfig config);
  ~RedisTier() override;
  std::optional<Entry> get(const Key& key, const BlobSelection& blobs) override;
  /// SET with the TTL; an entry whose value is above max_value_bytes is not sent.
  void put(const Key& key, const Entry& entry) override;
  void remove(const Key& key) override;
  /// SET <namespace>:lock:<key> NX PX; others poll until the entry appears, the lock is free
  /// (then they take it) or lock_wait passes (then the lock holds nothing: compile locally).
  std::unique_ptr<KeyLock> lock(const Key& key) override;
  std::string describe() const override { return config_.describe(); }

  const RedisConfig& config() const { return config_; }
  /// PING's round trip; nullopt when Redis does not answer (the reason in `problem`).
  std::optional<std::chrono::microseconds> ping(std::string* problem = nullptr);
  /// Calls `visit` with each key this namespace holds and its value's size (SCAN, not KEYS);
  /// false when Redis could not be asked.
  bool list(const std::function<void(const Key&, std::uint64_t)>& visit);
  /// The fleet's counters: hits, misses, errors, puts, bytes_read, bytes_written; nullopt when
  /// Redis could not be asked.
  std::optional<RemoteStats> stats();

 private:
  struct Link;
  std::string entry_key(const Key& key) const;
  std::string lock_key(const Key& key) const;
  void count_error();

  RedisConfig config_;
  std::shared_ptr<Link> link_;  // shared with held locks, which may outlive the tier
};

struct StoreConfig;

/// The remote tier `store.remote` names (none when empty), signing with `store.secret`; a URL
/// that cannot be parsed is warned about (naming it) and gives none: the cache stays local.
std::shared_ptr<Tier> open_remote_tier(const StoreConfig& store);

}  // namespace jitcu::cache
