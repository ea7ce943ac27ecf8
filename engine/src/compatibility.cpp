#include "compatibility.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace jitcu::detail {

ArchChoice choose_arch(int device_sm, const std::vector<int>& supported) {
  if (std::find(supported.begin(), supported.end(), device_sm) != supported.end()) return {device_sm, false};
  int best = 0;
  for (int sm : supported)
    if (sm < device_sm) best = std::max(best, sm);
  if (best == 0) return {device_sm, false};
  return {best, true};
}

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// The first word after `directive` on the PTX line that starts with it ("9.0" for ".version
// 9.0"); empty when no line does. A comment or "//" line never counts.
std::string directive_value(std::string_view image, std::string_view directive) {
  if (image.starts_with("\x7f" "ELF")) return {};
  std::size_t line_start = 0;
  while (line_start < image.size()) {
    const auto line_end = std::min(image.find('\n', line_start), image.size());
    auto line = image.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    if (!line.starts_with(directive) || line.size() == directive.size() || !is_space(line[directive.size()])) continue;
    line.remove_prefix(directive.size());
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    std::size_t length = 0;
    while (length < line.size() && !is_space(line[length]) && line[length] != ',' && line[length] != '\0') ++length;
    return std::string(line.substr(0, length));
  }
  return {};
}

}  // namespace

std::string ptx_isa_version(std::string_view image) { return directive_value(image, ".version"); }
std::string ptx_target(std::string_view image) { return directive_value(image, ".target"); }

std::string cuda_version_text(int driver_version) {
  return fmt::format("{}.{}", driver_version / 1000, driver_version % 1000 / 10);
}

std::string unsupported_ptx_advice(std::string_view image, int driver_version, const std::string& device_arch) {
  const std::string driver = fmt::format("this driver (CUDA {}, cuDriverGetVersion {})",
                                         cuda_version_text(driver_version), driver_version);
  const std::string native = device_arch.empty() ? std::string("this GPU's own sm_XY") : "this GPU's own " + device_arch;
  const std::string use_cubin =
      fmt::format("or compile for {} (CompileOptions::arch) so that a cubin is loaded instead of PTX", native);
  const auto isa = ptx_isa_version(image);
  if (isa.empty())
    return fmt::format("the image needs a newer driver than {}; update the NVIDIA driver, {}", driver, use_cubin);
  return fmt::format("it is PTX ISA version {} (its .version line), newer than {} can JIT-compile; update the "
                     "NVIDIA driver to one that supports PTX ISA {}, {}",
                     isa, driver, isa, use_cubin);
}

}  // namespace jitcu::detail
