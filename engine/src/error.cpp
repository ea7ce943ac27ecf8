#include <jitcu/error.hpp>

namespace jitcu {

CompileError::CompileError(std::string message, std::string source_name, std::string log,
                           std::vector<Diagnostic> diagnostics)
    : Error(std::move(message)),
      source_name_(std::move(source_name)),
      log_(std::move(log)),
      diagnostics_(std::move(diagnostics)) {}

int CompileError::line() const {
  for (const auto& d : diagnostics_)
    if (d.severity.find("error") != std::string::npos) return d.line;
  return 0;
}

KernelNotFound::KernelNotFound(std::string message, std::string name, std::vector<std::string> available)
    : Error(std::move(message)), name_(std::move(name)), available_(std::move(available)) {}

CudaError::CudaError(std::string call, int result, std::string result_name, std::string message)
    : Error(std::move(message)), call_(std::move(call)), result_(result), result_name_(std::move(result_name)) {}

}  // namespace jitcu
