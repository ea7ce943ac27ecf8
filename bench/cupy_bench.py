#!/usr/bin/env python3
"""The CuPy peer, measured the way bench/*.cpp measure jitcu; prints one JSON object.

  cold_compile_ms       RawModule + get_function of the seed kernel (kernels/vector_ops.cu), each
                        time with a unique comment (so neither CuPy's memory cache, its disk cache
                        nor NVRTC's own cache can answer); context up
  warm_hit_ms           a new python process (CuPy imported, context up with copies and a memset
                        only, then timed): RawModule + get_function + launch + synchronize of code
                        that an earlier process put in CuPy's disk cache; reported only when the
                        children really read the disk cache (they must leave the cache folder
                        untouched), else as new_process_recompile_ms with a note
  warm_hit_after_kernels_ms  the same, in children where CuPy-generated kernels (random numbers, a
                        fill) ran before the timed part, so CuPy's per-process compile set-up is done
  process_ms            spawn to exit of that process; spawn_to_kernel_ms: to the kernel finished
  in_memory_us          RawModule(code=...) + get_function of code this process compiled already
  launch_us             200,000 back-to-back RawKernel calls of c = a * b (4 parameters, n = 32)
  n = 2^26 float32, 20 back-to-back operations a sample, host clock, like bench_bandwidth:
  elementwise_kernel_gbps    ElementwiseKernel('float32 a, float32 b', 'float32 c', 'c = a * b')
                             (12 B/element)
  multiply_gbps              cupy.multiply(a, b, out=c) (12 B/element)
  sum_gbps                   cupy.sum(a) (4 B/element)
  reduction_kernel_sum_gbps  a ReductionKernel sum (4 B/element)
  cumsum_gbps                cupy.cumsum(a, out=s) (8 B/element: one read, one write)

Every result is checked against numpy. A measure that fails (an exception, a wrong result)
becomes a note and is left out of "results", so the table shows n/a for it; the others still
run. Exits 0 when at least one measure has a result, 1 when none has, 77 when there is no CUDA
device. bench/run-all skips the script when `import cupy` fails.

CuPy 14 picks its kernel cache folder (CUPY_CACHE_DIR) when it is imported, so this script sets
CUPY_CACHE_DIR (and clears CUPY_CACHE_IN_MEMORY) before `import cupy`, in itself and in every
child; "info" says where CuPy's cache files went.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "..", "kernels", "vector_ops.cu")
SPAWN_NS = "JITCU_BENCH_SPAWN_NS"
EXIT_NO_DEVICE = 77
CUPY_ENV = ("CUPY_CACHE_DIR", "CUPY_CACHE_IN_MEMORY", "CUPY_CACHE_SAVE_CUDA_SOURCE", "CUPY_ACCELERATORS")
DEFAULT_CACHE_DIR = os.path.expanduser("~/.cupy/kernel_cache")
N_BANDWIDTH = 1 << 26


def now_ms():
    return time.monotonic_ns() / 1e6


def stats(samples, unit):
    if not samples:
        raise RuntimeError("no samples for a measurement in " + unit)
    for s in samples:
        if not (s >= 0 and s != float("inf")):
            raise RuntimeError("a sample is negative or not finite: %r" % s)
    s = sorted(samples)
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    out = {"unit": unit, "min": s[0], "median": median, "mean": sum(s) / len(s), "max": s[-1], "count": len(s)}
    if len(s) <= 64:
        out["samples"] = s
    return out


def since_spawn_ms():
    spawned = os.environ.get(SPAWN_NS)
    return (time.monotonic_ns() - int(spawned)) / 1e6 if spawned else None


def seed_code():
    with open(SEED) as f:
        return f.read()


def cupy_environment(cache_dir):
    """os.environ for a CuPy process whose disk cache is cache_dir (and nothing else)."""
    env = dict(os.environ, CUPY_CACHE_DIR=cache_dir)
    env.pop("CUPY_CACHE_IN_MEMORY", None)
    env.pop("CUPY_CACHE_SAVE_CUDA_SOURCE", None)
    return env


def snapshot(folder):
    """{relative path: (inode, mtime_ns, size)} of every file under folder ({} if it is missing)."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            files[os.path.relpath(path, folder)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return files


def changed(before, after):
    """Files added or rewritten (a new inode, mtime or size) between two snapshots."""
    return sorted(name for name, st in after.items() if before.get(name) != st)


class CheckFailed(Exception):
    pass


class Bench:
    """results/checks/notes/info as bench::Report writes them; each measure runs guarded."""

    def __init__(self):
        self.results, self.checks, self.notes, self.info = {}, {}, [], {}

    def verify(self, name, passed, message):
        self.checks[name] = bool(passed)
        if not passed:
            raise CheckFailed(message)

    def run(self, label, body):
        """Runs body(); an exception becomes a note (the measure shows n/a) and a traceback on stderr."""
        try:
            body()
        except Exception as error:  # one measure never fails the others
            self.notes.append("%s: n/a, %s: %s" % (label, type(error).__name__, str(error)[:600]))
            print("cupy_bench: %s failed:" % label, file=sys.stderr)
            traceback.print_exc(file=sys.stderr)


# --- the child: a new process with a warm CuPy cache -----------------------------------------

def nvrtc_mapped():
    with open("/proc/self/maps") as maps:
        return "libnvrtc" in maps.read()


def child_hit(code_file, mode):
    """mode "plain": the context comes up with copies and a memset only, as jitcu's child and the
    raw floor have it, so CuPy's first compile work in this process is in the timed part;
    "after_kernels": CuPy-generated kernels (random numbers, a fill) ran first."""
    main_ms = since_spawn_ms()
    start = now_ms()
    import cupy
    import numpy
    import_ms = now_ms() - start
    start = now_ms()
    cupy.cuda.Device(0).use()
    n = 4096
    if mode == "after_kernels":
        a = cupy.random.random(n, dtype=cupy.float32)
        b = cupy.random.random(n, dtype=cupy.float32)
        c = cupy.full(n, numpy.nan, dtype=cupy.float32)
    else:
        generator = numpy.random.default_rng()
        a = cupy.asarray(generator.random(n, dtype=numpy.float32))  # host-to-device copies: no kernel
        b = cupy.asarray(generator.random(n, dtype=numpy.float32))
        c = cupy.empty(n, dtype=cupy.float32)
        cupy.cuda.runtime.memset(c.data.ptr, 0xFF, c.nbytes)  # NaN: every element must be written
    cupy.cuda.Device(0).synchronize()
    context_ms = now_ms() - start
    nvrtc_before = nvrtc_mapped()
    with open(code_file) as f:
        code = f.read()
    start = now_ms()
    kernel = cupy.RawModule(code=code).get_function("dot_product")
    kernel((n // 256,), (256,), (a, b, c, numpy.int32(n)))
    cupy.cuda.Device(0).synchronize()
    hit_ms = now_ms() - start
    to_kernel = since_spawn_ms()
    if not numpy.array_equal(c.get(), a.get() * b.get()):
        print("cupy_bench child: c != a * b", file=sys.stderr)
        return 1
    print(json.dumps({"program": "cupy child", "results": {
        "spawn_to_main_ms": main_ms, "import_ms": import_ms, "context_ms": context_ms, "hit_ms": hit_ms,
        "spawn_to_kernel_done_ms": to_kernel}, "info": {
        "mode": mode, "nvrtc_loaded_before_hit": nvrtc_before, "nvrtc_loaded_after_hit": nvrtc_mapped()}}))
    return 0


def run_child(cache_dir, code_file, mode="plain"):
    env = cupy_environment(cache_dir)
    env[SPAWN_NS] = str(time.monotonic_ns())
    start = now_ms()
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child-hit", code_file, mode], env=env,
                          stdout=subprocess.PIPE, timeout=120)
    wall = now_ms() - start
    if done.returncode != 0:
        raise RuntimeError("the CuPy child exited with status %d (its stderr is above)" % done.returncode)
    out = json.loads(done.stdout)
    out["wall_ms"] = wall
    return out


# --- the measurements --------------------------------------------------------------------------

def cold_compile(bench, cupy, code, reps, cache_dir):
    before, default_before = snapshot(cache_dir), snapshot(DEFAULT_CACHE_DIR)
    samples = []
    for rep in range(reps + 2):  # two warm-ups: NVRTC loads, CuPy's compiler module imports
        unique = code + "\n// cold %d %s\n" % (rep, uuid.uuid4().hex)
        start = now_ms()
        cupy.RawModule(code=unique).get_function("dot_product")
        ms = now_ms() - start
        if rep >= 2:
            samples.append(ms)
    bench.results["cold_compile_ms"] = stats(samples, "ms")
    written = changed(before, snapshot(cache_dir))
    default_written = changed(default_before, snapshot(DEFAULT_CACHE_DIR))
    where = []
    if written:
        where.append("%d files in CUPY_CACHE_DIR (e.g. %s)" % (len(written), written[0]))
    if default_written:
        where.append("%d files in %s" % (len(default_written), DEFAULT_CACHE_DIR))
    bench.info["cupy_cache_after_cold_compiles"] = (
        "%d compiles wrote %s" % (reps + 2, " and ".join(where)) if where
        else "in-memory only: %d compiles wrote nothing to CUPY_CACHE_DIR or %s" % (reps + 2, DEFAULT_CACHE_DIR))


def processes(bench, code, reps, scratch):
    """A child compiles unique code into a fresh cache folder; later children must only read it."""
    cache = os.path.join(scratch, "warm-cache")
    os.makedirs(cache)
    code_file = os.path.join(scratch, "child_code.cu")
    with open(code_file, "w") as f:
        f.write(code + "\n// warm %s\n" % uuid.uuid4().hex)  # no process has compiled this before
    first = run_child(cache, code_file)  # a miss: compiles and fills the disk cache
    bench.info["new_process_first_compile_ms"] = first["results"]["hit_ms"]
    run_child(cache, code_file, "after_kernels")  # caches CuPy's own random and fill kernels too
    filled = snapshot(cache)
    warm_up = run_child(cache, code_file)  # page cache for python, CuPy and the driver
    runs, after_kernels, rewritten = [], [], set(changed(filled, snapshot(cache)))
    for _ in range(reps):  # interleaved, so drift hits both kinds alike
        before = snapshot(cache)
        runs.append(run_child(cache, code_file))
        after_kernels.append(run_child(cache, code_file, "after_kernels"))
        rewritten.update(changed(before, snapshot(cache)))
    del warm_up
    hit_samples = [r["results"]["hit_ms"] for r in runs]
    bench.info["nvrtc_loaded_before_hit"] = any(r["info"]["nvrtc_loaded_before_hit"] for r in runs)
    bench.info["nvrtc_loaded_by_hit"] = any(r["info"]["nvrtc_loaded_after_hit"] for r in runs)
    if not filled:
        bench.results["new_process_recompile_ms"] = stats(hit_samples, "ms")
        bench.info["warm_hit"] = "no disk hit possible: the first child wrote nothing to CUPY_CACHE_DIR (in-memory only)"
        bench.notes.append("warm hit: n/a, CuPy wrote no cache file, so every new process compiled again "
                           "(new_process_recompile_ms)")
    elif rewritten:
        bench.results["new_process_recompile_ms"] = stats(hit_samples, "ms")
        bench.info["warm_hit"] = "the children rewrote %s: CuPy compiled again instead of reading its disk cache" % (
            ", ".join(sorted(rewritten)[:4]))
        bench.notes.append("warm hit: n/a, the children did not use CuPy's disk cache (new_process_recompile_ms)")
    else:
        bench.results["warm_hit_ms"] = stats(hit_samples, "ms")
        bench.results["warm_hit_after_kernels_ms"] = stats([r["results"]["hit_ms"] for r in after_kernels], "ms")
        bench.info["warm_hit"] = "disk hit: the first two children wrote %d files (%s) to CUPY_CACHE_DIR; the %d " \
                                 "measured children of each kind rewrote none of them" % (
                                     len(filled), ", ".join(sorted(filled)[:3]), reps)
    bench.results["process_ms"] = stats([r["wall_ms"] for r in runs], "ms")
    bench.results["spawn_to_kernel_ms"] = stats([r["results"]["spawn_to_kernel_done_ms"] for r in runs], "ms")
    bench.results["import_ms"] = stats([r["results"]["import_ms"] for r in runs], "ms")
    bench.results["context_ms"] = stats([r["results"]["context_ms"] for r in runs], "ms")


def in_memory(bench, cupy, code):
    cupy.RawModule(code=code).get_function("dot_product")
    calls = 20000
    samples = []
    for _ in range(7):
        start = now_ms()
        for _ in range(calls):
            cupy.RawModule(code=code).get_function("dot_product")
        samples.append((now_ms() - start) * 1000.0 / calls)
    bench.results["in_memory_us"] = stats(samples, "us")


def launches(bench, cupy, numpy, code, count, reps):
    kernel = cupy.RawKernel(code, "dot_product")
    n = 32
    a = cupy.random.random(n, dtype=cupy.float32)
    b = cupy.random.random(n, dtype=cupy.float32)
    c = cupy.full(n, numpy.nan, dtype=cupy.float32)
    args = (a, b, c, numpy.int32(n))
    for _ in range(10000):
        kernel((1,), (n,), args)
    cupy.cuda.Device().synchronize()
    samples = []
    for _ in range(reps):
        start = now_ms()
        for _ in range(count):
            kernel((1,), (n,), args)
        cupy.cuda.Device().synchronize()
        samples.append((now_ms() - start) * 1000.0 / count)
    bench.verify("launch_correct", numpy.array_equal(c.get(), a.get() * b.get()), "RawKernel gave c != a * b")
    bench.results["launch_us"] = stats(samples, "us")


def bandwidth(cupy, op, bytes_per_op, reps=10, batch=20):
    """GB/s of op: two warm-ups, then reps samples of batch back-to-back calls and one synchronize."""
    op()
    op()
    cupy.cuda.Device().synchronize()
    samples = []
    for _ in range(reps):
        start = now_ms()
        for _ in range(batch):
            op()
        cupy.cuda.Device().synchronize()
        samples.append(bytes_per_op * batch / ((now_ms() - start) * 1e6))
    return stats(samples, "GB/s")


def sum_close(device, host):
    return abs(device - host) <= 1e-4 * abs(host) + 1e-3


def bandwidths(bench, cupy, numpy):
    n = N_BANDWIDTH
    a = cupy.random.random(n, dtype=cupy.float32)
    b = cupy.random.random(n, dtype=cupy.float32)
    c = cupy.empty_like(a)
    host_a, host_b = a.get(), b.get()
    product = host_a * host_b
    host_sum = float(host_a.astype(numpy.float64).sum())

    def elementwise_kernel():
        multiply = cupy.ElementwiseKernel("float32 a, float32 b", "float32 c", "c = a * b", "jitcu_bench_multiply")
        c.fill(numpy.nan)
        gbps = bandwidth(cupy, lambda: multiply(a, b, c), 12.0 * n)
        bench.verify("elementwise_kernel_correct", numpy.array_equal(c.get(), product),
                     "ElementwiseKernel gave c != a * b")
        bench.results["elementwise_kernel_gbps"] = gbps
    bench.run("ElementwiseKernel c = a * b", elementwise_kernel)

    def multiply():
        c.fill(numpy.nan)
        gbps = bandwidth(cupy, lambda: cupy.multiply(a, b, out=c), 12.0 * n)
        bench.verify("multiply_correct", numpy.array_equal(c.get(), product), "cupy.multiply gave c != a * b")
        bench.results["multiply_gbps"] = gbps
    bench.run("cupy.multiply", multiply)

    def total():
        gbps = bandwidth(cupy, lambda: cupy.sum(a), 4.0 * n)
        device = float(cupy.sum(a))
        bench.verify("sum_correct", sum_close(device, host_sum), "cupy.sum gave %r, the CPU %r" % (device, host_sum))
        bench.results["sum_gbps"] = gbps
    bench.run("cupy.sum", total)

    def reduction_kernel():
        kernel = cupy.ReductionKernel("float32 x", "float32 y", "x", "a + b", "y = a", "0", "jitcu_bench_sum")
        gbps = bandwidth(cupy, lambda: kernel(a), 4.0 * n)
        device = float(kernel(a))
        bench.verify("reduction_kernel_sum_correct", sum_close(device, host_sum),
                     "the ReductionKernel sum gave %r, the CPU %r" % (device, host_sum))
        bench.results["reduction_kernel_sum_gbps"] = gbps
    bench.run("ReductionKernel sum", reduction_kernel)

    def cumsum():
        s = cupy.empty_like(a)
        s.fill(numpy.nan)
        gbps = bandwidth(cupy, lambda: cupy.cumsum(a, out=s), 8.0 * n)
        got = s.get()
        exact = numpy.cumsum(host_a, dtype=numpy.float64)
        error = numpy.abs(got.astype(numpy.float64) - exact) / numpy.maximum(1.0, numpy.abs(exact))
        worst = float(numpy.nanmax(error)) if not numpy.isnan(error).all() else float("nan")
        bench.info["cumsum_max_relative_error"] = worst
        bench.verify("cumsum_correct", got.dtype == numpy.float32 and not numpy.isnan(error).any() and worst <= 1e-3,
                     "cupy.cumsum gave %s, off by up to %g relative to the exact prefix sum (tolerance 1e-3)" % (
                         got.dtype, worst))
        bench.results["cumsum_gbps"] = gbps
    bench.run("cupy.cumsum", cumsum)


def describe(bench, cupy):
    info = bench.info
    info["cupy"] = cupy.__version__
    info["python"] = sys.executable
    try:
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        info["device"] = name.decode() if isinstance(name, bytes) else str(name)
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        info["nvrtc"] = ".".join(str(v) for v in cupy.cuda.nvrtc.getVersion())
    except Exception as error:
        info["device_error"] = str(error)
    try:
        from cupy import _core
        names = {1: "1 (cub)", 2: "2 (cutensor)"}  # CuPy's ACCELERATOR_* ids
        info["routine_accelerators"] = [names.get(a, str(a)) for a in _core.get_routine_accelerators()]
        info["reduction_accelerators"] = [names.get(a, str(a)) for a in _core.get_reduction_accelerators()]
    except Exception:
        pass
    try:  # CuPy 14: one cache backend object, made from CUPY_CACHE_DIR when CuPy starts
        from cupy.cuda import compiler
        backend = getattr(compiler, "_kernel_cache_backend", None)
        if backend is not None:
            info["cupy_cache_backend"] = "%s at %s" % (type(backend).__name__, getattr(backend, "_cache_dir", "?"))
    except Exception:
        pass


def env_int(name, fallback):
    return int(os.environ.get(name, fallback))


def main():
    scratch = tempfile.mkdtemp(prefix="jitcu-bench-cupy-")
    try:
        return measure_all(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure_all(scratch):
    bench = Bench()
    bench.info["environment_before"] = {k: os.environ.get(k) for k in CUPY_ENV if os.environ.get(k) is not None}
    cache_dir = os.path.join(scratch, "cache")
    os.environ.update(cupy_environment(cache_dir))  # before `import cupy`: CuPy reads it when it starts
    for name in ("CUPY_CACHE_IN_MEMORY", "CUPY_CACHE_SAVE_CUDA_SOURCE"):
        os.environ.pop(name, None)
    import cupy
    import numpy
    try:
        devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDARuntimeError with no driver or device
        print("cupy_bench: SKIPPED, needs a CUDA device: %s" % error, file=sys.stderr)
        return EXIT_NO_DEVICE
    if devices == 0:
        print("cupy_bench: SKIPPED, needs a CUDA device: none found", file=sys.stderr)
        return EXIT_NO_DEVICE
    cupy.cuda.Device(0).use()
    cupy.zeros(1).sum()  # context up, as jitcu's measurements have it
    describe(bench, cupy)
    code = seed_code()
    bench.run("cold compile", lambda: cold_compile(bench, cupy, code, env_int("JITCU_BENCH_REPS", 15), cache_dir))
    bench.run("new processes", lambda: processes(bench, code, env_int("JITCU_BENCH_PROCESS_REPS", 6), scratch))
    bench.run("in-memory repeat", lambda: in_memory(bench, cupy, code))
    bench.run("RawKernel launch", lambda: launches(bench, cupy, numpy, code, env_int("JITCU_BENCH_LAUNCHES", 200000),
                                                   env_int("JITCU_BENCH_LAUNCH_REPS", 3)))
    bench.run("bandwidth", lambda: bandwidths(bench, cupy, numpy))
    bench.notes.append("cupy.multiply(a, b, out=c) and cupy.cumsum(a, out=s): no allocation per call; "
                       "cupy.cumsum copies a into s and then scans s in place (CuPy's scan_core), so it moves "
                       "16 B/element, counted as 8 B/element like every scan row")
    print(json.dumps({"program": "cupy_bench", "results": bench.results, "checks": bench.checks,
                      "notes": bench.notes, "info": bench.info}, indent=1))
    if not bench.results:
        print("cupy_bench: no measure has a result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child-hit":
        sys.exit(child_hit(sys.argv[2], sys.argv[3]))
    sys.exit(main())
