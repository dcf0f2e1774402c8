"""Report figures (snakemake script): relative quantization error vs magnitude for the 8-bit
formats, and quantize throughput per format against memcpy."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sm = snakemake  # noqa: F821
plt.rcParams.update({"font.size": 8, "figure.dpi": 150})

bins = pd.read_csv(sm.input.bins)
fig, axes = plt.subplots(1, 2, figsize=(6.5, 2.6), sharey=True)
for ax, dist in zip(axes, ("normal", "lognormal")):
    d = bins[bins.distribution == dist]
    for fmt, g in d.groupby("format", sort=False):
        ax.loglog(g.magnitude, np.maximum(g.mean_rel_err, 1e-6), marker=".", ms=3, lw=1, label=fmt)
    ax.set_title(f"{dist} samples")
    ax.set_xlabel("|x|")
    ax.grid(True, which="major", lw=0.3)
axes[0].set_ylabel("mean relative error (RNE)")
axes[1].legend(fontsize=6, loc="lower left")
fig.tight_layout()
fig.savefig(sm.output.relerr)

with open(sm.input.bench) as fh:
    bj = json.load(fh)
runs = [b for b in bj["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
tp = pd.DataFrame([{"name": b["run_name"], "ips": b["items_per_second"] / 1e9} for b in runs])
tp = tp.groupby("name")["ips"].median()
fm = pd.read_csv(sm.input.formats)
names = [f for f in fm["name"] if f"BM_quantize/{f}/rne/65536" in tp.index]
x = np.arange(len(names))
fig, ax = plt.subplots(figsize=(6.5, 2.6))
w = 0.4
ax.bar(x - w / 2, [tp[f"BM_quantize/{f}/rne/65536"] for f in names], w, label="RNE")
ax.bar(x + w / 2, [tp.get(f"BM_quantize/{f}/sr/65536", np.nan) for f in names], w, label="SR")
if "BM_memcpy/65536" in tp.index:
    ax.axhline(tp["BM_memcpy/65536"], color="k", lw=0.8, ls="--", label="memcpy")
ax.set_yscale("log")
ax.set_xticks(x)
ax.set_xticklabels(names, rotation=60, ha="right", fontsize=6)
ax.set_ylabel("Gelem/s, one core")
ax.legend(fontsize=6, ncol=3)
ax.grid(True, axis="y", lw=0.3)
fig.tight_layout()
fig.savefig(sm.output.throughput)
