#include <jitcu/error.hpp>

namespace jitcu {

CompileError::CompileError(std::string message, std::string source_name, std::string log,
                           std::vector<Diagnostic> diagnostics)
    : Error(std::move(message)),
      source_name_(std::move(source_name)),
      log_(std::move(log)),
      diagnostics_(std::move(diagnostics)) {}

namespace {

const Diagnostic* first_error(const std::vector<Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics)
    if (d.severity.find("error") != std::string::npos) return &d;
  return nullptr;
}

}  // namespace

const std::string& CompileError::file() const {
  const Diagnostic* first = first_error(diagnostics_);
  return first && !first->file.empty() ? first->file : source_name_;
}

int CompileError::line() const {
  const Diagnostic* first = first_error(diagnostics_);
  return first ? first->line : 0;
}

int CompileError::column() const {
  const Diagnostic* first = first_error(diagnostics_);
  return first ? first->column : 0;
}

InvalidOptionError::InvalidOptionError(std::string message, std::string option)
    : Error(std::move(message)), option_(std::move(option)) {}

KernelNotFound::KernelNotFound(std::string message, std::string name, std::vector<std::string> available)
    : Error(std::move(message)), name_(std::move(name)), available_(std::move(available)) {}

AmbiguousName::AmbiguousName(std::string message, std::string name, std::vector<std::string> available,
                             std::vector<std::string> candidates)
    : KernelNotFound(std::move(message), std::move(name), std::move(available)), candidates_(std::move(candidates)) {}

CudaError::CudaError(std::string call, int result, std::string result_name, std::string message)
    : Error(std::move(message)), call_(std::move(call)), result_(result), result_name_(std::move(result_name)) {}

}  // namespace jitcu
