#pragma once
// Engine-side helpers for the suites: an engine per temp dir, the seed kernel, origins, the
// compile_child helper's output, and exact CPU references for kernels that NVRTC may contract.
#include "test_support.hpp"

#include <jitcu/cache/disk_tier.hpp>
#include <jitcu/cache/key.hpp>
#include <jitcu/cache/tiered_store.hpp>
#include <jitcu/jitcu.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace jitcu::test {

/// An engine whose disk cache is `dir` (never the user's cache).
inline Engine engine_in(const TempDir& dir) { return Engine(EngineOptions{.cache_dir = dir.path()}); }

/// kernels/vector_ops.cu: dot_product, saxpy, scale<T>, jitcu_kernels::affine.
inline Source seed_source() { return Source::file(kernel_path("vector_ops.cu")); }

inline const char* origin_name(Origin origin) {
  switch (origin) {
    case Origin::compiled: return "compiled";
    case Origin::disk_cache: return "disk_cache";
    case Origin::process_cache: return "process_cache";
  }
  return "unknown";
}

/// True when libnvrtc is mapped into this process (what a cache hit must never cause).
inline bool nvrtc_mapped() {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);)
    if (line.find("libnvrtc") != std::string::npos) return true;
  return false;
}

/// The value of a "name=value" line in a child's output; empty when absent.
inline std::string output_field(const std::string& output, std::string_view name) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);)
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == '=')
      return line.substr(name.size() + 1);
  return {};
}

/// The PTX text of one kernel: from its ".entry" line to the next entry (or the end).
inline std::string entry_ptx(const std::string& ptx, const std::string& symbol) {
  const auto start = ptx.find(".entry " + symbol + "(");
  if (start == std::string::npos) return {};
  const auto next = ptx.find(".entry ", start + 7);
  return ptx.substr(start, next == std::string::npos ? std::string::npos : next - start);
}

/// A value NVRTC cannot have seen by chance, so finding it in the PTX proves which header was read.
inline int fresh_value(std::mt19937& rng) { return 1'000'000 + static_cast<int>(rng() % 8'000'000); }

/// Every value of `field` in the key record of `source` compiled with `options`.
inline std::vector<std::string> key_field_values(Engine& engine, const Source& source, const CompileOptions& options,
                                                 const std::string& field) {
  std::vector<std::string> values;
  const cache::KeyRecord record = engine.key_record(source, options);
  for (const auto& [name, value] : record.fields())
    if (name == field) values.push_back(value);
  return values;
}

/// The what() of the E that `call` throws; a failed check (and "") if it throws nothing or
/// another type. For messages that must start with, or contain, several things.
template <class E, class Call>
std::string message_of(Call&& call) {
  try {
    call();
  } catch (const E& error) {
    return error.what();
  } catch (const std::exception& other) {
    FAIL_CHECK("threw another exception type: " << other.what());
    return {};
  }
  FAIL_CHECK("threw nothing");
  return {};
}

/// Index of the first element where got != want (a NaN never equals), or npos; 0 when the
/// sizes differ.
template <class T>
std::size_t first_difference(const std::vector<T>& got, const std::vector<T>& want) {
  if (got.size() != want.size()) return 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(got[i] == want[i])) return i;
  return std::string::npos;
}

/// a * b + c rounded twice (no contraction, whatever the host compiler's flags).
inline float mul_then_add(float a, float b, float c) {
  const volatile float product = a * b;
  return product + c;
}

/// a * b + c as the kernel `symbol` of `module` computes it: one fma.rn.f32 when NVRTC
/// contracted it (the default, --fmad=true), else a rounded multiply and a rounded add.
class MulAdd {
 public:
  MulAdd(const Module& module, const std::string& symbol)
      : fused_(entry_ptx(module.ptx(), symbol).find("fma.rn.f32") != std::string::npos) {}
  float operator()(float a, float b, float c) const { return fused_ ? std::fma(a, b, c) : mul_then_add(a, b, c); }
  bool fused() const { return fused_; }

 private:
  bool fused_;
};

}  // namespace jitcu::test

/// Checks two vectors element by element (exactly), reporting the first difference only.
#define CHECK_SAME_VALUES(got, want)                                                             \
  do {                                                                                           \
    REQUIRE((got).size() == (want).size());                                                      \
    const std::size_t wrong_ = ::jitcu::test::first_difference(got, want);                       \
    CHECK_MESSAGE(wrong_ == std::string::npos, "first wrong element " << wrong_ << " of "        \
                                                   << (got).size() << ": got " << (got)[wrong_ % (got).size()] \
                                                   << ", want " << (want)[wrong_ % (want).size()]); \
  } while (false)

namespace doctest {
template <>
struct StringMaker<jitcu::Origin> {
  static String convert(jitcu::Origin origin) { return jitcu::test::origin_name(origin); }
};
}  // namespace doctest
