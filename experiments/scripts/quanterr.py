"""Quantization error of every format (snakemake script).

For each distribution (seeded: normal N(0,1); lognormal exp(N(0,2)) with random signs;
Fashion-MNIST training pixels scaled to [0, 1]) and each format, quantize with the lowbit
command (RNE) and record the RMS and maximum relative error over the nonzero inputs (an input
flushed to zero has relative error 1), the fraction flushed to zero, the fraction beyond the largest finite magnitude (saturated or
overflowed; 0 for scaled formats, whose scale follows the data)
and the fraction turned into inf/NaN (which also count as relative error 1). For the figure formats, the mean relative
error in log-spaced bins of |x| as well."""
import csv
import io
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821
import lbio  # noqa: E402

sm = snakemake  # noqa: F821
lowbit = sm.input.lowbit
n = int(sm.params.samples)
seed = int(sm.params.seed)
log = open(sm.log[0], "w")


def sample(dist):
    rng = np.random.default_rng([seed, ["normal", "lognormal", "fashion_mnist"].index(dist)])
    if dist == "normal":
        return rng.standard_normal(n).astype(np.float32)
    if dist == "lognormal":
        mag = np.exp(rng.normal(0.0, 2.0, n))
        return (mag * rng.choice([-1.0, 1.0], n)).astype(np.float32)
    imgs = lbio.read_idx_images(f"{sm.params.fmnist}/train-images-idx3-ubyte.gz")
    flat = imgs.reshape(-1)
    idx = rng.integers(0, flat.size, n)
    return (flat[idx].astype(np.float32) / 255.0).astype(np.float32)


def format_max(spec):
    """Largest finite magnitude of an unscaled format (None for scaled ones)."""
    out = lbio.run_lowbit(lowbit, ["formats", "--csv", "--spec", spec]).decode()
    row = next(csv.DictReader(io.StringIO(out)))
    return None if row["scaled"] == "1" else float(row["max"])


fmax = {spec: format_max(spec) for spec in sm.params.formats}
rows, bins = [], []
edges = np.logspace(-8, 4, 49)
for dist in sm.params.distributions:
    x = sample(dist)
    nz = x != 0
    for spec in sm.params.formats:
        q = lbio.quantize(lowbit, spec, x)
        ax, aq = np.abs(x.astype(np.float64)), np.abs(q.astype(np.float64))
        with np.errstate(invalid="ignore"):
            rel = np.where(nz, np.abs(q.astype(np.float64) - x) / np.where(nz, ax, 1.0), 0.0)
        rel = np.where(np.isfinite(q), rel, 1.0)  # inf/NaN out: total loss, like a flush
        r = rel[nz]
        rows.append({
            "format": spec, "distribution": dist, "n": int(x.size),
            "rms_rel_err": float(np.sqrt(np.mean(r ** 2))),
            "median_rel_err": float(np.median(r)),
            "max_rel_err": float(np.max(r)),
            "flushed_to_zero": float(np.mean((q == 0) & nz)),
            "saturated": 0.0 if fmax[spec] is None else float(np.mean(ax > fmax[spec])),
            "nonfinite": float(np.mean(~np.isfinite(q))),
        })
        if spec in sm.params.figure_formats and dist != "fashion_mnist":
            which = np.digitize(ax, edges)
            for b in range(1, len(edges)):
                sel = (which == b) & nz
                if sel.sum() >= 20:
                    bins.append({"format": spec, "distribution": dist,
                                 "magnitude": float(np.sqrt(edges[b - 1] * edges[b])),
                                 "mean_rel_err": float(np.mean(np.minimum(rel[sel], 1.0))),
                                 "count": int(sel.sum())})
        print(f"{dist:14s} {spec:16s} rms {rows[-1]['rms_rel_err']:.3e}", file=log, flush=True)

pd.DataFrame(rows).to_csv(sm.output.summary, index=False)
pd.DataFrame(bins).to_csv(sm.output.bins, index=False)
