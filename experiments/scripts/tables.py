"""Report tables and macros (snakemake script): the format table (registry facts + measured
throughput against memcpy) and the quantization-error table, each as CSV + LaTeX, and
macros.tex with provenance. Throughputs are medians over the benchmark repetitions."""
import datetime
import json
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821
import lbio  # noqa: E402

sm = snakemake  # noqa: F821
gen = os.path.dirname(sm.output[0])
os.makedirs(gen, exist_ok=True)

# ---- throughput from Google Benchmark JSON (median over repetitions) ----------------------
with open(sm.input.bench) as fh:
    bj = json.load(fh)
runs = [b for b in bj["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
tp = pd.DataFrame([{"name": b["run_name"], "ips": b["items_per_second"]} for b in runs])
tp = tp.groupby("name")["ips"].median()


def gelem(name):
    return tp.get(name, np.nan) / 1e9


fm = pd.read_csv(sm.input.formats)
rows = []
for _, f in fm.iterrows():
    r = {"name": f["name"], "family": f["family"], "bits": int(f["bits"]),
         "max": f["max"], "min_pos": f["min_pos"], "precision": f["precision"],
         "precision_kind": f["precision_kind"], "scaled": int(f["scaled"])}
    for n in (65536, 16777216):
        mc = gelem(f"BM_memcpy/{n}")
        for mode in ("rne", "sr"):
            g = gelem(f"BM_quantize/{f['name']}/{mode}/{n}")
            r[f"{mode}_gelem_s_{n}"] = g
            r[f"{mode}_vs_memcpy_{n}"] = g / mc if mc == mc else np.nan
    rows.append(r)
ft = pd.DataFrame(rows)
have16m = ft["rne_gelem_s_16777216"].notna().any()


def rng_fmt(v, scaled):
    return ("$\\times$" if scaled else "") + lbio.sci(float(v), 2)


cols = [("name", "format"), ("bits", "bits"), ("max", "largest"), ("min_pos", "smallest $>0$"),
        ("precision", "precision"),
        ("rne_gelem_s_65536", "RNE"), ("sr_gelem_s_65536", "SR")]
if have16m:
    cols += [("rne_gelem_s_16777216", "RNE 16M"), ("rne_vs_memcpy_16777216", "/memcpy")]
ft_tex = ft.copy()
ft_tex["max"] = [rng_fmt(v, s) for v, s in zip(ft["max"], ft["scaled"])]
ft_tex["min_pos"] = [rng_fmt(v, s) for v, s in zip(ft["min_pos"], ft["scaled"])]
ft_tex["precision"] = [("step " if k == "absolute" else "") + rng_fmt(v, s and k == "absolute")
                       for v, k, s in zip(ft["precision"], ft["precision_kind"], ft["scaled"])]
lbio.write_table(
    ft_tex, f"{gen}/formats_table", cols,
    caption="Registered formats: range, precision and quantize throughput in Gelem/s on one core "
            "(65\\,536 elements, cache-resident; median of the benchmark repetitions).",
    label="tab:formats",
    fmt={**{c: (lambda v: "--" if v != v else f"{v:.2f}") for c, _ in cols[5:]},
         "max": str, "min_pos": str, "precision": str},
    note="Precision: relative spacing of neighbouring values (minifloats: $2^{-M}$ in the "
         "normal range; LNS: $2^{2^{-F}}-1$), or the absolute step of fixed point and integers. "
         "$\\times$: relative to a per-tensor or per-channel scale. "
         + ("RNE 16M: 16\\,777\\,216 elements (DRAM); /memcpy: its ratio to memcpy of the same "
            "bytes." if have16m else "The 16M-element (DRAM) runs were not part of this config."))
ft.drop(columns=["scaled"]).to_csv(f"{gen}/formats_table.csv", index=False)

# ---- quantization error ------------------------------------------------------------------
qe = pd.read_csv(sm.input.quanterr)
qe.to_csv(f"{gen}/quanterr.csv", index=False)
piv = qe.pivot(index="format", columns="distribution", values="rms_rel_err")
flush = qe.pivot(index="format", columns="distribution", values="flushed_to_zero")
order = [f for f in fm["name"] if f in piv.index] + [f for f in piv.index if f not in set(fm["name"])]
piv = piv.loc[order]
dists = [d for d in ("normal", "lognormal", "fashion_mnist") if d in piv.columns]
tab = pd.DataFrame({"format": piv.index})
for d in dists:
    tab[f"rms_{d}"] = piv[d].values
if "lognormal" in flush.columns:
    tab["flush_lognormal"] = flush.loc[order, "lognormal"].values
    over = qe.assign(o=qe.saturated + qe.nonfinite).pivot(index="format", columns="distribution",
                                                          values="o")
    tab["overflow_lognormal"] = over.loc[order, "lognormal"].values
names = {"normal": "normal", "lognormal": "lognormal", "fashion_mnist": "F-MNIST"}
qcols = [("format", "format")] + [(f"rms_{d}", f"RMS rel.\\ err.\\ {names[d]}") for d in dists]
if "flush_lognormal" in tab.columns:
    qcols += [("flush_lognormal", "to zero (logn.)"), ("overflow_lognormal", "overflow (logn.)")]
n = int(qe["n"].iloc[0])
lbio.write_table(
    tab, f"{gen}/quanterr_table", qcols,
    caption=f"Quantization error (RNE) on {n:,} seeded samples per distribution: RMS of the "
            "relative error over nonzero inputs (an input flushed to zero, or turned into "
            "inf/NaN, counts 1), and the fractions of lognormal inputs flushed to zero and "
            "overflowing (saturated or inf/NaN).".replace(",", "\\,"),
    label="tab:quanterr",
    fmt={c: (lambda v: lbio.sci(float(v), 2)) for c, _ in qcols[1:]})

# ---- macros ---------------------------------------------------------------------------------
info = {}
with open(sm.input.info) as fh:
    for line in fh:
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
ctx = bj.get("context", {})
macros = {
    "lbVersion": info.get("version", "?"),
    "lbGitSha": info.get("git_sha", "?"),
    "lbCompiler": info.get("compiler", "?"),
    "lbBlisArch": info.get("blis_arch_type", "?"),
    "lbFormatCount": str(len(fm)),
    "lbCpuCount": str(ctx.get("num_cpus", "?")),
    "lbCpuMHz": str(ctx.get("mhz_per_cpu", "?")),
    "lbBenchDate": str(ctx.get("date", "?")),
    "lbQeSamples": f"{n:,}".replace(",", "\\,"),
    "lbQeSeed": str(sm.params.seed),
    "lbConfig": sm.params.configname,
    "lbBuildDate": datetime.date.today().isoformat(),
    "lbMemcpyGelem": f"{gelem('BM_memcpy/65536'):.1f}",
    "lbRneBf": f"{gelem('BM_quantize/bf16/rne/65536'):.2f}",
}

# ---- performance targets (from the config) against the measurements -------------------------
tg = sm.params.targets
minifloats = [f for f in fm[fm.family == "fp"]["name"] if f != "fp32"]
lns = list(fm[fm.family == "lns"]["name"])


def worst(names, mode, n):
    vals = [(gelem(f"BM_quantize/{f}/{mode}/{n}"), f) for f in names]
    vals = [v for v in vals if v[0] == v[0]]
    return min(vals) if vals else (np.nan, "")


trows = []
for key, label, names, mode in (("rne_minifloat", "RNE, every minifloat", minifloats, "rne"),
                                ("sr_minifloat", "SR, every minifloat", minifloats, "sr"),
                                ("rne_lns", "RNE, every LNS format", lns, "rne")):
    v, f = worst(names, mode, 65536)
    trows.append({"target": label, "unit": "Gelem/s", "goal": tg[key], "measured": v,
                  "worst_format": f, "met": "yes" if v >= tg[key] else ("no" if v == v else "--")})
mc = gelem("BM_memcpy/16777216")
vals = [(gelem(f"BM_quantize/{f}/rne/16777216") / mc, f) for f in minifloats]
vals = [v for v in vals if v[0] == v[0]]
v, f = min(vals) if vals else (np.nan, "")
trows.append({"target": "RNE minifloat at 16M vs memcpy", "unit": "ratio",
              "goal": tg["dram_vs_memcpy"], "measured": v, "worst_format": f,
              "met": "yes" if v >= tg["dram_vs_memcpy"] else ("no" if v == v else "not run")})
tt = pd.DataFrame(trows)
lbio.write_table(tt, f"{gen}/targets_table",
                 [("target", "target"), ("unit", "unit"), ("goal", "goal"),
                  ("measured", "measured (worst)"), ("worst_format", "worst format"), ("met", "met")],
                 caption="Kernel performance targets (README) against this run's medians, "
                         "one core, 65\\,536 elements unless stated.",
                 label="tab:targets",
                 fmt={"goal": lambda v: f"{v:g}", "measured": lambda v: "--" if v != v else f"{v:.2f}"})
macros["lbTargetsMet"] = str(int((tt.met == "yes").sum()))
macros["lbTargetsTotal"] = str(len(tt))

with open(f"{gen}/macros.tex", "w") as fh:
    for k, v in macros.items():
        fh.write(f"\\newcommand{{\\{k}}}{{{lbio.tex_escape(v) if k not in ('lbQeSamples',) else v}}}\n")
