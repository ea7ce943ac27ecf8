#pragma once
// Every error jitcu throws derives from jitcu::Error; messages say what, where and what to do.
#include <stdexcept>
#include <string>
#include <vector>

namespace jitcu {

/// Base of every jitcu exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One diagnostic from NVRTC's log, parsed.
struct Diagnostic {
  std::string file;      ///< as NVRTC names it: the source name or a header path
  int line = 0;          ///< 1-based; 0 when the message has no location
  std::string severity;  ///< "error", "catastrophic error", "warning", ...
  std::string message;   ///< the text after the severity
};

/// NVRTC refused the source or an option; what() shows the first error with an excerpt.
class CompileError : public Error {
 public:
  /// `message` is what() gives; the rest are kept for source_name(), log() and diagnostics().
  CompileError(std::string message, std::string source_name, std::string log,
               std::vector<Diagnostic> diagnostics);
  /// The source's name (its path for a file source).
  const std::string& source_name() const { return source_name_; }
  /// NVRTC's whole log.
  const std::string& log() const { return log_; }
  /// Every error and warning, parsed from the log.
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  /// Line of the first error, 0 if none could be parsed.
  int line() const;

 private:
  std::string source_name_;
  std::string log_;
  std::vector<Diagnostic> diagnostics_;
};

/// A compile was cancelled (CompileOptions::cancel) or ran past CompileOptions::time_limit.
class CompileCancelled : public Error {
 public:
  using Error::Error;
};

/// A kernel name the module does not define; what() lists those it does.
class KernelNotFound : public Error {
 public:
  /// `message` is what() gives; `name` what was asked for; `available` the module's kernels.
  KernelNotFound(std::string message, std::string name, std::vector<std::string> available);
  /// The name that was asked for.
  const std::string& name() const { return name_; }
  /// The kernels the module defines.
  const std::vector<std::string>& available() const { return available_; }

 private:
  std::string name_;
  std::vector<std::string> available_;
};

/// Launch arguments that do not match the kernel's parameters; nothing was launched.
class ArgumentError : public Error {
 public:
  using Error::Error;
};

/// A CUDA driver call failed, or there is no driver.
class CudaError : public Error {
 public:
  /// `result` is the CUresult (0 when there is no driver at all).
  CudaError(std::string call, int result, std::string result_name, std::string message);
  /// The driver function, e.g. "cuLaunchKernel".
  const std::string& call() const { return call_; }
  /// The CUresult as an int.
  int result() const { return result_; }
  /// The CUresult's name, e.g. "CUDA_ERROR_ILLEGAL_ADDRESS".
  const std::string& result_name() const { return result_name_; }

 private:
  std::string call_;
  int result_;
  std::string result_name_;
};

}  // namespace jitcu
