// Cache lookups with 100 entries and with 100,000 entries in the cache folder. The entries
// besides the real one (the seed kernel, compiled once with NVRTC) are synthetic: small fake
// blob put through jitcu::cache::DiskTier::put under keys made with KeyRecord, on 16 threads
// (for at most JITCU_BENCH_LOOKUP_FILL_S = 40 s: a slower disk gets fewer entries, reported).
// Measured in each folder (warm: the folder was just filled, so the kernel's dentry cache is hot):
//  - a new Engine on the folder + compile() of the seed kernel: a disk-cache hit (no GPU needed);
//  - DiskTier::get (record only) of the real key, of random synthetic keys and of a missing key.
// JITCU_BENCH_LOOKUP_ENTRIES overrides the 100,000.
#include "jitcu_side.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/key.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace fs = std::filesystem;
using bench::Clock;
using bench::Json;
using jitcu::cache::DiskTier;
using jitcu::cache::Key;

constexpr std::uint64_t k_cap_bytes = 64ull << 30;  // far above what is put: nothing is evicted

Key synthetic_key(std::size_t index) {
  jitcu::cache::KeyRecord record;
  record.add("bench", "synthetic lookup filler");
  record.add("index", std::to_string(index));
  return record.key();
}

constexpr std::size_t k_fill_threads = 16;

struct Filled {
  Key real;
  double fill_ms = 0;
  std::size_t entries = 0;                   // the real one and the synthetic ones published
  std::vector<std::size_t> filled_per_thread;  // thread t put indices t, t + 16, ... below this count
  bool stopped_early = false;

  std::size_t synthetic_index(std::size_t random) const {
    const std::size_t t = random % k_fill_threads;
    const std::size_t count = filled_per_thread[t];
    return t + k_fill_threads * ((random / k_fill_threads) % std::max<std::size_t>(count, 1));
  }
};

// Puts the real entry (one NVRTC compile) and `synthetic` fake ones; stops at `deadline` so a
// slow disk gives fewer entries (reported) rather than a run that never ends.
Filled fill(const fs::path& dir, std::size_t synthetic, Clock::time_point deadline) {
  Filled filled;
  {
    jitcu::EngineOptions options;
    options.cache_dir = dir;
    options.cache_max_bytes = k_cap_bytes;
    jitcu::Engine engine(options);
    const jitcu::Module module = engine.compile(jitcu::Source::file(bench::seed_kernel()));
    bench::require(module.origin() == jitcu::Origin::compiled, "the real entry was not compiled into an empty cache");
    const auto key = Key::from_hex(module.cache_key());
    bench::require(key.has_value(), "the module's cache key is not 64 hex digits");
    filled.real = *key;
  }
  DiskTier store(dir, k_cap_bytes);
  filled.filled_per_thread.assign(k_fill_threads, 0);
  std::atomic<bool> late{false};
  std::vector<std::exception_ptr> errors(k_fill_threads);
  const auto start = Clock::now();
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < k_fill_threads; ++t) {
      pool.emplace_back([&, t] {
        try {
          for (std::size_t i = t; i < synthetic; i += k_fill_threads) {
            if (Clock::now() > deadline) {
              late = true;
              return;
            }
            jitcu::cache::EntryRecord record;
            record.key = synthetic_key(i);
            record.source_name = "synthetic " + std::to_string(i);
            record.image = "sm_90.cubin";
            store.put(record.key, jitcu::cache::make_entry(std::move(record), {{"sm_90.cubin", std::string(256, 'c')}}));
            ++filled.filled_per_thread[t];
          }
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
  }
  filled.fill_ms = bench::ms_since(start);
  for (auto& error : errors)
    if (error) std::rethrow_exception(error);
  filled.stopped_early = late;
  filled.entries = 1;
  for (std::size_t count : filled.filled_per_thread) filled.entries += count;
  return filled;
}

// Removes the entry shards on 16 threads (a slow disk deletes 100,000 folders slowly).
double remove_entries(const fs::path& dir) {
  std::vector<fs::path> shards;
  for (const auto& shard : fs::directory_iterator(dir / "entries")) shards.push_back(shard.path());
  const auto start = Clock::now();
  std::vector<std::jthread> pool;
  for (std::size_t t = 0; t < k_fill_threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::size_t i = t; i < shards.size(); i += k_fill_threads) {
        std::error_code ignored;
        fs::remove_all(shards[i], ignored);
      }
    });
  }
  pool.clear();
  return bench::ms_since(start);
}

// Per-operation microseconds of op(i): `reps` batches of `batch` calls, appended to `samples`.
template <class Op>
void per_op_us(std::vector<double>& samples, Op op, int reps, int batch) {
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < batch; ++i) op(r * batch + i);
    samples.push_back(bench::ms_since(start) * 1000.0 / batch);
  }
}

// Writes back what the fill left dirty, so the lookups do not compete with writeback.
double flush(const fs::path& dir) {
  const auto start = Clock::now();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  bench::require(fd >= 0, "cannot open '" + dir.string() + "'");
  ::syncfs(fd);
  ::close(fd);
  return bench::ms_since(start);
}

const char* const k_measures[] = {"engine_hit_ms", "engine_open_ms", "find_real_us", "find_synthetic_us", "find_missing_us"};

/// One cache folder under test and the samples taken in it.
struct Folder {
  bench::TempDir dir;
  Filled filled;
  std::map<std::string, std::vector<double>> samples;
  std::vector<Key> random_keys;
};

// One Engine + compile() hit in `folder`, timed.
void engine_hit(Folder& folder, const jitcu::Source& source) {
  jitcu::EngineOptions options;
  options.cache_dir = folder.dir.path();
  options.cache_max_bytes = k_cap_bytes;
  const auto start = Clock::now();
  jitcu::Engine engine(options);
  folder.samples["engine_open_ms"].push_back(bench::ms_since(start));
  const jitcu::Module module = engine.compile(source);
  folder.samples["engine_hit_ms"].push_back(bench::ms_since(start));
  bench::require(module.origin() == jitcu::Origin::disk_cache,
                 std::string("a lookup was not a disk hit but ") + bench::origin_name(module.origin()));
}

// One batch of each find measure in `folder`, through `store` (opened on it).
void find_batches(Folder& folder, DiskTier& store) {
  per_op_us(folder.samples["find_real_us"],
            [&](int) { bench::require(store.get(folder.filled.real, jitcu::cache::BlobSelection::none()).has_value(), "the real entry vanished"); }, 1, 100);
  const std::size_t offset = folder.samples["find_synthetic_us"].size() * 100;
  per_op_us(folder.samples["find_synthetic_us"], [&](int i) {
    const auto at = (offset + static_cast<std::size_t>(i)) % folder.random_keys.size();
    bench::require(store.get(folder.random_keys[at], jitcu::cache::BlobSelection::none()).has_value(), "a synthetic entry vanished");
  }, 1, 100);
  const Key missing = synthetic_key(std::size_t{1} << 40);
  per_op_us(folder.samples["find_missing_us"],
            [&](int) { bench::require(!store.get(missing, jitcu::cache::BlobSelection::none()), "a missing key was found"); }, 1, 100);
}

// One round of every measurement in both folders, sample by sample, the folder that goes first
// alternating: a host's drift within a round (writeback, other work) then touches both alike.
// Whole rounds a folder (before) gave 0.80-1.26x for the same two folders from run to run.
void measure_round(Folder& small, Folder& large, const jitcu::Source& source) {
  for (int r = 0; r < 20; ++r) {
    engine_hit(r % 2 ? large : small, source);
    engine_hit(r % 2 ? small : large, source);
  }
  DiskTier small_store(small.dir.path(), k_cap_bytes), large_store(large.dir.path(), k_cap_bytes);
  for (int b = 0; b < 8; ++b) {
    if (b % 2) find_batches(large, large_store);
    find_batches(small, small_store);
    if (b % 2 == 0) find_batches(large, large_store);
  }
}

int run(int, char**) {
  bench::Report report("bench_lookup");
  const auto wanted = static_cast<std::size_t>(bench::env_int("JITCU_BENCH_LOOKUP_ENTRIES", 100000));
  const auto fill_budget = std::chrono::seconds(bench::env_int("JITCU_BENCH_LOOKUP_FILL_S", 40));
  Folder small{bench::TempDir("lookup-100"), {}, {}, {}};
  small.filled = fill(small.dir.path(), 99, Clock::now() + std::chrono::hours(1));
  bench::require(small.filled.entries == 100, "the 100-entry cache was not filled");
  Folder large{bench::TempDir("lookup-large"), {}, {}, {}};
  large.filled = fill(large.dir.path(), wanted - 1, Clock::now() + fill_budget);
  if (large.filled.stopped_early)
    report.note("the disk was too slow to put " + std::to_string(wanted) + " entries in " +
                std::to_string(fill_budget.count()) + " s (JITCU_BENCH_LOOKUP_FILL_S): measured with " +
                std::to_string(large.filled.entries) + " entries");
  report.info("flush_ms", flush(small.dir.path()) + flush(large.dir.path()));
  std::mt19937 rng(12345);
  for (Folder* folder : {&small, &large})
    for (int i = 0; i < 2000; ++i) folder->random_keys.push_back(synthetic_key(folder->filled.synthetic_index(rng())));

  // Alternating rounds, so drift (other work, writeback) touches both folders alike.
  const jitcu::Source source = jitcu::Source::file(bench::seed_kernel());
  for (int round = 0; round < 4; ++round) measure_round(small, large, source);
  for (const char* name : k_measures) {
    const std::string unit = std::string(name).ends_with("_ms") ? "ms" : "us";
    report.result(std::string("small_") + name, bench::stats(small.samples[name], unit));
    report.result(std::string("large_") + name, bench::stats(large.samples[name], unit));
    report.result(std::string("ratio_") + name, bench::median(large.samples[name]) / bench::median(small.samples[name]));
  }
  report.info("small_entries", small.filled.entries);
  report.info("large_entries", large.filled.entries);
  report.info("large_entries_wanted", wanted);
  report.info("small_fill_ms", small.filled.fill_ms);
  report.info("large_fill_ms", large.filled.fill_ms);
  report.info("large_cleanup_ms", remove_entries(large.dir.path()));
  report.note("warm lookups: each folder was just filled (then flushed with syncfs), so its directories are in the "
              "kernel's caches; rounds alternate between the two folders");
  return report.print();
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main("bench_lookup", run, argc, argv); }
