#!/usr/bin/env python3
"""lowbit.quantize from Python beside the C microbenchmark BM_quantize (experiments/microbench/
bench_formats.cc) for the same format and rounding: ns per element, one thread, out of place
into a preallocated array (as BM_quantize does), at 1M elements and at BM_quantize's own sizes
(65536 and 16M), with the ratio Python / C at the matching sizes (target: <= 1.2), on wall
time and on CPU time (Google Benchmark's items_per_second is CPU time; on a loaded machine
wall time includes waiting for a core). At 1M, which BM_quantize does not run, the reference
is lb_quantize called directly through ctypes with its arguments built once.

  /usr/bin/python3 python/bench_quantize.py [--format bf16] [--round rne] [--build build]

Data: the same kind BM_quantize uses (sum of four uniforms, scaled to a quarter of the format's
max, at most 1e6; scaled formats: unit range). Python timings are the median of repeated
calls lasting at least --min-time seconds per size; C numbers are Google Benchmark's."""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def data(fmt, n):
    import lowbit
    f = lowbit.Format(fmt)
    scale = 1.0 if f.scaled else min(f.max / 4, 1e6)
    u = np.random.default_rng(12345).random((n, 4), dtype=np.float32)
    return ((u - 0.5).sum(axis=1) * scale).astype(np.float32)


def time_python(fmt, rnd, n, min_time):
    """(wall, cpu) ns per element: medians over calls (cpu: this process, one thread)."""
    import lowbit
    f = lowbit.Format(fmt)  # parsed once, as BM_quantize does
    x = data(fmt, n)
    out = np.empty_like(x)
    lowbit.quantize(x, f, round=rnd, seed=7, out=out, threads=1)  # warm up
    wall, cpu, t_end = [], [], time.perf_counter() + min_time
    while time.perf_counter() < t_end or len(wall) < 5:
        t0, c0 = time.perf_counter(), time.process_time()
        lowbit.quantize(x, f, round=rnd, seed=7, out=out, threads=1)
        c1, t1 = time.process_time(), time.perf_counter()
        wall.append(t1 - t0)
        cpu.append(c1 - c0)
    return float(np.median(wall)) / n * 1e9, float(np.median(cpu)) / n * 1e9


def time_raw(fmt, rnd, n, min_time):
    """CPU ns per element of lb_quantize called directly (arguments built once): the C cost at
    any size, plus one ctypes call (~1 us), for the sizes BM_quantize does not have."""
    import ctypes as C
    import lowbit
    from lowbit import _lib
    f = lowbit.Format(fmt)
    x = data(fmt, n)
    out = np.empty_like(x)
    ctx = _lib.QCtx(7, 0, 0, 1 + lowbit._round_code(rnd), 1)
    args = (C.byref(f._f), out.ctypes.data, x.ctypes.data, n, C.byref(ctx))
    call = _lib.lib.lb_quantize
    call(*args)
    cpu, t_end = [], time.perf_counter() + min_time
    while time.perf_counter() < t_end or len(cpu) < 5:
        c0 = time.process_time()
        call(*args)
        cpu.append(time.process_time() - c0)
    return float(np.median(cpu)) / n * 1e9


def time_c(bench, fmt, rnd, min_time):
    """{n: (wall, cpu) ns per element} of BM_quantize/fmt/rnd/n (Google Benchmark's means)."""
    pat = f"^BM_quantize/{fmt}/{rnd}/"
    r = subprocess.run([bench, f"--benchmark_filter={pat}", f"--benchmark_min_time={min_time}",
                        "--benchmark_format=json"], capture_output=True, text=True, check=True)
    unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    res = {}
    for b in json.loads(r.stdout)["benchmarks"]:
        n = int(b["name"].rsplit("/", 1)[1])
        k = unit[b["time_unit"]] / n
        res[n] = (b["real_time"] * k, b["cpu_time"] * k)
    if not res:
        sys.exit(f"bench_quantize: no benchmark matches {pat} in {bench}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--format", default="bf16")
    ap.add_argument("--round", default="rne")
    ap.add_argument("--build", default=os.path.join(HERE, os.pardir, "build"))
    ap.add_argument("--min-time", type=float, default=0.5)
    a = ap.parse_args()
    os.environ.setdefault("LOWBIT_LIBRARY", os.path.join(a.build, "lib", "liblowbit.so"))
    c = time_c(os.path.join(a.build, "bin", "lowbit_bench"), a.format, a.round, a.min_time)
    sizes = sorted(set(c) | {1 << 20})
    print("format,round,n,py_wall_ns,c_wall_ns,ratio_wall,py_cpu_ns,c_cpu_ns,ratio_cpu"
          "  (ns per element; ratio = python / C)")
    for n in sizes:
        pw, pc = time_python(a.format, a.round, n, a.min_time)
        cw, cc = c.get(n, (None, None))
        row = [a.format, a.round, str(n), f"{pw:.4f}"]
        row += [f"{cw:.4f}", f"{pw / cw:.3f}"] if cw else ["", ""]
        row += [f"{pc:.4f}"] + ([f"{cc:.4f}", f"{pc / cc:.3f}"] if cc else ["", ""])
        print(",".join(row))
        if n == 1 << 20:
            py_1m = pc
    raw = time_raw(a.format, a.round, 1 << 20, a.min_time)
    print(f"# 1M elements, CPU ns/element: lowbit.quantize {py_1m:.4f}, lb_quantize called "
          f"directly {raw:.4f}: ratio {py_1m / raw:.3f} (BM_quantize has no 1M size)")

if __name__ == "__main__":
    main()
