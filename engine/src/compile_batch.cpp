// Engine::compile_each: a batch on the worker pool (through compile_async) with one result per
// source and a progress callback, so one bad source neither hides the others nor their errors.
#include <jitcu/compile_result.hpp>
#include <jitcu/engine.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <utility>
#include <vector>

namespace jitcu {
namespace {

// How long the caller waits on the oldest pending compile before it looks at the others: the
// pool runs compiles in order, so the oldest usually ends first.
constexpr std::chrono::milliseconds k_wait_slice{20};

std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error (not a std::exception)";
  }
}

CompileResult result_of(std::future<Module>& future) {
  try {
    return CompileResult(future.get());
  } catch (...) {
    return CompileResult(std::current_exception());
  }
}

}  // namespace

CompileResult::CompileResult(Module module) : module_(std::move(module)) {}

CompileResult::CompileResult(std::exception_ptr error) : error_(std::move(error)), message_(message_of(error_)) {}

const Module& CompileResult::module() const {
  if (!module_) std::rethrow_exception(error_);
  return *module_;
}

std::vector<CompileResult> Engine::compile_each(const std::vector<Source>& sources, const CompileOptions& options,
                                                const CompileProgressCallback& on_progress) {
  std::vector<std::future<Module>> pending;
  pending.reserve(sources.size());
  for (const auto& source : sources) pending.push_back(compile_async(source, options));

  std::vector<std::optional<CompileResult>> finished(sources.size());
  CompileProgress progress{.total = sources.size()};
  const auto take = [&](std::size_t index) {
    finished[index] = result_of(pending[index]);
    ++progress.done;
    if (!finished[index]->ok()) ++progress.failed;
    progress.index = index;
    progress.result = &*finished[index];
    if (on_progress) on_progress(progress);
  };
  for (std::size_t oldest = 0; oldest < pending.size();) {
    if (pending[oldest].wait_for(k_wait_slice) == std::future_status::ready) take(oldest);
    for (std::size_t i = oldest + 1; i < pending.size(); ++i) {
      if (!finished[i] && pending[i].wait_for(std::chrono::seconds(0)) == std::future_status::ready) take(i);
    }
    while (oldest < pending.size() && finished[oldest]) ++oldest;
  }

  std::vector<CompileResult> results;
  results.reserve(finished.size());
  for (auto& result : finished) results.push_back(std::move(*result));
  return results;
}

}  // namespace jitcu
