// The Redis tier against a real redis-server (redis_server.hpp starts one per test on a unix
// socket in a temp folder): the value codec, HMAC trust, locks across "nodes", and every fault
// the tier must survive with a miss, one warning and no hang.
#include "redis_server.hpp"
#include "redis_value.hpp"
#include "test_support.hpp"

#include <jitcu/base/log.hpp>
#include <jitcu/cache/memory_tier.hpp>
#include <jitcu/cache/redis_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>
#include <spdlog/sinks/base_sink.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <thread>

namespace {

using namespace jitcu::cache;
using jitcu::test::RedisServer;
using jitcu::test::TempDir;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// The "jitcu" logger's warnings while alive.
class WarningLog {
 public:
  WarningLog() : sink_(std::make_shared<Sink>()) { jitcu::log().sinks().push_back(sink_); }
  ~WarningLog() {
    auto& sinks = jitcu::log().sinks();
    sinks.erase(std::find(sinks.begin(), sinks.end(), sink_));
  }
  WarningLog(const WarningLog&) = delete;
  WarningLog& operator=(const WarningLog&) = delete;
  std::vector<std::string> lines() const {
    const std::lock_guard guard(sink_->lines_mutex);
    return sink_->lines;
  }
  /// How many warnings contain `text`.
  std::size_t count(const std::string& text) const {
    std::size_t n = 0;
    for (const auto& line : lines()) n += line.find(text) != std::string::npos;
    return n;
  }

 private:
  struct Sink final : spdlog::sinks::base_sink<std::mutex> {
    std::mutex lines_mutex;
    std::vector<std::string> lines;
    void sink_it_(const spdlog::details::log_msg& message) override {
      if (message.level < spdlog::level::warn) return;
      const std::lock_guard guard(lines_mutex);
      lines.emplace_back(message.payload.data(), message.payload.size());
    }
    void flush_() override {}
  };
  std::shared_ptr<Sink> sink_;
};

Key key_named(const std::string& name) {
  KeyRecord record;
  record.add("test", name);
  return record.key();
}

/// An entry like a compile's: a record with one kernel, a cubin and a PTX.
Entry sample_entry(const Key& key, std::size_t cubin_bytes = 300) {
  EntryRecord record;
  record.key = key;
  record.created_unix_ns = 1'700'000'000'000'000'000;
  record.source_name = "vector_ops.cu";
  record.arch = "sm_90";
  record.image = "sm_90.cubin";
  record.compile_ms = 31.5;
  record.key_fields = {{"test", key.short_hex()}};
  record.name_expressions = {{"scale<float>", "_Z5scaleIfEvPT_S0_i"}};
  record.kernels = {KernelRecord{"_Z5scaleIfEvPT_S0_i", "scale<float>", {{8, 2, "u64"}, {4, 1, "f32"}}, {}}};
  std::string cubin(cubin_bytes, '\0');
  std::mt19937 rng(7);
  for (char& c : cubin) c = static_cast<char>(rng());
  return make_entry(std::move(record), {{"sm_90.cubin", cubin}, {"program.ptx", ".version 8.0\n.entry scale()\n"}});
}

RedisConfig config_for(const RedisServer& server, const std::string& query = "") {
  return RedisConfig::from_url(server.url(query));
}

// Short timeouts and backoff, so the fault tests run in seconds.
const std::string k_quick = "?timeout_ms=300&backoff_ms=300&lock_expiry_ms=600&lock_wait_ms=3000";

}  // namespace

TEST_SUITE("redis") {

TEST_CASE("remote cache URLs are parsed, and a malformed one is an error naming it") {
  const auto tcp = RedisConfig::from_url("redis://alice:s%40cret@cache.local:7000/3");
  CHECK(tcp.host == "cache.local");
  CHECK(tcp.port == 7000);
  CHECK(tcp.db == 3);
  CHECK(tcp.user == "alice");
  CHECK(tcp.password == "s@cret");
  CHECK(tcp.describe() == "redis cache.local:7000/3");
  CHECK(tcp.describe().find("cret") == std::string::npos);

  const auto plain = RedisConfig::from_url("redis://10.0.0.5");
  CHECK(plain.port == 6379);
  CHECK(plain.db == 0);
  CHECK(plain.connect_timeout == std::chrono::milliseconds(100));
  CHECK(plain.operation_timeout == std::chrono::milliseconds(500));
  CHECK(plain.ttl == std::chrono::hours(24 * 30));
  CHECK(plain.name_space == "jitcu");

  CHECK(RedisConfig::from_url("redis://:pw@[::1]:6380").host == "::1");
  CHECK(RedisConfig::from_url("unix:///run/redis.sock").socket_path == "/run/redis.sock");
  const auto ccache_style = RedisConfig::from_url("redis+unix:///tmp/r.sock?namespace=ci&timeout_ms=50&ttl_s=60");
  CHECK(ccache_style.socket_path == "/tmp/r.sock");
  CHECK(ccache_style.name_space == "ci");
  CHECK(ccache_style.operation_timeout == std::chrono::milliseconds(50));
  CHECK(ccache_style.ttl == std::chrono::seconds(60));
  CHECK(RedisConfig::from_url("unix:///x.sock?max_value=1M").max_value_bytes == (1u << 20));

  for (const std::string bad : {"redis:/host", "http://host", "redis://", "redis://host:99999", "redis://host:x",
                                "redis://host/db", "unix://relative.sock", "redis://host?timeout_ms=soon",
                                "redis://host?colour=blue", "redis://host?timeout_ms"}) {
    INFO(bad);
    const std::string quoted = "'" + bad + "'";
    CHECK_THROWS_WITH_AS(RedisConfig::from_url(bad), doctest::Contains(quoted.c_str()), std::invalid_argument);
  }
}

TEST_CASE("JITCU_REMOTE_NAMESPACE and JITCU_CACHE_SECRET come from the environment; the URL's namespace wins") {
  const jitcu::test::ScopedEnv space("JITCU_REMOTE_NAMESPACE", "nightly");
  const jitcu::test::ScopedEnv secret("JITCU_CACHE_SECRET", "s3");
  const auto config = RedisConfig::from_env("unix:///r.sock");
  CHECK(config.name_space == "nightly");
  CHECK(config.secret == "s3");
  CHECK(RedisConfig::from_env("unix:///r.sock?namespace=pr").name_space == "pr");
  CHECK(RedisConfig::from_url("unix:///r.sock").secret.empty());
}

TEST_CASE("a malformed JITCU_REMOTE_CACHE is warned about once and the cache stays local") {
  WarningLog warnings;
  CHECK(open_remote_tier(StoreConfig{}) == nullptr);
  StoreConfig config;
  config.remote = "redis//oops";
  CHECK(open_remote_tier(config) == nullptr);
  CHECK(warnings.count("'redis//oops'") == 1);
}

TEST_CASE("the value codec round-trips, and every flipped byte or cut is refused") {
  const Key key = key_named("codec");
  const Entry entry = sample_entry(key, 64);
  for (const std::string secret : {"", "fleet secret"}) {
    INFO("secret='" << secret << "'");
    const std::string value = jitcu::cache::detail::encode_value(entry, secret);
    const auto decoded = jitcu::cache::detail::decode_value(value, key, secret);
    REQUIRE(decoded.entry);
    CHECK(decoded.entry->record == entry.record);
    CHECK(decoded.entry->blobs == entry.blobs);
    CHECK_FALSE(jitcu::cache::detail::decode_value(value, key_named("other"), secret).entry);

    for (std::size_t i = 0; i < value.size(); ++i) {
      for (const int flip : {0x01, 0x80}) {
        std::string damaged = value;
        damaged[i] = static_cast<char>(damaged[i] ^ flip);
        const auto result = jitcu::cache::detail::decode_value(damaged, key, secret);
        // Without a secret a signed value's trailer is not read; every other byte counts.
        if (result.entry) {
          INFO("byte " << i << " of " << value.size() << " flipped with " << flip << " was accepted");
          CHECK(result.entry->blobs == entry.blobs);
          CHECK(result.entry->record == entry.record);
          CHECK(false);
        }
      }
    }
    for (std::size_t size = 0; size < value.size(); ++size) {
      INFO("cut to " << size);
      CHECK_FALSE(jitcu::cache::detail::decode_value(value.substr(0, size), key, secret).entry);
    }
    CHECK_FALSE(jitcu::cache::detail::decode_value(value + "x", key, secret).entry);
  }
}

TEST_CASE("HMAC: a value signed with another secret, or not signed, is refused") {
  const Key key = key_named("hmac");
  const Entry entry = sample_entry(key);
  const std::string signed_a = jitcu::cache::detail::encode_value(entry, "secret A");
  const std::string plain = jitcu::cache::detail::encode_value(entry, "");
  CHECK(jitcu::cache::detail::decode_value(signed_a, key, "secret A").entry);
  CHECK(jitcu::cache::detail::decode_value(signed_a, key, "secret B").problem.find("HMAC") != std::string::npos);
  CHECK(jitcu::cache::detail::decode_value(plain, key, "secret A").problem.find("not signed") != std::string::npos);
}

TEST_CASE("a put is found by another node; the TTL is set, refreshed on a hit, and counted") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  const Key key = key_named("roundtrip");
  const Entry entry = sample_entry(key);
  RedisTier writer(config_for(server, "?ttl_s=1000"));
  RedisTier reader(config_for(server, "?ttl_s=5000"));
  CHECK_FALSE(reader.get(key, BlobSelection::all()));
  writer.put(key, entry);
  const std::string name = "jitcu:entry:" + key.hex();
  CHECK(server.command({"TTL", name})->integer <= 1000);
  const auto found = reader.get(key, BlobSelection::all());
  REQUIRE(found);
  CHECK(found->record == entry.record);
  CHECK(found->blobs == entry.blobs);
  CHECK(server.command({"TTL", name})->integer > 1000);  // the hit refreshed it to the reader's TTL
  const auto only_cubin = reader.get(key, BlobSelection::only("sm_90.cubin"));
  REQUIRE(only_cubin);
  CHECK(only_cubin->blobs.size() == 1);

  const auto stats = reader.stats();
  REQUIRE(stats);
  CHECK(stats->at("hits") == 2);
  CHECK(stats->at("misses") == 1);
  CHECK(stats->at("puts") == 1);
  CHECK(stats->at("bytes_read") > 600);
  std::vector<Key> listed;
  CHECK(reader.list([&](const Key& k, std::uint64_t size) {
    listed.push_back(k);
    CHECK(size > 300);
  }));
  CHECK(listed == std::vector<Key>{key});
  CHECK(reader.ping());

  reader.remove(key);
  CHECK_FALSE(writer.get(key, BlobSelection::all()));
}

TEST_CASE("namespaces keep fleets apart") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  const Key key = key_named("namespaced");
  RedisTier(config_for(server, "?namespace=teamA")).put(key, sample_entry(key));
  CHECK_FALSE(RedisTier(config_for(server, "?namespace=teamB")).get(key, BlobSelection::all()));
  CHECK(RedisTier(config_for(server, "?namespace=teamA")).get(key, BlobSelection::all()));
}

TEST_CASE("HMAC through Redis: a wrong or missing secret is a miss, never a load") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  WarningLog warnings;
  const Key signed_key = key_named("signed");
  const Key plain_key = key_named("plain");
  auto with_secret = [&](const std::string& secret) {
    auto config = config_for(server);
    config.secret = secret;
    return std::make_unique<RedisTier>(config);
  };
  with_secret("right")->put(signed_key, sample_entry(signed_key));
  with_secret("")->put(plain_key, sample_entry(plain_key));

  CHECK(with_secret("right")->get(signed_key, BlobSelection::all()));
  CHECK_FALSE(with_secret("wrong")->get(signed_key, BlobSelection::all()));
  CHECK_FALSE(with_secret("right")->get(plain_key, BlobSelection::all()));  // written without the secret
  CHECK(warnings.count("refused") == 1);                                     // once per process
  const auto stats = with_secret("")->stats();
  REQUIRE(stats);
  CHECK(stats->at("errors") == 2);
}

TEST_CASE("a value altered inside Redis, or not a jitcu value at all, is a miss") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  const Key key = key_named("altered");
  auto config = config_for(server);
  config.secret = "s";
  RedisTier tier(config);
  tier.put(key, sample_entry(key));
  const std::string name = "jitcu:entry:" + key.hex();
  std::string value = server.get(name);
  REQUIRE(value.size() > 200);
  value[value.size() / 2] ^= 0x20;
  server.command({"SET", name, value});
  CHECK_FALSE(tier.get(key, BlobSelection::all()));

  config.secret.clear();  // without a secret, the checksums still catch it
  RedisTier unsigned_tier(config);
  CHECK_FALSE(unsigned_tier.get(key, BlobSelection::all()));
  server.command({"SET", name, "garbage"});
  CHECK_FALSE(unsigned_tier.get(key, BlobSelection::all()));
  server.command({"HSET", name, "a", "b"});  // a wrong type: an error reply, logged
  CHECK_FALSE(unsigned_tier.get(key, BlobSelection::all()));
}

TEST_CASE("one compiler per key: the second node waits for the first's entry") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  WarningLog warnings;
  const Key key = key_named("elected");
  RedisTier first(config_for(server, k_quick));
  RedisTier second(config_for(server, k_quick));
  auto held = first.lock(key);
  CHECK(server.command({"EXISTS", "jitcu:lock:" + key.hex()})->integer == 1);
  auto waiter = std::async(std::launch::async, [&] { return second.lock(key); });
  CHECK(waiter.wait_for(std::chrono::milliseconds(1500)) == std::future_status::timeout);  // outlasts lock_expiry: refreshed
  first.put(key, sample_entry(key));
  held.reset();
  auto second_lock = waiter.get();
  // It took the lock or saw the entry appear (then it holds none), never gave up after lock_wait.
  CHECK(warnings.count("compiling it here too") == 0);
  CHECK(second.get(key, BlobSelection::all()));  // what the engine does next: a hit, no compile
  second_lock.reset();
  CHECK(server.command({"EXISTS", "jitcu:lock:" + key.hex()})->integer == 0);
}

TEST_CASE("a lock whose holder failed is taken by the next; a dead holder's expires") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  const Key key = key_named("failed holder");
  RedisTier first(config_for(server, k_quick));
  RedisTier second(config_for(server, k_quick));
  auto held = first.lock(key);
  auto waiter = std::async(std::launch::async, [&] { return second.lock(key); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  held.reset();  // compile failed: released with no entry
  auto second_held = waiter.get();
  const std::string lock_name = "jitcu:lock:" + key.hex();
  CHECK(server.command({"EXISTS", lock_name})->integer == 1);  // the second node holds it now

  // A holder that died (the lock's refresher gone with it): the lock expires, the next takes it.
  const Key dead_key = key_named("dead holder");
  server.command({"SET", "jitcu:lock:" + dead_key.hex(), "someone", "PX", "500"});
  const auto start = Clock::now();
  auto taken = second.lock(dead_key);
  CHECK(seconds_since(start) >= 0.3);
  // Taken once expired, not given up after lock_wait (which would leave no lock at all).
  CHECK(server.command({"EXISTS", "jitcu:lock:" + dead_key.hex()})->integer == 1);
  CHECK(server.get("jitcu:lock:" + dead_key.hex()) != "someone");
}

TEST_CASE("a lock never held free gives up after lock_wait: compile locally, no hang") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  WarningLog warnings;
  const Key key = key_named("stuck");
  server.command({"SET", "jitcu:lock:" + key.hex(), "forever"});  // no expiry: a misbehaving holder
  RedisTier tier(config_for(server, "?lock_wait_ms=400"));
  const auto start = Clock::now();
  auto lock = tier.lock(key);
  CHECK(seconds_since(start) >= 0.35);
  CHECK(seconds_since(start) < 30.0);  // far below the default lock_wait of 60 s: a guard, not a bound
  CHECK(server.get("jitcu:lock:" + key.hex()) == "forever");
  CHECK(warnings.count("compiling it here too") == 1);
}

TEST_CASE("Redis down at start: a quick miss, one warning, then skipped for the backoff") {
  TempDir dir("jitcu-redis");
  WarningLog warnings;
  RedisTier tier(RedisConfig::from_url("unix://" + (dir / "nobody.sock").string() + "?backoff_ms=60000"));
  const Key key = key_named("down");
  const auto start = Clock::now();
  CHECK_FALSE(tier.get(key, BlobSelection::all()));
  tier.put(key, sample_entry(key));
  auto lock = tier.lock(key);  // holds nothing
  for (int i = 0; i < 100; ++i) CHECK_FALSE(tier.get(key, BlobSelection::all()));
  CHECK(seconds_since(start) < 30.0);  // a guard against hanging on a dead server, not a bound
  CHECK(warnings.count("remote cache") == 1);
  std::string problem;
  CHECK_FALSE(tier.ping(&problem));
  CHECK_FALSE(problem.empty());

  // Through the store: the local tier works as if there were no remote one.
  TieredStore store({std::make_shared<MemoryTier>(1 << 20), std::make_shared<RedisTier>(tier.config())});
  store.put(key, sample_entry(key));
  const auto hit = store.get(key, BlobSelection::all());
  REQUIRE(hit);
  CHECK(hit->tier == 0);
  CHECK(warnings.count("remote cache") == 1);
}

TEST_CASE("Redis killed mid-run and restarted on the same socket: misses, then back after the backoff") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  WarningLog warnings;
  RedisTier tier(config_for(server, k_quick));
  const Key key = key_named("killed");
  tier.put(key, sample_entry(key));
  REQUIRE(tier.get(key, BlobSelection::all()));
  server.kill9();
  auto start = Clock::now();
  CHECK_FALSE(tier.get(key, BlobSelection::all()));  // the connection is gone
  tier.put(key, sample_entry(key));                   // skipped
  CHECK_FALSE(tier.lock(key) == nullptr);
  CHECK(seconds_since(start) < 1.0);
  server.start();  // empty: nothing was persisted
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // past the backoff
  CHECK_FALSE(tier.get(key, BlobSelection::all()));
  tier.put(key, sample_entry(key));
  CHECK(tier.get(key, BlobSelection::all()));
  CHECK(warnings.count("remote cache") == 1);
}

TEST_CASE("Redis blocked (DEBUG SLEEP) past the operation timeout: a miss within the timeout") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  WarningLog warnings;
  RedisTier tier(config_for(server, k_quick));
  const Key key = key_named("blocked");
  tier.put(key, sample_entry(key));
  auto sleeper = std::async(std::launch::async, [&] { server.command({"DEBUG", "SLEEP", "1.5"}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = Clock::now();
  CHECK_FALSE(tier.get(key, BlobSelection::all()));
  CHECK(seconds_since(start) < 1.2);  // timeout_ms=300, well before the 1.5 s sleep ends
  CHECK_FALSE(tier.get(key, BlobSelection::all()));
  CHECK(seconds_since(start) < 1.2);  // in the backoff: not even tried
  sleeper.get();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(tier.get(key, BlobSelection::all()));
  CHECK(warnings.count("no answer within 300 ms") == 1);
}

TEST_CASE("Redis full (maxmemory, noeviction): puts are dropped with one warning, gets still answer") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  WarningLog warnings;
  RedisTier tier(config_for(server, k_quick));
  const Key kept = key_named("before full");
  tier.put(kept, sample_entry(kept));
  server.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"});
  server.command({"CONFIG", "SET", "maxmemory", "1mb"});
  for (int i = 0; i < 3; ++i) {
    const Key key = key_named("full " + std::to_string(i));
    tier.put(key, sample_entry(key, 2 << 20));
    CHECK_FALSE(tier.get(key, BlobSelection::all()));
  }
  CHECK(tier.get(kept, BlobSelection::all()));
  CHECK(warnings.count("OOM") == 1);
  CHECK(warnings.lines().size() == 1);
}

TEST_CASE("a password: wrong or missing is a miss with one warning; right works") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path(), {"--requirepass", "hunter2"});
  WarningLog warnings;
  const Key key = key_named("password");
  const std::string socket = server.socket().string();
  RedisTier right(RedisConfig::from_url("unix://:hunter2@" + socket));
  right.put(key, sample_entry(key));
  CHECK(right.get(key, BlobSelection::all()));
  CHECK(warnings.lines().empty());

  RedisTier wrong(RedisConfig::from_url("unix://:wrong@" + socket + "?backoff_ms=60000"));
  RedisTier none(RedisConfig::from_url("unix://" + socket + "?backoff_ms=60000"));
  const auto start = Clock::now();
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(wrong.get(key, BlobSelection::all()));
    CHECK_FALSE(none.get(key, BlobSelection::all()));
  }
  CHECK(seconds_since(start) < 1.0);
  CHECK(warnings.count("WRONGPASS") == 1);
  CHECK(warnings.count("NOAUTH") == 1);
}

TEST_CASE("an entry above the size limit is not sent; one warning") {
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path());
  WarningLog warnings;
  RedisTier tier(config_for(server, "?max_value=1M"));
  const Key key = key_named("huge");
  tier.put(key, sample_entry(key, 2 << 20));
  tier.put(key, sample_entry(key, 3 << 20));
  CHECK_FALSE(tier.get(key, BlobSelection::all()));
  CHECK(server.command({"EXISTS", "jitcu:entry:" + key.hex()})->integer == 0);
  CHECK(warnings.count("above the limit") == 1);
  const Key small = key_named("small");
  tier.put(small, sample_entry(small));
  CHECK(tier.get(small, BlobSelection::all()));

  // A huge value put there by someone else is not even read.
  server.command({"SET", "jitcu:entry:" + key.hex(), std::string(3 << 20, 'x')});
  CHECK_FALSE(tier.get(key, BlobSelection::all()));
  CHECK(warnings.count("above the limit") == 1);  // one kind of problem: still one warning
  CHECK(tier.stats()->at("errors") == 1);
}

TEST_CASE("over TCP on a free localhost port, in another database") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  const std::string port = std::to_string(ntohs(address.sin_port));
  ::close(fd);
  TempDir dir("jitcu-redis");
  RedisServer server(dir.path(), {"--port", port, "--bind", "127.0.0.1"});
  RedisTier tier(RedisConfig::from_url("redis://127.0.0.1:" + port + "/2"));
  const Key key = key_named("tcp");
  tier.put(key, sample_entry(key));
  CHECK(tier.get(key, BlobSelection::all()));
  CHECK(tier.ping());
  CHECK(server.command({"DBSIZE"})->integer == 0);  // database 0 holds nothing: it went to 2
}

}  // TEST_SUITE
