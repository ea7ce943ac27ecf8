// Precompiled headers that outlast a worker (<cache>/pch): made by one worker process, used by
// the next, keyed by user headers' contents, replaced when damaged, kept under a size cap.
// What a worker did with its PCH is read from the engine's debug log, not from timings.
#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/tiered_store.hpp>

#include <doctest/doctest.h>
#include <jitcu/base/log.hpp>
#include <jitcu/jitcu.hpp>

#include "test_support.hpp"

#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace jitcu;
namespace fs = std::filesystem;

namespace {

/// The "jitcu" logger's messages at debug level while alive; the logger's other sinks print
/// no more than they did before.
class LogCapture {
 public:
  LogCapture() : old_level_(jitcu::log().level()) {
    for (const auto& sink : jitcu::log().sinks()) {
      sink_levels_.push_back(sink->level());
      sink->set_level(std::max(sink->level(), old_level_));
    }
    jitcu::log().sinks().push_back(sink_);
    jitcu::log().set_level(spdlog::level::debug);
  }
  ~LogCapture() {
    auto& sinks = jitcu::log().sinks();
    sinks.erase(std::find(sinks.begin(), sinks.end(), sink_));
    for (std::size_t i = 0; i < sinks.size() && i < sink_levels_.size(); ++i) sinks[i]->set_level(sink_levels_[i]);
    jitcu::log().set_level(old_level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /// The messages containing `text`, which are then forgotten.
  std::vector<std::string> take(const std::string& text) { return sink_->take(text); }

 private:
  class Sink final : public spdlog::sinks::base_sink<std::mutex> {
   public:
    std::vector<std::string> take(const std::string& text) {
      std::lock_guard lock(mutex_);
      std::vector<std::string> found;
      std::erase_if(lines_, [&](const std::string& line) {
        if (line.find(text) == std::string::npos) return false;
        found.push_back(line);
        return true;
      });
      return found;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override { lines_.emplace_back(msg.payload.data(), msg.payload.size()); }
    void flush_() override {}

   private:
    std::vector<std::string> lines_;
  };
  std::shared_ptr<Sink> sink_ = std::make_shared<Sink>();
  spdlog::level::level_enum old_level_;
  std::vector<spdlog::level::level_enum> sink_levels_;
};

std::vector<fs::path> pch_files(const test::TempDir& cache) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(cache.path() / "pch", ec))
    if (item.path().extension() == ".pch") files.push_back(item.path());
  std::sort(files.begin(), files.end());
  return files;
}

/// A new Engine, hence a new worker process, compiling one source through compile_async.
Module compile_in_new_worker(const test::TempDir& cache, const Source& source) {
  Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 1});
  return engine.compile_async(source, {.arch = "sm_90"}).get();
}

/// The one message about a PCH file in `lines`; the test fails when there is not exactly one.
std::string only(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += "\n  " + line;
  INFO("messages:" << all);
  REQUIRE(lines.size() == 1);
  return lines.front();
}

/// The PCH file a "used/made the precompiled header FILE" message names.
std::string named_file(const std::string& message) {
  const auto at = message.find("precompiled header ");
  return at == std::string::npos ? std::string() : message.substr(at + 19);
}

/// Pids of this process's children that run jitcu-worker.
std::vector<int> worker_children() {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator("/proc", ec)) {
    const int pid = std::atoi(item.path().filename().c_str());
    if (pid <= 0) continue;
    std::ifstream stat(item.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (line.find("(jitcu-worker)") == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    int parent = 0;
    rest >> state >> parent;
    if (parent == getpid()) pids.push_back(pid);
  }
  return pids;
}

}  // namespace

TEST_CASE("a PCH made by one worker process is used by a worker of another engine, for another kernel") {
  test::TempDir cache("jitcu-pch");
  const std::string salt = std::to_string(test::test_seed());
  LogCapture log;
  const auto first = Source::string("// first kernel " + salt + "\n#include <cuda/std/type_traits>\n\n"
                                    "extern \"C\" __global__ void first(int* x) { x[0] = cuda::std::is_same_v<int, int>; }\n",
                                    "first.cu");
  CHECK(compile_in_new_worker(cache, first).kernel_names() == std::vector<std::string>{"first"});
  const std::string made = named_file(only(log.take("made the precompiled header")));
  REQUIRE(pch_files(cache) == std::vector<fs::path>{made});

  // Other leading comment, other body, and longer than malloc's mmap threshold: where a big
  // request lands in the worker must not move NVRTC's PCH heap (it would reject the file).
  const std::string padding = "// " + std::string(300'000, 'x') + "\n";
  const std::string second_text = "/* second kernel */\n#include <cuda/std/type_traits>\n" + padding +
                                  "template <class T> __global__ void second(T* x) { x[0] = cuda::std::is_same_v<T, float> ? 2 : 3; }\n"
                                  "template __global__ void second<float>(float*);\n";
  const auto second = Source::string(second_text, "second.cu");
  Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 1});
  const Module with_pch = engine.compile_async(second, {.arch = "sm_90", .name_expressions = {"second<float>"}}).get();
  CHECK(named_file(only(log.take("used the precompiled header"))) == made);
  CHECK(log.take("rejected").empty());
  CHECK(with_pch.log().find("precompiled header") == std::string::npos);  // NVRTC's PCH messages are jitcu's business

  SUBCASE("the worker runs with address space randomization off") {
    const auto workers = worker_children();
    REQUIRE(workers.size() == 1);
    std::ifstream persona(fs::path("/proc") / std::to_string(workers.front()) / "personality");
    unsigned long flags = 0;
    persona >> std::hex >> flags;
    CHECK((flags & 0x0040000ul) != 0);  // ADDR_NO_RANDOMIZE
  }
  SUBCASE("what it compiled is what NVRTC makes without a PCH") {
    test::TempDir other("jitcu-pch-none");
    Engine plain(EngineOptions{.cache_dir = other.path(), .precompiled_headers = false, .worker_processes = 0});
    const Module without = plain.compile(second, {.arch = "sm_90", .name_expressions = {"second<float>"}});
    CHECK(without.ptx() == with_pch.ptx());
    CHECK(without.kernel_names() == with_pch.kernel_names());
  }
}

TEST_CASE("an edited user header in the prefix gets a new PCH, never the old one") {
  test::TempDir cache("jitcu-pch");
  test::TempDir sources("jitcu-pch-src");
  const std::string salt = std::to_string(test::test_seed());
  test::write_file(sources / "value.h", "#define VALUE 1234567\n");
  test::write_file(sources / "k.cu", "#include \"value.h\"\n// " + salt +
                                         "\nextern \"C\" __global__ void k(int* x) { x[0] = VALUE; }\n");
  LogCapture log;
  const Module before = compile_in_new_worker(cache, Source::file(sources / "k.cu"));
  CHECK(before.ptx().find("1234567") != std::string::npos);
  const std::string old_pch = named_file(only(log.take("made the precompiled header")));

  test::write_file(sources / "value.h", "#define VALUE 7654321\n");
  const Module after = compile_in_new_worker(cache, Source::file(sources / "k.cu"));
  CHECK(after.cache_key() != before.cache_key());
  CHECK(after.ptx().find("7654321") != std::string::npos);
  CHECK(after.ptx().find("1234567") == std::string::npos);
  const std::string new_pch = named_file(only(log.take("made the precompiled header")));
  CHECK(new_pch != old_pch);
  CHECK(log.take("used the precompiled header").empty());
}

TEST_CASE("an in-memory header's text names the worker PCH: another text never meets the old one") {
  test::TempDir cache("jitcu-pch");
  const std::string salt = std::to_string(test::test_seed());
  const auto source = [&](const std::string& body_note) {  // the same header prefix, another cache key
    return Source::string("#include \"value.cuh\"\n// " + salt + " " + body_note +
                              "\nextern \"C\" __global__ void k(int* x) { x[0] = VALUE; }\n",
                          "k.cu");
  };
  const auto with_value = [](const std::string& value) {
    return CompileOptions{.headers = {{"value.cuh", "#define VALUE " + value + "\n"}}, .arch = "sm_90"};
  };
  const auto compile_in_new_worker = [&](const Source& s, const CompileOptions& options) {
    Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 1});
    return engine.compile_async(s, options).get();
  };
  LogCapture log;
  const Module before = compile_in_new_worker(source("first"), with_value("1234567"));
  CHECK(before.ptx().find("1234567") != std::string::npos);
  const std::string old_pch = named_file(only(log.take("made the precompiled header")));

  const Module after = compile_in_new_worker(source("first"), with_value("7654321"));
  CHECK(after.cache_key() != before.cache_key());
  CHECK(after.ptx().find("7654321") != std::string::npos);
  CHECK(after.ptx().find("1234567") == std::string::npos);
  const std::string new_pch = named_file(only(log.take("made the precompiled header")));
  CHECK(new_pch != old_pch);
  CHECK(log.take("used the precompiled header").empty());

  // The first text again, in another source with the same #include lines: its PCH serves it.
  const Module again = compile_in_new_worker(source("second"), with_value("1234567"));
  CHECK(again.origin() == Origin::compiled);
  CHECK(named_file(only(log.take("used the precompiled header"))) == old_pch);
  CHECK(again.ptx().find("1234567") != std::string::npos);
  CHECK(again.ptx().find("7654321") == std::string::npos);
}

TEST_CASE("with workers off, a source with in-memory headers gets no automatic PCH") {
  // NVRTC's automatic PCH does not notice a changed header; alternating two texts in one
  // process must give each its own constant.
  test::TempDir cache("jitcu-pch");
  Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 0});
  const std::string salt = std::to_string(test::test_seed());
  int compile = 0;
  for (const char* value : {"1111111", "2222222", "1111111", "2222222"}) {
    CAPTURE(value);
    const Module module = engine.compile(  // the same #include lines, another body each time
        Source::string("#include <cuda/std/type_traits>\n#include \"value.cuh\"\n// " + salt + " " +
                           std::to_string(++compile) + "\nextern \"C\" __global__ void k(int* x) { x[0] = VALUE; }\n",
                       "k.cu"),
        {.headers = {{"value.cuh", std::string("#define VALUE ") + value + "\n"}}, .arch = "sm_90"});
    CHECK(module.ptx().find(value) != std::string::npos);
  }
}

TEST_CASE("a damaged PCH file never fails a compile and is replaced") {
  test::TempDir cache("jitcu-pch");
  test::TempDir sources("jitcu-pch-src");
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  test::write_file(sources / "common.h", "#define SCALE 1000003\n");
  auto kernel = [&](int n) {
    test::write_file(sources / ("k" + std::to_string(n) + ".cu"),
                     "#include \"common.h\"\nextern \"C\" __global__ void k" + std::to_string(n) + "(int* x) { x[0] = SCALE * " +
                         std::to_string(n) + "; } // " + std::to_string(seed) + "\n");
    return Source::file(sources / ("k" + std::to_string(n) + ".cu"));
  };
  LogCapture log;
  compile_in_new_worker(cache, kernel(1));
  const fs::path file = named_file(only(log.take("made the precompiled header")));
  const auto good_size = fs::file_size(file);

  SUBCASE("cut to its first page: NVRTC refuses it, so the worker makes a new one at once") {
    fs::resize_file(file, 4096);
    const Module m = compile_in_new_worker(cache, kernel(2));
    CHECK(m.ptx().find("2000006") != std::string::npos);
    CHECK(only(log.take("rejected the precompiled header")).find("replaced it") != std::string::npos);
    CHECK(fs::file_size(file) == good_size);
  }
  SUBCASE("cut to a third: NVRTC dies reading it (SIGBUS); compiled again without it") {
    fs::resize_file(file, good_size / 3);
    const Module m = compile_in_new_worker(cache, kernel(2));
    CHECK(m.ptx().find("2000006") != std::string::npos);
    CHECK(only(log.take("compiling again without it")).find("signal") != std::string::npos);
    CHECK_FALSE(fs::exists(file));
  }
  SUBCASE("garbage: NVRTC warns and parses the headers itself") {
    std::string junk(good_size, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    test::write_file(file, junk);
    CHECK(compile_in_new_worker(cache, kernel(2)).ptx().find("2000006") != std::string::npos);
    CHECK(only(log.take("rejected the precompiled header")).find(file.string()) != std::string::npos);
    CHECK_FALSE(fs::exists(file));
  }
  // Either way the next compiles make a good one again, and use it.
  compile_in_new_worker(cache, kernel(3));
  CHECK(log.take("rejected").empty());
  log.take("precompiled header");
  compile_in_new_worker(cache, kernel(4));
  CHECK(named_file(only(log.take("used the precompiled header"))) == file.string());
}

TEST_CASE("workers racing for one PCH: one makes it, the others use it or go without, none fails") {
  test::TempDir cache("jitcu-pch");
  test::TempDir sources("jitcu-pch-src");
  const std::string salt = std::to_string(test::test_seed());
  test::write_file(sources / "shared.h", "#define SHARED 11\n");
  std::vector<Source> batch;
  for (int i = 0; i < 6; ++i) {
    const auto path = sources / ("r" + std::to_string(i) + ".cu");
    test::write_file(path, "#include \"shared.h\"\nextern \"C\" __global__ void r" + std::to_string(i) +
                               "(int* x) { x[0] = SHARED + " + std::to_string(i) + "; } // " + salt + "\n");
    batch.push_back(Source::file(path));
  }
  LogCapture log;
  Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 3});
  const auto modules = engine.compile_many(batch, {.arch = "sm_90"});
  for (std::size_t i = 0; i < modules.size(); ++i) CHECK(modules[i].kernel_names() == std::vector<std::string>{"r" + std::to_string(i)});
  const auto made = log.take("made the precompiled header");
  CHECK(made.size() == 1);
  const auto used = log.take("used the precompiled header");
  const auto without = log.take("another worker is making");
  CHECK(made.size() + used.size() + without.size() == batch.size());
  CHECK(log.take("rejected").empty());
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(cache.path() / "pch")) names.push_back(item.path().filename().string());
  CHECK(names.size() == 1);  // no lock or temporary file left behind
}

TEST_CASE("the PCH folder keeps under JITCU_PCH_MAX_SIZE, evicting the least recently used") {
  test::TempDir cache("jitcu-pch");
  test::TempDir sources("jitcu-pch-src");
  const std::string salt = std::to_string(test::test_seed());
  auto kernel = [&](const std::string& header, const std::string& name) {
    test::write_file(sources / (header + ".h"), "#define " + header + "_VALUE 5\n");
    test::write_file(sources / (name + ".cu"), "#include \"" + header + ".h\"\nextern \"C\" __global__ void " + name +
                                                   "(int* x) { x[0] = " + header + "_VALUE; } // " + salt + "\n");
    return Source::file(sources / (name + ".cu"));
  };
  LogCapture log;
  compile_in_new_worker(cache, kernel("a", "a1"));
  const fs::path a = named_file(only(log.take("made the precompiled header")));
  compile_in_new_worker(cache, kernel("b", "b1"));
  const fs::path b = named_file(only(log.take("made the precompiled header")));
  compile_in_new_worker(cache, kernel("a", "a2"));  // a is now used more recently than b
  CHECK(named_file(only(log.take("used the precompiled header"))) == a);

  const auto each = std::max(fs::file_size(a), fs::file_size(b));
  test::ScopedEnv cap("JITCU_PCH_MAX_SIZE", std::to_string(each * 5 / 2));  // room for two
  compile_in_new_worker(cache, kernel("c", "c1"));
  const fs::path c = named_file(only(log.take("made the precompiled header")));
  CHECK(pch_files(cache) == [&] {
    std::vector<fs::path> kept{a, c};
    std::sort(kept.begin(), kept.end());
    return kept;
  }());
}

TEST_CASE("pch/ removed and the cache cleared in a loop while workers make and use CUB PCHs: every compile succeeds") {
  test::TempDir cache("jitcu-pch");
  const unsigned seed = test::test_seed();
  INFO("seed=" << seed);
  std::mt19937 rng(seed);
  LogCapture log;
  std::atomic<bool> compiling{true};
  std::atomic<int> removals{0};
  std::thread remover([&, delay_rng = std::mt19937(rng())]() mutable {
    Engine clearer(EngineOptions{.cache_dir = cache.path(), .worker_processes = 0});
    while (compiling) {
      std::error_code ignored;
      if (removals % 2 == 0) fs::remove_all(cache.path() / "pch", ignored);  // documented as always safe
      else {
        clearer.store().disk()->clear();  // what `jitcu cache clear` does, pch/ included
        fs::remove_all(cache.path() / "pch", ignored);
      }
      ++removals;
      std::this_thread::sleep_for(std::chrono::milliseconds(50 + delay_rng() % 400));
    }
  });
  std::vector<std::string> failures;
  for (int round = 0; round < 2; ++round) {
    std::vector<Source> batch;
    for (int i = 0; i < 4; ++i) {
      const std::string name = "r" + std::to_string(round) + "_" + std::to_string(i);
      batch.push_back(Source::string("#include <cub/block/block_reduce.cuh>\n// " + std::to_string(seed) +
                                         "\nextern \"C\" __global__ void " + name +
                                         "(int* x) { using R = cub::BlockReduce<int, 64>; __shared__ typename R::TempStorage t;"
                                         " x[0] = R(t).Sum(x[threadIdx.x]); }\n",
                                     name + ".cu"));
    }
    Engine engine(EngineOptions{.cache_dir = cache.path(), .worker_processes = 2});
    std::vector<std::future<Module>> modules;
    for (const auto& source : batch) modules.push_back(engine.compile_async(source, {.arch = "sm_90"}));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        const auto names = modules[i].get().kernel_names();
        if (names != std::vector<std::string>{batch[i].name().substr(0, batch[i].name().size() - 3)})
          failures.push_back(batch[i].name() + ": wrong kernels");
      } catch (const std::exception& error) {
        failures.push_back(batch[i].name() + ": " + error.what());
      }
    }
  }
  compiling = false;
  remover.join();
  std::string all;
  for (const auto& failure : failures) all += "\n" + failure;
  INFO("failed compiles:" << all);
  CHECK(failures.empty());
  CHECK(removals > 3);
  MESSAGE(removals.load() << " removals; " << log.take("could not write").size() << " PCHs lost while being written, "
                          << log.take("cannot open").size() << " lock files lost");
}

TEST_CASE("pch/ has the cache's permissions, and a pch that is not a folder only costs the PCH") {
  test::TempDir cache("jitcu-pch");
  const std::string salt = std::to_string(test::test_seed());
  LogCapture log;
  const auto source = [&](const std::string& name) {
    return Source::string("// " + salt + "\n#include <cuda/std/type_traits>\nextern \"C\" __global__ void " + name +
                              "(int* x) { x[0] = cuda::std::is_same_v<int, int>; }\n",
                          name + ".cu");
  };
  CHECK(compile_in_new_worker(cache, source("first")).kernel_names() == std::vector<std::string>{"first"});
  const fs::path made = named_file(only(log.take("made the precompiled header")));
  CHECK(fs::status(cache.path() / "pch").permissions() == fs::perms::owner_all);
  CHECK(fs::status(made).permissions() == (fs::perms::owner_read | fs::perms::owner_write));

  fs::remove_all(cache.path() / "pch");
  test::write_file(cache.path() / "pch", "not a folder\n");
  CHECK(compile_in_new_worker(cache, source("second")).kernel_names() == std::vector<std::string>{"second"});
  CHECK(only(log.take("no precompiled header")).find("cannot open") != std::string::npos);
}
