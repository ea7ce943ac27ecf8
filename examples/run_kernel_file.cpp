// Compile a user's .cu file through jitcu's cache, then list its kernels or launch one with
// arguments given on the command line (a run-time ArgumentList, checked against the kernel).
//   run_kernel_file FILE [NVRTC options: -DNAME=VALUE -IDIR ...] [--arch sm_XY] [--name-expr EXPR]...
//   run_kernel_file FILE [...] --kernel NAME --grid X[,Y,Z] --block X[,Y,Z] [--shared BYTES] [--show N] ARG...
// An ARG is TYPE=VALUE for a scalar ("float=2.5", "int=1000") or TYPE[COUNT]=VALUE for a device
// buffer of COUNT elements that all start as VALUE ("float[1000]=1.5"); buffers are printed
// after the launch (the first N elements, default 8). TYPE: float, double, int, unsigned,
// long long, f32, i64, uint8_t...
//   $ run_kernel_file kernels/vector_ops.cu --kernel saxpy --grid 4 --block 256
//         float=2 'float[1000]=1.5' 'float[1000]=1' int=1000   (y = 2 * 1.5 + 1 = 4)
#include <jitcu/jitcu.hpp>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace {

/// A launch argument as written on the command line.
struct ArgumentSpec {
  jitcu::ScalarType type;
  std::optional<std::size_t> count;  // a buffer of `count` elements; none: a scalar
  std::string value;
  std::string text;                  // as written, for messages
};

struct Request {
  std::string file;
  jitcu::CompileOptions options;
  std::string kernel;  // empty: list the kernels
  jitcu::LaunchConfig config{jitcu::Dim3(1), jitcu::Dim3(1)};
  std::size_t show = 8;
  std::vector<ArgumentSpec> arguments;
};

/// Thrown for a command line that cannot be used; main prints it with the usage.
struct UsageError {
  std::string message;
};

std::uint64_t number(std::string_view text, std::string_view what) {
  const auto bytes = jitcu::scalar_bytes(jitcu::ScalarType::u64, text);
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data(), sizeof(value));
  if (value == 0 && what != "--shared") throw UsageError{fmt::format("{} must be at least 1, not '{}'", what, text)};
  return value;
}

jitcu::Dim3 dims(std::string_view text, std::string_view what) {
  std::vector<std::uint64_t> parts;
  while (true) {
    const auto comma = text.find(',');
    parts.push_back(number(text.substr(0, comma), what));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (parts.size() > 3) throw UsageError{fmt::format("{} takes at most three extents (X,Y,Z)", what)};
  parts.resize(3, 1);
  return jitcu::Dim3(parts[0], parts[1], parts[2]);
}

ArgumentSpec argument(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos)
    throw UsageError{fmt::format("argument '{}' has no value: write TYPE=VALUE or TYPE[COUNT]=VALUE", text)};
  std::string type = text.substr(0, equals);
  std::optional<std::size_t> count;
  if (const auto open = type.find('['); open != std::string::npos && type.back() == ']') {
    count = number(std::string_view(type).substr(open + 1, type.size() - open - 2), "a buffer's COUNT");
    type.resize(open);
  }
  const auto scalar = jitcu::scalar_type_named(type);
  if (!scalar) throw UsageError{fmt::format("argument '{}': '{}' is not a scalar type (float, int, i64, ...)", text, type)};
  return {*scalar, count, text.substr(equals + 1), text};
}

Request parse(int argc, char** argv) {
  if (argc < 2) throw UsageError{"no FILE given"};
  Request request;
  request.file = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--arch" && has_value) request.options.arch = argv[++i];
    else if (arg == "--name-expr" && has_value) request.options.name_expressions.push_back(argv[++i]);
    else if (arg == "--kernel" && has_value) request.kernel = argv[++i];
    else if (arg == "--grid" && has_value) request.config.grid = dims(argv[++i], "--grid");
    else if (arg == "--block" && has_value) request.config.block = dims(argv[++i], "--block");
    else if (arg == "--shared" && has_value) request.config.shared_bytes = static_cast<std::uint32_t>(number(argv[++i], "--shared"));
    else if (arg == "--show" && has_value) request.show = number(argv[++i], "--show");
    else if (arg.starts_with("-")) request.options.extra.push_back(arg);  // -D, -I and any NVRTC option
    else request.arguments.push_back(argument(arg));
  }
  if (request.kernel.empty() && !request.arguments.empty())
    throw UsageError{"launch arguments were given without --kernel NAME"};
  return request;
}

const char* kind_name(jitcu::ValueKind kind) {
  switch (kind) {
    case jitcu::ValueKind::integer: return "integer";
    case jitcu::ValueKind::floating: return "floating";
    case jitcu::ValueKind::pointer: return "pointer";
    case jitcu::ValueKind::bytes: return "struct";
  }
  return "?";
}

void list_kernels(const jitcu::Module& module) {
  for (const auto& kernel : module.kernels()) {
    fmt::print("  {}\n", kernel.signature);
    for (std::size_t i = 0; i < kernel.parameters.size(); ++i) {
      const auto& p = kernel.parameters[i];
      fmt::print("    parameter {}: {} {}, {} bytes, aligned to {}\n", i, kind_name(p.kind), p.ptx_type, p.size_bytes,
                 p.alignment);
    }
  }
}

template <class T>
std::string formatted(const std::byte* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  if constexpr (sizeof(T) == 1) return fmt::format("{}", static_cast<int>(value));
  else return fmt::format("{}", value);
}

std::string formatted(jitcu::ScalarType type, const std::byte* bytes) {
  using jitcu::ScalarType;
  switch (type) {
    case ScalarType::i8: return formatted<std::int8_t>(bytes);
    case ScalarType::i16: return formatted<std::int16_t>(bytes);
    case ScalarType::i32: return formatted<std::int32_t>(bytes);
    case ScalarType::i64: return formatted<std::int64_t>(bytes);
    case ScalarType::u8: return formatted<std::uint8_t>(bytes);
    case ScalarType::u16: return formatted<std::uint16_t>(bytes);
    case ScalarType::u32: return formatted<std::uint32_t>(bytes);
    case ScalarType::u64: return formatted<std::uint64_t>(bytes);
    case ScalarType::f32: return formatted<float>(bytes);
    case ScalarType::f64: return formatted<double>(bytes);
  }
  return "?";
}

/// Builds the list, launches, waits, and prints every buffer.
void launch(const jitcu::Module& module, const Request& request) {
  const jitcu::Kernel kernel = module.kernel(request.kernel);
  jitcu::ArgumentList list;
  std::vector<jitcu::DeviceBuffer<std::byte>> buffers;
  for (const auto& spec : request.arguments) {
    const auto value = jitcu::scalar_bytes(spec.type, spec.value);
    if (!spec.count) {
      list.add_scalar(spec.type, spec.value);
      continue;
    }
    std::vector<std::byte> host(*spec.count * value.size());
    for (std::size_t i = 0; i < host.size(); i += value.size()) std::memcpy(host.data() + i, value.data(), value.size());
    buffers.emplace_back(host.size());
    buffers.back().copy_from(host);
    list.add_pointer(buffers.back().ptr());
  }
  kernel.launch(request.config, list);
  jitcu::synchronize();
  fmt::print("launched {} on grid ({}, {}, {}), block ({}, {}, {})\n", kernel.signature(), request.config.grid.x,
             request.config.grid.y, request.config.grid.z, request.config.block.x, request.config.block.y,
             request.config.block.z);
  std::size_t buffer = 0;
  for (std::size_t i = 0; i < request.arguments.size(); ++i) {
    const auto& spec = request.arguments[i];
    if (!spec.count) continue;
    const auto host = buffers[buffer++].to_host();
    const std::size_t size = jitcu::scalar_size(spec.type);
    std::string shown;
    for (std::size_t e = 0; e < std::min(*spec.count, request.show); ++e)
      shown += (e ? " " : "") + formatted(spec.type, host.data() + e * size);
    fmt::print("  argument {} ({}): {}{}\n", i, spec.text, shown, *spec.count > request.show ? " ..." : "");
  }
}

}  // namespace

int main(int argc, char** argv) try {
  const Request request = parse(argc, argv);
  jitcu::Engine engine;
  const auto module = engine.compile(jitcu::Source::file(request.file), request.options);
  fmt::print("{} for {}: key {}\n", request.file, module.arch(), module.cache_key().substr(0, 12));
  fmt::print("cache entry: {}\n", module.cache_path().empty() ? "(memory only)" : module.cache_path().string());
  if (request.kernel.empty()) {
    list_kernels(module);
    return 0;
  }
  launch(module, request);
  return 0;
} catch (const UsageError& error) {
  std::fprintf(stderr,
               "error: %s\nusage: %s FILE [NVRTC options] [--arch sm_XY] [--name-expr EXPR]... [--kernel NAME --grid "
               "X[,Y,Z] --block X[,Y,Z] [--shared BYTES] [--show N] TYPE=VALUE|TYPE[COUNT]=VALUE...]\n",
               error.message.c_str(), argv[0]);
  return 2;
} catch (const jitcu::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.what());
  return 1;
}
