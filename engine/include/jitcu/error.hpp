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
  std::string file;      ///< the source's name, or the path of the header the diagnostic is in
  int line = 0;          ///< 1-based; 0 when the message has no location
  std::string severity;  ///< "error", "catastrophic error", "warning", ...
  std::string message;   ///< the text after the severity
  int column = 0;        ///< 1-based, from NVRTC's '^' marker; 0 when it shows none
};

/// NVRTC refused the source; what() shows the first error with an excerpt of its file.
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
  /// The file of the first error: the source's name, or a header's path; source_name() if none parsed.
  const std::string& file() const;
  /// Line of the first error in file(), 0 if none could be parsed.
  int line() const;
  /// Column of the first error in file(), 1-based; 0 if NVRTC showed none.
  int column() const;

 private:
  std::string source_name_;
  std::string log_;
  std::vector<Diagnostic> diagnostics_;
};

/// NVRTC refused an option (NVRTC_ERROR_INVALID_OPTION), or jitcu refused an in-memory header
/// (CompileOptions::headers) NVRTC cannot take; option() is the one refused.
class InvalidOptionError : public Error {
 public:
  /// `message` is what() gives; `option` the option (or header name) refused.
  InvalidOptionError(std::string message, std::string option);
  /// The refused option as given, e.g. "--fast" or "-ftz=maybe" (all options when no single one is
  /// to blame), or the refused in-memory header's name.
  const std::string& option() const { return option_; }

 private:
  std::string option_;
};

/// A compile was cancelled (CompileOptions::cancel) or ran past CompileOptions::time_limit.
class CompileCancelled : public Error {
 public:
  using Error::Error;
};

/// A kernel name the module does not define; what() shows the closest of those it does.
class KernelNotFound : public Error {
 public:
  /// `message` is what() gives; `name` what was asked for; `available` the module's kernels.
  KernelNotFound(std::string message, std::string name, std::vector<std::string> available);
  /// The name asked for.
  const std::string& name() const { return name_; }
  /// The readable name of every kernel the module defines, sorted (Module::kernel_names()).
  const std::vector<std::string>& available() const { return available_; }

 private:
  std::string name_;
  std::vector<std::string> available_;
};

/// A name that matches several kernels (overloads, or one base name in several namespaces).
class AmbiguousName : public KernelNotFound {
 public:
  /// As KernelNotFound, plus the signature of each kernel `name` matches.
  AmbiguousName(std::string message, std::string name, std::vector<std::string> available,
                std::vector<std::string> candidates);
  /// The full signature of each kernel the name matches, e.g. "fill(float*, float, int)", sorted.
  const std::vector<std::string>& candidates() const { return candidates_; }

 private:
  std::vector<std::string> candidates_;
};

/// Launch arguments that do not match the kernel's parameters (or a size that does not fit
/// a buffer, array or global); nothing was launched.
class ArgumentError : public Error {
 public:
  using Error::Error;
};

/// A launch shape the kernel or device cannot take: a zero or oversized grid or block, a block
/// too large for the kernel's registers or __launch_bounds__, too much shared memory, a bad
/// cluster or cooperative grid; nothing was launched.
class LaunchConfigError : public Error {
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
