#pragma once
// Turns NVRTC's log into diagnostics and a CompileError a person can act on.
#include <jitcu/error.hpp>
#include <jitcu/options.hpp>
#include <jitcu/source.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jitcu::detail {

/// Every "file(line): severity: message" line of an NVRTC log, with the column NVRTC marks.
std::vector<Diagnostic> parse_nvrtc_log(std::string_view log);
/// Lines around `line` of `text`, numbered, the line itself marked with '>' (and `column`,
/// when not 0, with a '^' below it).
std::string excerpt(std::string_view text, int line, int context = 2, int column = 0);
/// The CompileError for a failed compile of `source`; an error in one of `memory_headers` is
/// shown from its text, under its name.
CompileError make_compile_error(const Source& source, const std::string& log, const std::string& result_name,
                                std::span<const HeaderText> memory_headers = {});

}  // namespace jitcu::detail
