#pragma once
// One result per source of a batch compile (Engine::compile_each), and the progress it reports.
#include <jitcu/module.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>

namespace jitcu {

/// One source's outcome in a batch: its Module, or the error its compile threw.
class CompileResult {
 public:
  /// A source that compiled, or came from the cache.
  explicit CompileResult(Module module);
  /// A source that failed: `error` is what Engine::compile() would have thrown.
  explicit CompileResult(std::exception_ptr error);

  /// True when there is a Module.
  bool ok() const noexcept { return module_.has_value(); }
  /// The Module; rethrows the compile's error (CompileError, Error...) when it failed.
  const Module& module() const;
  /// The compile's error, to rethrow or inspect; null when it succeeded.
  const std::exception_ptr& error() const noexcept { return error_; }
  /// The error's what() text (a CompileError's has file:line and an excerpt); empty when it succeeded.
  const std::string& message() const noexcept { return message_; }

 private:
  std::optional<Module> module_;
  std::exception_ptr error_;
  std::string message_;
};

/// A batch's state when one of its sources has finished.
struct CompileProgress {
  /// Sources finished so far, failed ones included.
  std::size_t done = 0;
  /// Of those, the ones that failed.
  std::size_t failed = 0;
  /// Sources in the batch.
  std::size_t total = 0;
  /// The source that just finished: its position in the batch.
  std::size_t index = 0;
  /// Its result, valid during the call.
  const CompileResult* result = nullptr;
};

/// Called once per finished source, in the order they finish, on the thread that called
/// Engine::compile_each; an exception it throws ends the batch's wait and propagates (the
/// compiles still queued run to their end in the background).
using CompileProgressCallback = std::function<void(const CompileProgress&)>;

}  // namespace jitcu
