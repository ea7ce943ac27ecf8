#!/usr/bin/env python3
"""The CuPy peer, measured the way bench/*.cpp measure jitcu; prints one JSON object.

  cold compile    RawModule + get_function of the seed kernel (kernels/vector_ops.cu) with an
                  empty CUPY_CACHE_DIR and a unique comment (so no in-memory or NVRTC-cache hit)
  warm hit        a new python process (CuPy imported, context up, then timed): RawModule +
                  get_function + launch + synchronize, CuPy's disk cache filled beforehand
  whole process   spawn to exit of that process, and spawn to the first kernel finished
  in-memory hit   RawModule(code=...) + get_function of code this process compiled already
  launch          200,000 back-to-back RawKernel calls of c = a * b (4 parameters, n = 32)
  bandwidth       n = 2^26: cupy.multiply(a, b, out=c) (12 bytes an element) and cupy.sum(a)

Exits 77 when there is no CUDA device. bench/run-all skips it when `import cupy` fails.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "..", "kernels", "vector_ops.cu")
SPAWN_NS = "JITCU_BENCH_SPAWN_NS"
EXIT_NO_DEVICE = 77


def now_ms():
    return time.monotonic_ns() / 1e6


def stats(samples, unit):
    if not samples:
        raise RuntimeError("no samples for a measurement in " + unit)
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


def check_product(a, b, c):
    import numpy
    if not numpy.array_equal(c.get(), a.get() * b.get()):
        raise RuntimeError("c != a * b: CuPy's kernel gave a wrong result")


# --- the child: a new process with a warm CuPy cache -----------------------------------------

def child_hit(code_file):
    main_ms = since_spawn_ms()
    start = now_ms()
    import cupy
    import numpy
    import_ms = now_ms() - start
    start = now_ms()
    cupy.cuda.Device(0).use()
    n = 4096
    a = cupy.random.random(n, dtype=cupy.float32)
    b = cupy.random.random(n, dtype=cupy.float32)
    c = cupy.full(n, numpy.nan, dtype=cupy.float32)
    cupy.cuda.Device(0).synchronize()
    context_ms = now_ms() - start
    with open(code_file) as f:
        code = f.read()
    start = now_ms()
    kernel = cupy.RawModule(code=code).get_function("dot_product")
    kernel((n // 256,), (256,), (a, b, c, numpy.int32(n)))
    cupy.cuda.Device(0).synchronize()
    hit_ms = now_ms() - start
    to_kernel = since_spawn_ms()
    check_product(a, b, c)
    print(json.dumps({"program": "cupy child", "results": {
        "spawn_to_main_ms": main_ms, "import_ms": import_ms, "context_ms": context_ms, "hit_ms": hit_ms,
        "spawn_to_kernel_done_ms": to_kernel}}))


def run_child(cache_dir, code):
    code_file = os.path.join(cache_dir, "..", "child_code.cu")
    with open(code_file, "w") as f:
        f.write(code)
    env = dict(os.environ, CUPY_CACHE_DIR=cache_dir)
    env[SPAWN_NS] = str(time.monotonic_ns())
    start = now_ms()
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child-hit", code_file], env=env,
                          stdout=subprocess.PIPE, timeout=120)
    wall = now_ms() - start
    if done.returncode != 0:
        raise RuntimeError("the CuPy child exited with status %d (its stderr is above)" % done.returncode)
    out = json.loads(done.stdout)
    out["wall_ms"] = wall
    return out


# --- the measurements --------------------------------------------------------------------------

def cold_compile(cupy, code, reps, scratch):
    samples = []
    for rep in range(reps + 2):  # two warm-ups: NVRTC loads, CuPy's compiler module imports
        cache = tempfile.mkdtemp(prefix="cold-", dir=scratch)
        os.environ["CUPY_CACHE_DIR"] = cache
        unique = code + "\n// cold %d %s\n" % (rep, uuid.uuid4().hex)
        start = now_ms()
        cupy.RawModule(code=unique).get_function("dot_product")
        ms = now_ms() - start
        shutil.rmtree(cache, ignore_errors=True)
        if rep >= 2:
            samples.append(ms)
    return stats(samples, "ms")


def processes(cupy, code, reps, results, scratch):
    cache = tempfile.mkdtemp(prefix="warm-", dir=scratch)
    os.environ["CUPY_CACHE_DIR"] = cache
    # A unique comment: this process has not compiled it, so CuPy writes it to the disk cache.
    code = code + "\n// warm %s\n" % uuid.uuid4().hex
    cupy.RawModule(code=code).get_function("dot_product")
    if not os.listdir(cache):
        raise RuntimeError("CuPy wrote nothing to CUPY_CACHE_DIR=" + cache)
    run_child(cache, code)  # warm-up: page cache for python, CuPy and the driver
    runs = [run_child(cache, code) for _ in range(reps)]
    results["warm_hit_ms"] = stats([r["results"]["hit_ms"] for r in runs], "ms")
    results["process_ms"] = stats([r["wall_ms"] for r in runs], "ms")
    results["spawn_to_kernel_ms"] = stats([r["results"]["spawn_to_kernel_done_ms"] for r in runs], "ms")
    results["import_ms"] = stats([r["results"]["import_ms"] for r in runs], "ms")
    results["context_ms"] = stats([r["results"]["context_ms"] for r in runs], "ms")


def in_memory(cupy, code):
    cupy.RawModule(code=code).get_function("dot_product")
    calls = 20000
    samples = []
    for _ in range(7):
        start = now_ms()
        for _ in range(calls):
            cupy.RawModule(code=code).get_function("dot_product")
        samples.append((now_ms() - start) * 1000.0 / calls)
    return stats(samples, "us")


def launches(cupy, numpy, code, count, reps):
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
    check_product(a, b, c)
    return stats(samples, "us")


def bandwidth(cupy, op, bytes_per_op, reps=10, batch=20):
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


def main():
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
    code = seed_code()
    scratch = tempfile.mkdtemp(prefix="jitcu-bench-cupy-")
    try:
        return measure(cupy, numpy, code, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(cupy, numpy, code, scratch):
    results = {}
    results["cold_compile_ms"] = cold_compile(cupy, code, int(os.environ.get("JITCU_BENCH_REPS", "15")), scratch)
    processes(cupy, code, int(os.environ.get("JITCU_BENCH_PROCESS_REPS", "6")), results, scratch)
    os.environ["CUPY_CACHE_DIR"] = tempfile.mkdtemp(prefix="rest-", dir=scratch)
    results["in_memory_us"] = in_memory(cupy, code)
    results["launch_us"] = launches(cupy, numpy, code, int(os.environ.get("JITCU_BENCH_LAUNCHES", "200000")),
                                    int(os.environ.get("JITCU_BENCH_LAUNCH_REPS", "3")))

    n = 1 << 26
    a = cupy.random.random(n, dtype=cupy.float32)
    b = cupy.random.random(n, dtype=cupy.float32)
    c = cupy.empty_like(a)
    results["multiply_gbps"] = bandwidth(cupy, lambda: cupy.multiply(a, b, out=c), 12.0 * n)
    check_product(a, b, c)
    results["sum_gbps"] = bandwidth(cupy, lambda: cupy.sum(a), 4.0 * n)
    host_sum = float(a.get().astype(numpy.float64).sum())
    device_sum = float(cupy.sum(a))
    if abs(device_sum - host_sum) > 1e-4 * abs(host_sum) + 1e-3:
        raise RuntimeError("cupy.sum gave %r, the CPU %r" % (device_sum, host_sum))

    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    print(json.dumps({"program": "cupy_bench", "results": results, "checks": {}, "notes": [
        "cupy.multiply(a, b, out=c) for the elementwise row (no allocation per call)"],
        "info": {"cupy": cupy.__version__, "device": name.decode() if isinstance(name, bytes) else str(name)}},
        indent=1))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child-hit":
        child_hit(sys.argv[2])
        sys.exit(0)
    sys.exit(main())
