#!/usr/bin/env python3
"""Joins the benchmark programs' JSON into bench.json and writes performance.md.

  make_table.py --dir RAW_DIR --json OUT.json --md OUT.md [--gpu TEXT] [--command TEXT]

RAW_DIR holds NAME.json (a program's stdout) and NAME.status (its exit status, or "missing")
for every program bench/run-all ran. Standard library only.
"""
import argparse
import datetime
import json
import os
import sys

EXIT_NO_DEVICE = 77


def load_programs(raw_dir):
    programs = {}
    for name in sorted(os.listdir(raw_dir)):
        if not name.endswith(".status"):
            continue
        program = name[: -len(".status")]
        with open(os.path.join(raw_dir, name)) as f:
            status = f.read().strip()
        entry = {"status": status, "output": None, "error": None}
        path = os.path.join(raw_dir, program + ".json")
        if os.path.exists(path) and os.path.getsize(path) > 0:
            try:
                with open(path) as f:
                    entry["output"] = json.load(f)
            except ValueError as error:
                entry["error"] = "its output is not JSON: %s" % error
        programs[program] = entry
    return programs


def value(programs, program, result, field="median"):
    """A number from a program's results, or None when the program or the result is missing."""
    entry = programs.get(program)
    if not entry or not entry["output"]:
        return None
    found = entry["output"].get("results", {}).get(result)
    if isinstance(found, dict):
        found = found.get(field)
    return found if isinstance(found, (int, float)) else None


def info_value(programs, program, name):
    entry = programs.get(program)
    if not entry or not entry["output"]:
        return None
    return entry["output"].get("info", {}).get(name)


def check(programs, program, name):
    entry = programs.get(program)
    if not entry or not entry["output"]:
        return None
    return entry["output"].get("checks", {}).get(name)


def fmt(number, unit):
    if number is None:
        return "n/a"
    if unit == "GB/s":
        return "%.0f GB/s" % number
    if unit == "us":
        return "%.2f µs" % number if number < 100 else "%.0f µs" % number
    if unit == "ms":
        if number < 1:
            return "%.3f ms" % number
        return "%.1f ms" % number if number < 100 else "%.0f ms" % number
    return "%g %s" % (number, unit)


class Row:
    """One line of the table. kind: 'ratio' (jitcu / floor, lower is better), 'speedup' (floor /
    jitcu, higher is better), 'fraction' (jitcu / floor for bandwidth, higher is better), 'absolute'."""

    def __init__(self, measure, unit, jitcu, floor=None, cupy=None, kind="ratio", goal="—", met=None, floor_note="",
                 sources=(), floor_only=False, cupy_label="", cupy_also=(), cupy_missing="n/a"):
        self.measure, self.unit, self.jitcu, self.floor, self.cupy = measure, unit, jitcu, floor, cupy
        # The CuPy cell: cupy (what a CuPy goal compares with) named cupy_label, then more CuPy
        # figures as (label, value); cupy_missing when cupy is None.
        self.cupy_label, self.cupy_also, self.cupy_missing = cupy_label, cupy_also, cupy_missing
        self.kind, self.goal, self.met, self.floor_note = kind, goal, met, floor_note
        self.sources, self.floor_only = sources, floor_only
        self.failed_sources = []  # filled by build_rows: programs that failed or failed a check

    def ratio(self):
        if self.jitcu is None or self.floor is None or self.jitcu == 0 or self.floor == 0:
            return None
        return self.floor / self.jitcu if self.kind == "speedup" else self.jitcu / self.floor

    def cells(self):
        r = self.ratio()
        if r is None:
            ratio = "—" if (self.floor is None and self.kind == "absolute") or self.floor_only else "n/a"
        elif self.kind == "speedup":
            ratio = "%.1f× faster" % r if r >= 1 else "%.2f× (slower)" % r
        else:
            ratio = "%.2f×" % r
        met = self.met(self) if self.met else None
        if isinstance(met, str) and met != "info":
            met_text = met
        else:
            met_text = "—" if met == "info" else ("yes" if met else ("**NO**" if met is not None else "n/a"))
        if self.failed_sources:  # a number from a program that failed a check is not a result
            met_text = "**NO** (%s failed; see below)" % ", ".join("`%s`" % s for s in self.failed_sources)
        floor = fmt(self.floor, self.unit) if self.floor is not None else ("—" if self.kind == "absolute" else "n/a")
        if self.floor_note and self.floor is not None:
            floor += " " + self.floor_note
        jitcu = "—" if self.floor_only else fmt(self.jitcu, self.unit)
        return [self.measure, jitcu, floor, ratio, self.cupy_cell(), self.goal, met_text]

    def cupy_cell(self):
        def one(label, number):
            return fmt(number, self.unit) + (" (%s)" % label if label else "")
        parts = [one(self.cupy_label, self.cupy) if self.cupy is not None else self.cupy_missing]
        parts += [one(label, number) for label, number in self.cupy_also if number is not None]
        return "; ".join(parts)


def ratio_at_most(limit):
    return lambda row: None if row.ratio() is None else row.ratio() <= limit


def speedup_at_least(limit):
    return lambda row: None if row.ratio() is None else row.ratio() >= limit


def info(row):
    return "info"


def at_least(limit):
    return lambda row: None if row.ratio() is None else row.ratio() >= limit


def and_beats_cupy(met, limit):
    """met(row) and jitcu >= limit x CuPy's figure (bandwidth: higher is better); when CuPy was
    not measured, says so rather than failing the row."""
    def combined(row):
        base = met(row)
        if base is None:
            return None
        if row.cupy is None or row.jitcu is None:
            return "yes (CuPy not measured)" if base else "**NO**"
        return base and row.jitcu / row.cupy >= limit
    return combined


def versus_cupy(goal, jitcu, cupy):
    """The goal text with the measured jitcu/CuPy bandwidth ratio appended when both exist."""
    return goal + (" (now %.2f×)" % (jitcu / cupy) if jitcu and cupy else "")


def failed(programs, name):
    """True when a program ran and failed (or failed a check); a skip is not a failure."""
    entry = programs.get(name)
    if not entry:
        return False
    status = entry["status"]
    return status not in ("0", str(EXIT_NO_DEVICE)) and not status.startswith("skipped") and status != "missing"


def build_rows(p):
    rows = []
    rows.append(Row("Cold compile, seed kernel (context up, empty cache)", "ms",
                    value(p, "bench_compile", "jitcu_cold_compile_ms"), value(p, "bench_compile", "raw_cold_compile_ms"),
                    value(p, "cupy_bench", "cold_compile_ms"), goal="≤ 1.05× raw", met=ratio_at_most(1.05), sources=("bench_compile", )))

    rows.append(Row("Cold compile: NVRTC's own time inside jitcu's compile()", "ms",
                    value(p, "bench_compile", "jitcu_cold_nvrtc_ms"), value(p, "bench_compile", "raw_cold_compile_ms"),
                    None, goal="report (where the cold-compile time goes)", met=info, sources=("bench_compile", )))
    rows.append(Row("Cold compile: raw NVRTC in processes of its own (raw_nvrtc) vs in jitcu's", "ms",
                    value(p, "bench_compile", "raw_own_process_cold_compile_ms"),
                    value(p, "bench_compile", "raw_cold_compile_ms"), None,
                    goal="report (how much the process moves NVRTC)", met=info, sources=("bench_compile", )))

    hit = value(p, "bench_process", "jitcu_hit_ms")
    cupy_hit = value(p, "cupy_bench", "warm_hit_ms")
    nvrtc_ok = check(p, "bench_process", "nvrtc_never_loaded")

    def hit_met(row):
        if row.ratio() is None or nvrtc_ok is None:
            return None
        met = row.ratio() <= 1.5 and bool(nvrtc_ok)
        if cupy_hit is None:
            return "yes (CuPy not measured)" if met else "**NO**"
        return met and hit is not None and cupy_hit / hit >= 50
    hit_goal = "≤ 1.5× raw, ≥ 50× faster than CuPy, NVRTC never loaded"
    if hit and cupy_hit:
        times = cupy_hit / hit
        hit_goal += " (CuPy/jitcu = %s; NVRTC %s)" % ("%.0f×" % times if times >= 10 else "%.2f×" % times, "not loaded" if nvrtc_ok else "LOADED" if nvrtc_ok is not None else "n/a")
    recompile = value(p, "cupy_bench", "new_process_recompile_ms")
    rows.append(Row("Disk-cache hit to first kernel done (new process, context up)", "ms", hit,
                    value(p, "bench_process", "raw_hit_ms"), cupy_hit, goal=hit_goal, met=hit_met, sources=("bench_process", ),
                    cupy_missing="n/a (no disk hit: a new process compiled again, %s)" % fmt(recompile, "ms")
                    if recompile is not None else "n/a"))
    rows.append(Row("Disk-cache hit, CuPy's children ran CuPy-generated kernels first (its per-process compile set-up done)",
                    "ms", hit, value(p, "bench_process", "raw_hit_ms"), value(p, "cupy_bench", "warm_hit_after_kernels_ms"),
                    goal="report (the same hit, CuPy warmed up)", met=info, sources=("bench_process", )))
    rows.append(Row("Disk-cache hit, jitcu's CPU part (Engine + compile() + kernel()) vs reading and loading the cubin",
                    "ms", value(p, "bench_process", "jitcu_compile_only_ms"), value(p, "bench_process", "raw_load_only_ms"),
                    None, goal="report (where the hit's time goes)", met=info, sources=("bench_process", )))
    rows.append(Row("Whole new process, warm cache: spawn to exit", "ms", value(p, "bench_process", "jitcu_process_ms"),
                    value(p, "bench_process", "raw_process_ms"), value(p, "cupy_bench", "process_ms"),
                    goal="≤ 1.05× raw", met=ratio_at_most(1.05), sources=("bench_process", )))
    rows.append(Row("Whole new process, warm cache: spawn to first kernel finished", "ms",
                    value(p, "bench_process", "jitcu_spawn_to_kernel_ms"), value(p, "bench_process", "raw_spawn_to_kernel_ms"),
                    value(p, "cupy_bench", "spawn_to_kernel_ms"), goal="≤ 1.05× raw", met=ratio_at_most(1.05), sources=("bench_process", )))
    rows.append(Row("Repeat compile() of the same source, one process", "us",
                    value(p, "bench_compile", "repeat_compile_us"), None, value(p, "cupy_bench", "in_memory_us"),
                    kind="absolute", goal="≤ 1 µs",
                    met=lambda row: None if row.jitcu is None else row.jitcu <= 1.0, sources=("bench_compile", )))
    rows.append(Row("Checked launch, 4 parameters, 200k back to back", "us",
                    value(p, "bench_launch", "jitcu_launch_us"), value(p, "bench_launch", "raw_launch_us"),
                    value(p, "cupy_bench", "launch_us"), goal="≤ 1.05× raw", met=ratio_at_most(1.05), sources=("bench_launch", )))
    rows.append(Row("Launch: raw cuLaunchKernel in processes of its own (raw_driver) vs in jitcu's", "us",
                    value(p, "bench_launch", "raw_own_process_launch_us"), value(p, "bench_launch", "raw_launch_us"),
                    None, goal="report (how much the process moves a launch)", met=info, sources=("bench_launch", )))
    rows.append(Row("CUB BlockReduce, new process, second time (disk hit)", "ms",
                    value(p, "bench_headers", "jitcu_second_ms"), value(p, "bench_headers", "raw_ms"), None,
                    kind="speedup", goal="≥ 5× faster than raw NVRTC (no PCH)", met=speedup_at_least(5), sources=("bench_headers", )))
    rows.append(Row("CUB BlockReduce, new process, first time (NVRTC runs)", "ms",
                    value(p, "bench_headers", "jitcu_first_ms"), value(p, "bench_headers", "raw_ms"), None,
                    goal="report", met=info, sources=("bench_headers", )))
    rows.append(Row("A different CUB kernel, new process (NVRTC runs)", "ms",
                    value(p, "bench_headers", "jitcu_other_kernel_ms"), value(p, "bench_headers", "raw_other_kernel_ms"),
                    None, goal="report", met=info, sources=("bench_headers", )))
    rows.append(Row("CUB, new process, second time, through compile_async (a worker)", "ms",
                    value(p, "bench_headers", "worker_second_ms"), value(p, "bench_headers", "raw_ms"), None,
                    kind="speedup", goal="≥ 5× faster than raw NVRTC (no PCH)", met=speedup_at_least(5),
                    sources=("bench_headers", )))
    rows.append(Row("A different CUB kernel, new process, through a worker (PCH kept in the cache)", "ms",
                    value(p, "bench_headers", "worker_other_kernel_ms"), value(p, "bench_headers", "raw_other_kernel_ms"),
                    None, goal="report (DESIGN: 228 ms with PCH vs 1347 ms)", met=info, sources=("bench_headers", )))
    raw_serial = value(p, "bench_batch", "raw_serial_ms")
    rows.append(Row("64 sources: 16 threads on one Engine", "ms", value(p, "bench_batch", "jitcu_threads_ms"), raw_serial,
                    None, kind="speedup", goal="≥ 10× one-by-one NVRTC", met=speedup_at_least(10),
                    floor_note="(one by one)", sources=("bench_batch", )))
    rows.append(Row("64 sources: 16 processes × 4", "ms", value(p, "bench_batch", "jitcu_processes_ms"), raw_serial,
                    None, kind="speedup", goal="≥ 10× one-by-one NVRTC", met=speedup_at_least(10),
                    floor_note="(one by one)", sources=("bench_batch", )))
    rows.append(Row("64 sources: Engine::compile_many (worker processes started in the call)", "ms",
                    value(p, "bench_batch", "jitcu_compile_many_ms"), raw_serial, None, kind="speedup",
                    goal="≥ 10× one-by-one NVRTC", met=speedup_at_least(10), floor_note="(one by one)",
                    sources=("bench_batch", )))
    rows.append(Row("64 other sources: compile_many again (workers running)", "ms",
                    value(p, "bench_batch", "jitcu_compile_many_warm_pool_ms"), raw_serial, None, kind="speedup",
                    goal="≥ 10× one-by-one NVRTC", met=speedup_at_least(10), floor_note="(one by one)",
                    sources=("bench_batch", )))
    rows.append(Row("64 sources: raw NVRTC on 16 threads (reference)", "ms", value(p, "bench_batch", "raw_threads_ms"),
                    raw_serial, None, kind="speedup", goal="report", met=info, floor_note="(one by one)", sources=("bench_batch", )))
    entries = info_value(p, "bench_lookup", "large_entries")
    large = "{:,}".format(entries) if isinstance(entries, int) else "100,000"
    rows.append(Row("Cache lookup, %s entries vs 100: new Engine + compile() hit" % large, "ms",
                    value(p, "bench_lookup", "large_engine_hit_ms"), value(p, "bench_lookup", "small_engine_hit_ms"),
                    None, goal="≤ 1.1×", met=ratio_at_most(1.1), floor_note="(100 entries)", sources=("bench_lookup", )))
    rows.append(Row("Cache lookup, %s entries vs 100: DiskTier::get" % large, "us",
                    value(p, "bench_lookup", "large_find_real_us"), value(p, "bench_lookup", "small_find_real_us"),
                    None, goal="≤ 1.1×", met=ratio_at_most(1.1), floor_note="(100 entries)", sources=("bench_lookup", )))
    copy = value(p, "bench_bandwidth", "memcpy_dtod_gbps")
    rows.append(Row("Bandwidth: cuMemcpyDtoD, n = 2^26 (read + write)", "GB/s", None, copy, None,
                    kind="fraction", goal="the floor", met=info, floor_only=True, sources=("bench_bandwidth", )))
    cupy_multiply = value(p, "cupy_bench", "multiply_gbps")
    cupy_elementwise = value(p, "cupy_bench", "elementwise_kernel_gbps")
    cupy_sum = value(p, "cupy_bench", "sum_gbps")
    cupy_reduction = value(p, "cupy_bench", "reduction_kernel_sum_gbps")
    cupy_cumsum = value(p, "cupy_bench", "cumsum_gbps")
    rows.append(Row("Bandwidth: c = a*b through jitcu (12 B/element)", "GB/s", value(p, "bench_bandwidth", "jitcu_multiply_gbps"),
                    copy, cupy_multiply, kind="fraction", goal="report (share of the copy)",
                    met=info, floor_note="(copy)", sources=("bench_bandwidth", ), cupy_label="cupy.multiply",
                    cupy_also=(("ElementwiseKernel", cupy_elementwise), )))
    rows.append(Row("Bandwidth: float4 sum through jitcu (4 B/element)", "GB/s", value(p, "bench_bandwidth", "jitcu_sum4_gbps"),
                    copy, cupy_sum, kind="fraction", goal="report (share of the copy)",
                    met=info, floor_note="(copy)", sources=("bench_bandwidth", ), cupy_label="cupy.sum",
                    cupy_also=(("ReductionKernel", cupy_reduction), )))
    generated_multiply = value(p, "bench_generators", "generated_multiply_gbps")
    rows.append(Row("Generated elementwise c = a*b vs hand-written (12 B/element)", "GB/s",
                    generated_multiply, value(p, "bench_generators", "hand_multiply_gbps"), cupy_elementwise, kind="fraction",
                    goal=versus_cupy("≥ 0.98× hand-written, ≥ 1.1× CuPy ElementwiseKernel", generated_multiply, cupy_elementwise),
                    met=and_beats_cupy(at_least(0.98), 1.1), sources=("bench_generators", ),
                    cupy_label="ElementwiseKernel", cupy_also=(("cupy.multiply", cupy_multiply), )))
    generated_sum = value(p, "bench_generators", "generated_sum_gbps")
    rows.append(Row("Generated sum vs hand-written float4 sum (4 B/element)", "GB/s",
                    generated_sum, value(p, "bench_generators", "hand_sum4_gbps"), cupy_sum, kind="fraction",
                    goal=versus_cupy("≥ 0.98× hand-written, ≥ 1× cupy.sum", generated_sum, cupy_sum),
                    met=and_beats_cupy(at_least(0.98), 1.0), sources=("bench_generators", ),
                    cupy_label="cupy.sum", cupy_also=(("ReductionKernel", cupy_reduction), )))
    rows.append(Row("Generated inclusive scan, float (8 B/element) vs cuMemcpyDtoD", "GB/s",
                    value(p, "bench_generators", "generated_scan_gbps"), copy, cupy_cumsum, kind="fraction",
                    goal="report (share of the copy)", met=info, floor_note="(copy)", sources=("bench_generators", ),
                    cupy_label="cupy.cumsum"))
    rows.append(Row("Generated inclusive scan, float vs CUB DeviceScan (nvcc)", "GB/s",
                    value(p, "bench_generators", "generated_scan_gbps"), value(p, "cub_scan", "float_gbps"), cupy_cumsum,
                    kind="fraction", goal="≥ 0.9× CUB DeviceScan", met=at_least(0.9), floor_note="(CUB)",
                    sources=("bench_generators", "cub_scan"), cupy_label="cupy.cumsum"))
    for row in rows:
        row.failed_sources = [name for name in row.sources if failed(p, name)]
    return rows


def status_lines(programs):
    lines = []
    for name, entry in sorted(programs.items()):
        status = entry["status"]
        if status == "0":
            text = "ok"
            failed = [k for k, v in (entry["output"] or {}).get("checks", {}).items() if v is False]
            if failed:  # a peer script leaves such a measure out rather than failing
                text += ", but failed checks (their results are n/a): " + ", ".join(failed)
        elif status == str(EXIT_NO_DEVICE):
            text = "SKIPPED (no CUDA device)"
        elif status.startswith("skipped"):
            text = status
        elif status == "missing":
            text = "NOT BUILT (executable missing)"
        else:
            text = "FAILED (exit status %s)" % status if status.isdigit() else "FAILED: %s" % status
            if entry["output"]:
                failed = [k for k, v in entry["output"].get("checks", {}).items() if v is False]
                if failed:
                    text += "; failed checks: " + ", ".join(failed)
        if entry["error"]:
            text += "; " + entry["error"]
        lines.append("- `%s`: %s" % (name, text))
    return lines


def details(programs):
    lines = []
    for name, entry in sorted(programs.items()):
        output = entry["output"]
        if not output:
            continue
        lines.append("")
        lines.append("`%s`" % name)
        lines.append("")
        for result, v in output.get("results", {}).items():
            if isinstance(v, dict) and "median" in v:
                lines.append("- %s: median %s, min %s, n = %s" % (result, fmt(v["median"], v.get("unit", "")),
                                                                  fmt(v["min"], v.get("unit", "")), v.get("count")))
            elif isinstance(v, (int, float)):
                lines.append("- %s: %.4g" % (result, v))
        for check_name, passed in output.get("checks", {}).items():
            lines.append("- check %s: %s" % (check_name, "passed" if passed else "**FAILED**"))
        for note in output.get("notes", []):
            lines.append("- note: %s" % note)
    return lines


def hit_steps(programs):
    """The new-process hit step by step (bench_process medians): where jitcu's time goes."""
    entry = programs.get("bench_process")
    results = ((entry or {}).get("output") or {}).get("results", {})
    jitcu, raw = results.get("jitcu_steps"), results.get("raw_steps")
    if not jitcu or not raw:
        return []
    lines = ["", "## The disk-cache hit step by step", "",
             "Medians of bench_process's children: milliseconds and page faults (first-time code and "
             "data) per step, in the order they run.", "",
             "| jitcu step | ms | faults | floor step | ms | faults |", "|---|---|---|---|---|---|"]
    jitcu_order = [s for s in ("engine", "source", "compile", "kernel", "launch", "synchronize") if s in jitcu]
    raw_order = [s for s in ("read", "library_load", "get_kernel", "launch", "synchronize") if s in raw]
    for i in range(max(len(jitcu_order), len(raw_order))):
        cells = []
        for order, steps in ((jitcu_order, jitcu), (raw_order, raw)):
            if i < len(order):
                step = steps[order[i]]
                cells += [order[i], "%.3f" % step["median_ms"], "%d" % step["median_faults"]]
            else:
                cells += ["", "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "jitcu loads the library at the first launch (its `launch` step holds `cuLibraryLoadData`); "
              "the floor loads it in `library_load`."]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--md", required=True)
    parser.add_argument("--gpu", default="unknown")
    parser.add_argument("--command", default="bench/run-all")
    args = parser.parse_args()

    programs = load_programs(args.dir)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = build_rows(programs)
    header = ["measure", "jitcu", "floor", "ratio", "CuPy", "goal", "met?"]
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        table.append("| " + " | ".join(row.cells()) + " |")

    md = ["# jitcu benchmarks", "",
          "- GPU: %s" % args.gpu, "- date: %s" % date, "- command: `%s`" % args.command, "",
          "Medians; every ratio is jitcu against its floor measured in the same run. \"n/a\": the program "
          "did not run or failed (see below).", ""]
    md += table
    md += hit_steps(programs)
    md += ["", "## Programs", ""] + status_lines(programs)
    md += ["", "## All measurements"] + details(programs)
    with open(args.md, "w") as f:
        f.write("\n".join(md) + "\n")

    combined = {"gpu": args.gpu, "date": date, "command": args.command,
                "programs": {name: {"status": e["status"], "error": e["error"], **(e["output"] or {})}
                             for name, e in programs.items()},
                "table": [dict(zip(header, row.cells())) for row in rows]}
    with open(args.json, "w") as f:
        json.dump(combined, f, indent=1)
        f.write("\n")
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
