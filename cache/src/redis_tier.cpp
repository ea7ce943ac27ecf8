#include <jitcu/base/log.hpp>
#include <jitcu/cache/redis_tier.hpp>
#include <jitcu/cache/signature.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include "redis_link.hpp"
#include "redis_value.hpp"

#include <openssl/rand.h>

#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace jitcu::cache {
namespace {

using detail::Command;
using detail::Reply;

// GETEX refreshes the TTL of a hit; a value above the size limit is not sent (-1); the
// counters are best effort (pcall: a full Redis still answers reads).
constexpr const char* k_get_script = R"(if redis.call('STRLEN', KEYS[1]) > tonumber(ARGV[2]) then
  redis.pcall('HINCRBY', KEYS[2], 'errors', 1)
  return -1
end
local v = redis.call('GETEX', KEYS[1], 'EX', ARGV[1])
if v then
  redis.pcall('HINCRBY', KEYS[2], 'hits', 1)
  redis.pcall('HINCRBY', KEYS[2], 'bytes_read', string.len(v))
else
  redis.pcall('HINCRBY', KEYS[2], 'misses', 1)
end
return v)";
// A lock is released or extended only by the holder whose token it still holds.
constexpr const char* k_release_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
constexpr const char* k_refresh_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

[[noreturn]] void bad_url(std::string_view url, std::string_view problem) {
  throw std::invalid_argument(fmt::format("remote cache URL '{}' is not understood: {} (expected "
                                          "redis://[[user]:password@]host[:port][/db], unix:///path/redis.sock or "
                                          "redis+unix:///path/redis.sock)",
                                          url, problem));
}

template <class Number>
Number number_in(std::string_view url, std::string_view what, std::string_view text, Number low, Number high) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high)
    bad_url(url, fmt::format("{} '{}' is not a number from {} to {}", what, text, low, high));
  return value;
}

std::string percent_decoded(std::string_view url, std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    unsigned value = 0;
    const char* digits = text.data() + i + 1;
    if (i + 2 >= text.size() || std::from_chars(digits, digits + 2, value, 16).ptr != digits + 2)
      bad_url(url, "a '%' not followed by two hex digits");
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

std::chrono::milliseconds millis(std::string_view url, std::string_view name, std::string_view text) {
  return std::chrono::milliseconds(number_in<std::int64_t>(url, name, text, 1, 365ll * 24 * 3600 * 1000));
}

void apply_query(RedisConfig& config, std::string_view url, std::string_view query) {
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) bad_url(url, fmt::format("'{}' is not name=value", pair));
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = pair.substr(eq + 1);
    if (name == "namespace") {
      if (value.empty()) bad_url(url, "an empty namespace");
      config.name_space = percent_decoded(url, value);
    } else if (name == "connect_timeout_ms") config.connect_timeout = millis(url, name, value);
    else if (name == "timeout_ms") config.operation_timeout = millis(url, name, value);
    else if (name == "ttl_s") config.ttl = std::chrono::seconds(number_in<std::int64_t>(url, name, value, 1, 1ll << 31));
    else if (name == "backoff_ms") config.backoff = millis(url, name, value);
    else if (name == "lock_expiry_ms") config.lock_expiry = millis(url, name, value);
    else if (name == "lock_wait_ms") config.lock_wait = millis(url, name, value);
    else if (name == "max_value") {
      const auto size = parse_size(value);
      if (!size) bad_url(url, fmt::format("max_value '{}' is not a size", value));
      config.max_value_bytes = *size;
    } else bad_url(url, fmt::format("unknown setting '{}'", name));
  }
}

/// "[[user]:password@]" off the front of `authority`.
void take_credentials(RedisConfig& config, std::string_view url, std::string_view& authority) {
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return;
  const std::string_view credentials = authority.substr(0, at);
  authority.remove_prefix(at + 1);
  const auto colon = credentials.find(':');
  if (colon == std::string_view::npos) {
    config.password = percent_decoded(url, credentials);  // redis://password@host, as redis-cli -u takes it
  } else {
    config.user = percent_decoded(url, credentials.substr(0, colon));
    config.password = percent_decoded(url, credentials.substr(colon + 1));
  }
}

void parse_tcp(RedisConfig& config, std::string_view url, std::string_view rest) {
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  take_credentials(config, url, authority);
  std::string_view port;
  if (authority.starts_with('[')) {  // [::1]:6379
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url(url, "an unclosed '[' in the host");
    config.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) bad_url(url, "text after the host");
    if (!after.empty()) port = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    config.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (config.host.empty()) bad_url(url, "no host");
  if (!port.empty()) config.port = number_in<int>(url, "the port", port, 1, 65535);
  if (slash != std::string_view::npos && slash + 1 < rest.size())
    config.db = number_in<int>(url, "the database number", rest.substr(slash + 1), 0, 1 << 20);
}

void parse_unix(RedisConfig& config, std::string_view url, std::string_view rest) {
  take_credentials(config, url, rest);
  if (!rest.starts_with('/')) bad_url(url, "a unix socket needs an absolute path (unix:///path/redis.sock)");
  config.socket_path = std::string(rest);
}

std::string random_token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    std::random_device device;
    for (auto& byte : bytes) byte = static_cast<unsigned char>(device());
  }
  std::string hex;
  for (unsigned char byte : bytes) hex += fmt::format("{:02x}", byte);
  return hex;
}

bool is_ok(const Reply& reply) {
  return reply->type == REDIS_REPLY_STATUS && std::string_view(reply->str, reply->len) == "OK";
}

std::string_view text_of(const Reply& reply) { return {reply->str, reply->len}; }

}  // namespace

RedisConfig RedisConfig::from_url(std::string_view url) {
  RedisConfig config;
  config.url = std::string(url);
  std::string_view rest = url;
  const auto question = rest.find('?');
  const std::string_view query = question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  rest = rest.substr(0, question);
  if (rest.starts_with("redis://")) parse_tcp(config, url, rest.substr(8));
  else if (rest.starts_with("unix://")) parse_unix(config, url, rest.substr(7));
  else if (rest.starts_with("redis+unix://")) parse_unix(config, url, rest.substr(13));
  else bad_url(url, "unknown scheme");
  apply_query(config, url, query);
  return config;
}

RedisConfig RedisConfig::from_env(std::string_view url) {
  RedisConfig config = from_url(url);
  const char* space = std::getenv("JITCU_REMOTE_NAMESPACE");
  if (space && *space && url.find("namespace=") == std::string_view::npos) config.name_space = space;
  if (std::optional<std::string> secret = secret_from_env()) config.secret = *secret;
  return config;
}

std::string RedisConfig::describe() const {
  if (!socket_path.empty()) return fmt::format("redis unix:{}", socket_path);
  const bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("redis {}{}{}:{}/{}", ipv6 ? "[" : "", host, ipv6 ? "]" : "", port, db);
}

struct RedisTier::Link {
  explicit Link(RedisConfig config) : redis(std::move(config)) {}
  detail::RedisLink redis;
};

namespace {

/// A lock that holds nothing: Redis is unreachable, the entry appeared, or the wait ran out.
class NoKeyLock final : public KeyLock {};

/// A Redis lock this process holds, kept from expiring by a thread until released.
class RedisKeyLock final : public KeyLock {
 public:
  RedisKeyLock(std::shared_ptr<detail::RedisLink> link, std::string lock_key, std::string token)
      : link_(std::move(link)), lock_key_(std::move(lock_key)), token_(std::move(token)) {
    refresher_ = std::thread([this] { refresh_until_released(); });
  }
  RedisKeyLock(const RedisKeyLock&) = delete;
  RedisKeyLock& operator=(const RedisKeyLock&) = delete;
  ~RedisKeyLock() override {
    {
      const std::lock_guard guard(mutex_);
      released_ = true;
    }
    wake_.notify_all();
    refresher_.join();
    link_->run(Command{"EVAL", k_release_script, "1", lock_key_, token_});
  }

 private:
  void refresh_until_released() {
    const auto expiry = link_->config().lock_expiry;
    const std::string expiry_ms = std::to_string(expiry.count());
    std::unique_lock guard(mutex_);
    while (!wake_.wait_for(guard, expiry / 3, [&] { return released_; })) {
      guard.unlock();
      link_->run(Command{"EVAL", k_refresh_script, "1", lock_key_, token_, expiry_ms});
      guard.lock();
    }
  }

  std::shared_ptr<detail::RedisLink> link_;
  std::string lock_key_;
  std::string token_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool released_ = false;
  std::thread refresher_;
};

}  // namespace

RedisTier::RedisTier(RedisConfig config)
    : config_(std::move(config)), link_(std::make_shared<Link>(config_)) {}

RedisTier::~RedisTier() = default;

std::string RedisTier::entry_key(const Key& key) const { return fmt::format("{}:entry:{}", config_.name_space, key.hex()); }
std::string RedisTier::lock_key(const Key& key) const { return fmt::format("{}:lock:{}", config_.name_space, key.hex()); }

void RedisTier::count_error() {
  link_->redis.run(Command{"HINCRBY", config_.name_space + ":stats", "errors", "1"});
}

std::optional<Entry> RedisTier::get(const Key& key, const BlobSelection& blobs) {
  const std::string ttl = std::to_string(config_.ttl.count());
  const std::string limit = std::to_string(config_.max_value_bytes);
  const auto reply =
      link_->redis.run(Command{"EVAL", k_get_script, "2", entry_key(key), config_.name_space + ":stats", ttl, limit});
  if (!reply || (*reply)->type == REDIS_REPLY_NIL) return std::nullopt;
  if ((*reply)->type == REDIS_REPLY_INTEGER) {
    link_->redis.report("too large", fmt::format("entry {} in Redis is above the limit of {} bytes: not read; a miss",
                                                 key.short_hex(), config_.max_value_bytes));
    return std::nullopt;
  }
  if ((*reply)->type != REDIS_REPLY_STRING) {
    link_->redis.report("rejected", fmt::format("entry {}: an unexpected reply; a miss", key.short_hex()));
    return std::nullopt;
  }
  detail::DecodedValue decoded = detail::decode_value(text_of(*reply), key, config_.secret);
  if (!decoded.entry) {
    link_->redis.report("rejected", fmt::format("entry {} is refused ({}); a miss, never loaded", key.short_hex(),
                                                decoded.problem));
    count_error();
    return std::nullopt;
  }
  Entry found{std::move(decoded.entry->record), {}};
  for (auto& [name, bytes] : decoded.entry->blobs)
    if (blobs.wants(name)) found.blobs.emplace(name, std::move(bytes));
  return found;
}

void RedisTier::put(const Key& key, const Entry& entry) {
  const std::string value = detail::encode_value(entry, config_.secret);
  if (value.size() > config_.max_value_bytes) {
    link_->redis.report("too large", fmt::format("entry {} is {} bytes, above the limit of {}: not sent",
                                                 key.short_hex(), value.size(), config_.max_value_bytes));
    return;
  }
  const std::string stats = config_.name_space + ":stats";
  const std::string ttl = std::to_string(config_.ttl.count());
  const std::string size = std::to_string(value.size());
  link_->redis.run(std::vector<Command>{{"SET", entry_key(key), value, "EX", ttl},
                                        {"HINCRBY", stats, "puts", "1"},
                                        {"HINCRBY", stats, "bytes_written", size}});
}

void RedisTier::remove(const Key& key) { link_->redis.run(Command{"DEL", entry_key(key)}); }

std::unique_ptr<KeyLock> RedisTier::lock(const Key& key) {
  const std::string lock_name = lock_key(key);
  const std::string entry_name = entry_key(key);
  const std::string token = random_token();
  const std::string expiry_ms = std::to_string(config_.lock_expiry.count());
  const auto deadline = std::chrono::steady_clock::now() + config_.lock_wait;
  for (;;) {
    const auto replies = link_->redis.run(
        std::vector<Command>{{"SET", lock_name, token, "NX", "PX", expiry_ms}, {"EXISTS", entry_name}});
    if (!replies) return std::make_unique<NoKeyLock>();
    if (is_ok((*replies)[0]))
      return std::make_unique<RedisKeyLock>(std::shared_ptr<detail::RedisLink>(link_, &link_->redis), lock_name, token);
    if ((*replies)[1]->integer == 1) return std::make_unique<NoKeyLock>();  // made meanwhile: the next get finds it
    if (std::chrono::steady_clock::now() >= deadline) {
      link_->redis.report("lock wait", fmt::format("another node has been compiling {} for over {} ms; compiling "
                                                   "it here too",
                                                   key.short_hex(), config_.lock_wait.count()));
      return std::make_unique<NoKeyLock>();
    }
    std::this_thread::sleep_for(config_.lock_poll);
  }
}

std::optional<std::chrono::microseconds> RedisTier::ping(std::string* problem) {
  const auto start = std::chrono::steady_clock::now();
  const auto reply = link_->redis.run(Command{"PING"});
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  if (reply) return elapsed;
  if (problem) *problem = link_->redis.last_problem();
  return std::nullopt;
}

bool RedisTier::list(const std::function<void(const Key&, std::uint64_t)>& visit) {
  const std::string pattern = config_.name_space + ":entry:*";
  const std::size_t prefix = pattern.size() - 1;
  std::string cursor = "0";
  do {
    const auto reply = link_->redis.run(Command{"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!reply || (*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 2) return false;
    cursor = std::string((*reply)->element[0]->str, (*reply)->element[0]->len);
    const redisReply* names = (*reply)->element[1];
    std::vector<Command> sizes;
    std::vector<Key> keys;
    for (std::size_t i = 0; i < names->elements; ++i) {
      const std::string_view name(names->element[i]->str, names->element[i]->len);
      const auto key = Key::from_hex(name.substr(std::min(prefix, name.size())));
      if (!key) continue;
      keys.push_back(*key);
      sizes.push_back({"STRLEN", name});
    }
    if (sizes.empty()) continue;
    const auto answers = link_->redis.run(sizes);
    if (!answers) return false;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if ((*answers)[i]->integer > 0) visit(keys[i], static_cast<std::uint64_t>((*answers)[i]->integer));
  } while (cursor != "0");
  return true;
}

std::optional<RemoteStats> RedisTier::stats() {
  const auto reply = link_->redis.run(Command{"HGETALL", config_.name_space + ":stats"});
  if (!reply || (*reply)->type != REDIS_REPLY_ARRAY) return std::nullopt;
  RemoteStats counters{{"hits", 0}, {"misses", 0}, {"errors", 0}, {"puts", 0}, {"bytes_read", 0}, {"bytes_written", 0}};
  for (std::size_t i = 0; i + 1 < (*reply)->elements; i += 2) {
    const redisReply* value = (*reply)->element[i + 1];
    std::int64_t number = 0;
    std::from_chars(value->str, value->str + value->len, number);
    counters[std::string((*reply)->element[i]->str, (*reply)->element[i]->len)] = number;
  }
  return counters;
}

std::shared_ptr<Tier> open_remote_tier(const StoreConfig& store) {
  if (store.remote.empty()) return nullptr;
  try {
    RedisConfig config = RedisConfig::from_env(store.remote);
    if (store.secret) config.secret = *store.secret;
    return std::make_shared<RedisTier>(std::move(config));
  } catch (const std::invalid_argument& error) {
    jitcu::log().warn("JITCU_REMOTE_CACHE: {}; the cache stays local", error.what());
    return nullptr;
  }
}

}  // namespace jitcu::cache
