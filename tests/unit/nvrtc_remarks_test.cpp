// NVRTC's notes about precompiled headers are filtered from the warnings jitcu logs, and the
// "Remark: ..." footer NVRTC puts under them goes too: no warning with nothing in it.
#include "engine_support.hpp"

#include "ptxas_info.hpp"

#include <jitcu/base/log.hpp>

#include <doctest/doctest.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <mutex>

using namespace jitcu;
using namespace jitcu::test;

namespace {

/// The "jitcu" logger's warnings (and worse) while alive.
class WarningCapture {
 public:
  WarningCapture() { jitcu::log().sinks().push_back(sink_); }
  ~WarningCapture() {
    auto& sinks = jitcu::log().sinks();
    sinks.erase(std::find(sinks.begin(), sinks.end(), sink_));
  }
  WarningCapture(const WarningCapture&) = delete;
  WarningCapture& operator=(const WarningCapture&) = delete;
  std::vector<std::string> lines() {
    const std::lock_guard lock(sink_->lines_mutex);
    return sink_->lines;
  }

 private:
  struct Sink final : spdlog::sinks::base_sink<std::mutex> {
    std::mutex lines_mutex;
    std::vector<std::string> lines;
    void sink_it_(const spdlog::details::log_msg& msg) override {
      if (msg.level < spdlog::level::warn) return;
      const std::lock_guard lock(lines_mutex);
      lines.emplace_back(msg.payload.data(), msg.payload.size());
    }
    void flush_() override {}
  };
  std::shared_ptr<Sink> sink_ = std::make_shared<Sink>();
};

// A source with an #include, so the engine compiles it with NVRTC's -pch.
Source with_include(const std::string& name, int value) {
  return Source::string("#include <cuda_fp16.h>\nextern \"C\" __global__ void " + name +
                            "(__half* x) { x[0] = __float2half(" + std::to_string(value) + ".0f); }\n",
                        name + ".cu");
}

}  // namespace

TEST_CASE("a log of only PCH notes and NVRTC's Remark footer has no warnings") {
  // What NVRTC 13.0 writes when a second compile in a process has other options than the one
  // that made the automatic PCH file.
  const std::string log =
      "Warning #629-D: the command line options do not match those used when precompiled header file "
      "\"/tmp/jitcu-pch-1/k_0.pch\" was created\n\n"
      "Remark: The warnings can be suppressed with \"-diag-suppress <warning-number>\"\n\n"
      "\"k.cu\": creating precompiled header file \"/tmp/jitcu-pch-1/k_1.pch\"\n"
      "ptxas info    : 0 bytes gmem\n";
  CHECK(detail::without_ptxas_info(log).empty());
}

TEST_CASE("a real warning keeps NVRTC's Remark footer") {
  const std::string log =
      "k.cu(3): warning #177-D: variable \"unused\" was declared but never referenced\n\n"
      "Remark: The warnings can be suppressed with \"-diag-suppress <warning-number>\"\n";
  const std::string kept = detail::without_ptxas_info(log);
  CHECK(kept.find("warning #177-D") != std::string::npos);
  CHECK(kept.find("Remark:") != std::string::npos);
}

TEST_CASE("compiles that meet NVRTC's precompiled headers log no empty warning") {
  const unsigned seed = test_seed();
  INFO("seed=" << seed);
  TempDir dir;
  Engine engine(EngineOptions{.cache_dir = dir.path().string(), .precompiled_headers = true, .worker_processes = 0});
  WarningCapture warnings;
  // The second arch's options differ from those the first compile's PCH file was made with:
  // NVRTC warns about the PCH and adds its Remark footer.
  const Module first = engine.compile(with_include("remark_" + std::to_string(seed), 1), {.arch = "sm_80"});
  const Module second = engine.compile(with_include("remark_" + std::to_string(seed), 1), {.arch = "sm_90"});
  INFO("second log:\n" << second.log());
  REQUIRE(second.log().find("precompiled header file") != std::string::npos);
  REQUIRE(second.log().find("Remark: ") != std::string::npos);
  for (const std::string& line : warnings.lines()) {
    INFO("warning: " << line);
    CHECK(line.find("Remark:") == std::string::npos);
  }
  CHECK(warnings.lines().empty());
}
