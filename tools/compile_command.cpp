// jitcu compile FILE...: every file for every arch through the cache, a few at a time.
#include "commands.hpp"
#include "compile_flags.hpp"
#include "entry_view.hpp"
#include "format.hpp"
#include "progress_line.hpp"

#include <jitcu/cache/tiered_store.hpp>
#include <jitcu/engine.hpp>
#include <jitcu/error.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jitcu::tool {
namespace {

using nlohmann::json;

struct CompileArgs {
  std::vector<std::string> files;
  CompileFlags flags;
  std::vector<std::string> archs;
  unsigned jobs = 0;  // 0: one per hardware thread
  bool json = false;
  std::string progress;  // live, plain, none; empty: live on a terminal, else plain
};

/// One file read from disk, or why it could not be.
struct Input {
  std::string file;
  std::optional<Source> source;
  std::string error;
};

/// One file for one arch.
struct Job {
  const Input* input = nullptr;
  std::string arch;  // empty: the engine's default
};

struct JobResult {
  std::string file;
  std::string arch;
  std::optional<Origin> origin;  // nullopt: it failed
  std::string error;
  std::string key;
  std::filesystem::path cache_path;
  double compile_ms = 0;
  std::vector<KernelView> kernels;
};

std::string origin_word(const std::optional<Origin>& origin) {
  if (!origin) return "failed";
  return *origin == Origin::compiled ? "miss" : "hit";
}

std::string origin_name(Origin origin) {
  switch (origin) {
    case Origin::compiled: return "compiled";
    case Origin::disk_cache: return "disk_cache";
    case Origin::process_cache: return "process_cache";
  }
  return "compiled";
}

/// The kernels with their resources, from the entry's record; names only if it is gone.
std::vector<KernelView> kernels_for(Engine& engine, const Module& module) {
  if (const auto key = cache::Key::from_hex(module.cache_key())) {
    // Not a compile's lookup: the hit was counted when the module was found.
    if (const auto hit = engine.store().get(*key, cache::BlobSelection::none(), cache::TieredStore::Lookup::more_blobs))
      return kernels_of(hit->entry.record);
  }
  std::vector<KernelView> kernels;
  for (const std::string& name : module.kernel_names()) kernels.push_back({name, name, {}, std::nullopt});
  return kernels;
}

JobResult run_job(Engine& engine, const Job& job, CompileOptions options) {
  JobResult result{job.input->file, job.arch.empty() ? engine.default_arch() : job.arch, {}, {}, {}, {}, 0, {}};
  try {
    options.arch = job.arch;
    const Module module = engine.compile(*job.input->source, options);
    result.origin = module.origin();
    result.arch = module.arch();
    result.key = module.cache_key();
    result.cache_path = module.cache_path();
    result.compile_ms = module.compile_ms();
    result.kernels = kernels_for(engine, module);
  } catch (const std::exception& error) {  // CompileError's text has file:line and an excerpt
    result.error = error.what();
  }
  return result;
}

std::string describe(const JobResult& result) {
  if (!result.origin) return fmt::format("{}  {}  failed (see the error above)\n", result.file, result.arch);
  std::string detail;
  if (*result.origin == Origin::compiled) detail = fmt::format("  compiled in {:.1f} ms", result.compile_ms);
  if (*result.origin == Origin::process_cache) detail = "  (compiled earlier in this run)";
  std::string text = fmt::format("{}  {}  {}  key {}{}\n", result.file, result.arch, origin_word(result.origin),
                                 result.key.substr(0, 12), detail);
  if (result.kernels.empty()) return text + "  (no kernels)\n";
  return text + kernel_table(result.kernels, 2, false);
}

json to_json(const JobResult& result) {
  json item = {{"file", result.file}, {"arch", result.arch}, {"ok", result.origin.has_value()}};
  if (!result.origin) {
    item["error"] = result.error;
    return item;
  }
  item["result"] = origin_word(result.origin);
  item["origin"] = origin_name(*result.origin);
  item["key"] = result.key;
  item["key_prefix"] = result.key.substr(0, 12);
  item["compile_ms"] = result.compile_ms;
  item["cache_path"] = result.cache_path.string();
  item["kernels"] = kernels_json(result.kernels);
  return item;
}

/// Prints results in job order as soon as every earlier one is in, and progress on stderr.
class Reporter {
 public:
  Reporter(std::size_t jobs, bool as_json, ProgressDisplay display) : results_(jobs), json_(as_json), progress_(jobs, display) {}

  void started(std::size_t index, const Job& job) {
    progress_.started(index, job.arch.empty() ? job.input->file : job.input->file + " " + job.arch);
  }

  void finished(std::size_t index, JobResult result) {
    const std::lock_guard lock(mutex_);
    progress_.finished(index, origin_word(result.origin));
    if (!result.origin)
      progress_.print(stderr, fmt::format("jitcu: error ({}, {}): {}\n", result.file, result.arch, result.error));
    results_[index] = std::move(result);
    if (json_) return;
    for (; next_ < results_.size() && results_[next_]; ++next_) progress_.print(stdout, describe(*results_[next_]));
  }

  /// Ends the progress display, so that what follows prints on a clean line.
  void finish() { progress_.stop(); }

  std::size_t failures() const {
    return static_cast<std::size_t>(std::count_if(results_.begin(), results_.end(),
                                                  [](const auto& r) { return r && !r->origin; }));
  }

  json document() const {
    json list = json::array();
    for (const auto& result : results_) {
      if (result) list.push_back(to_json(*result));
    }
    return list;
  }

 private:
  std::mutex mutex_;
  std::vector<std::optional<JobResult>> results_;
  std::size_t next_ = 0;
  bool json_;
  ProgressLine progress_;  // last: erases its line before the rest goes
};

ProgressDisplay progress_display(const std::string& asked) {
  if (asked == "live") return ProgressDisplay::live;
  if (asked == "plain") return ProgressDisplay::plain;
  if (asked == "none") return ProgressDisplay::none;
  return progress_display_for_stderr();
}

std::vector<Input> read_inputs(const std::vector<std::string>& files) {
  std::vector<Input> inputs;
  for (const std::string& file : files) {
    Input input{file, std::nullopt, {}};
    try {
      input.source = Source::file(file);
    } catch (const std::exception& error) {
      input.error = error.what();
    }
    inputs.push_back(std::move(input));
  }
  return inputs;
}

std::vector<Job> make_jobs(const std::vector<Input>& inputs, const std::vector<std::string>& archs) {
  std::vector<Job> jobs;
  for (const Input& input : inputs) {
    if (!input.source) continue;
    if (archs.empty()) jobs.push_back({&input, ""});
    for (const std::string& arch : archs) jobs.push_back({&input, arch});
  }
  return jobs;
}

unsigned worker_count(unsigned asked, std::size_t jobs) {
  const unsigned wanted = asked ? asked : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::min<std::size_t>(wanted, std::max<std::size_t>(jobs, 1)));
}

/// Runs every job on `workers` threads sharing one engine.
void run_jobs(Engine& engine, const std::vector<Job>& jobs, const CompileOptions& options, unsigned workers,
              Reporter& reporter) {
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      reporter.started(i, jobs[i]);
      reporter.finished(i, run_job(engine, jobs[i], options));
    }
  };
  std::vector<std::jthread> threads;
  for (unsigned w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
}

Exit run_compile(const CompileArgs& args, const GlobalOptions& global) {
  const CompileOptions options = to_compile_options(args.flags, "");  // --header files read once, first
  const std::vector<Input> inputs = read_inputs(args.files);
  std::size_t unreadable = 0;
  for (const Input& input : inputs) {
    if (input.source) continue;
    fmt::print(stderr, "jitcu: error: {}\n", input.error);
    ++unreadable;
  }
  const std::vector<Job> jobs = make_jobs(inputs, args.archs);
  Engine engine(engine_options(global));
  Reporter reporter(jobs.size(), args.json, progress_display(args.progress));
  run_jobs(engine, jobs, options, worker_count(args.jobs, jobs.size()), reporter);
  reporter.finish();

  const std::size_t failed = reporter.failures();
  if (args.json) {
    json unread = json::array();
    for (const Input& input : inputs) {
      if (!input.source) unread.push_back({{"file", input.file}, {"error", input.error}});
    }
    print_json({{"results", reporter.document()}, {"unreadable", unread}, {"failed", failed + unreadable}});
  }
  if (failed + unreadable == 0) return Exit::ok;
  fmt::print(stderr, "jitcu: {} of {} compiles failed{}\n", failed, jobs.size(),
             unreadable ? fmt::format(", {} file(s) could not be read", unreadable) : "");
  return Exit::failed;
}

}  // namespace

Command add_compile_command(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App* app = parent.add_subcommand("compile", "compile kernel files through the cache and show each "
                                                   "kernel's registers, spills, shared memory and stack");
  app->add_option("FILE", args->files, "CUDA C++ source files")->required()->type_name("FILE");
  add_compile_flags(*app, args->flags);
  app->add_option("--arch", args->archs,
                  "target, e.g. sm_90 (PTX and cubin) or compute_90 (PTX only); repeat for several "
                  "(default: this machine's GPU, else $JITCU_ARCH, else sm_90)")
      ->type_name("ARCH")
      ->allow_extra_args(false);
  app->add_option("-j,--jobs", args->jobs, "compiles at once (default: one per hardware thread)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  app->add_flag("--json", args->json, "print one JSON document instead of text");
  app->add_option("--progress", args->progress,
                  "progress on stderr: live (one line, redrawn), plain (a line per finished compile) or none "
                  "(default: live on a terminal, else plain)")
      ->type_name("live|plain|none")
      ->check(CLI::IsMember({"live", "plain", "none"}));
  return {app, [args, &global] { return run_compile(*args, global); }};
}

}  // namespace jitcu::tool
