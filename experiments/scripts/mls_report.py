"""P3 (MLS low-bit training, with OCP MX and FP8 beside it) for the report (snakemake script):
table (a) accuracy per model x format, table (b) ablations, the accuracy-vs-bits figure and
one verdict per claim, from the runs of experiments/rules/mls.smk. Published numbers are read
from experiments/data/published_figures.csv, never typed here.

Verdicts: claims P3a_e2m1 and P3a_e2m4 of experiments/claims.yaml, decided by verdict.py on
the paired seeds (runs <name>_s<seed> repeat FP32 and the claims' element formats); the
tables show the first seed."""
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821
import lbio  # noqa: E402

sm = snakemake  # noqa: F821
gen = os.path.dirname(sm.output[0])
res = sm.params.results
MLS = sm.params.mls
RUNS = sm.params.runs
CLOSE = 1.0  # points: "smallest element format within 1 point" (the paper's own criterion)
claims = lbio.Claims(sm.input.ledger, sm.params.scale)
plt.rcParams.update({"font.size": 8, "figure.dpi": 150})


def load(exp, model, name):
    with lbio.open_results(f"{res}/{exp}/{model}/{name}.h5") as f:
        ep = f["epochs"]
        return {"acc": claims.acc(ep["test_acc"]), "curve": ep["test_acc"][:], "loss": float(ep["train_loss"][-1]),
                "sec": float(np.median(ep["seconds"][:])), "epochs": int(len(ep["epoch"][:])),
                **{r: lbio.h5attr(f, f"{r.lower()}_format", "") for r in "WAE"},
                "gemm": lbio.h5attr(f, "gemm", "fp32"), "train_n": int(f.attrs["train_examples"]),
                "overflows": int(f.attrs.get("gemm_overflows", 0)),
                "underflows": int(f.attrs.get("gemm_underflows", 0)),
                "classes": int(f.attrs["classes"]) if "classes" in f.attrs else None,
                "model": lbio.h5attr(f, "model", ""), "dataset": lbio.h5attr(f, "dataset", ""),
                "diverged": lbio.diverged(ep, int(f.attrs["classes"]) if "classes" in f.attrs else 10)}


def seeds_of(exp, model, name):
    return [load(exp, model, n) for n in RUNS[exp][model]
            if n == name or re.fullmatch(re.escape(name) + r"_s\d+", n)]


def bits_per_element(spec):
    return lbio.bits_per_element(sm.input.lowbit, spec)


pub = pd.read_csv(sm.input.published, comment="#")
P3 = pub[pub.paper == "P3"]


pct = lambda v: "--" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"  # noqa

# ---------------------------------------------------------------- (a) formats x models
rows = []
for model, runs in RUNS["a"].items():
    base = load("a", model, "fp32")
    for name in runs:
        if re.search(r"_s\d+$", name):
            continue
        r = load("a", model, name)
        rows.append({"model": model, "format": name, "W": r["W"], "bits": bits_per_element(r["W"]),
                     "test_acc": r["acc"], "delta": r["acc"] - base["acc"], "sec": r["sec"],
                     "epochs": r["epochs"], "train_n": r["train_n"], "diverged": r["diverged"]})
ta = pd.DataFrame(rows)
piv = ta.pivot(index="format", columns="model", values="test_acc")
order = [n for n in next(iter(RUNS["a"].values())) if not re.search(r"_s\d+$", n)]
piv = piv.reindex(order).reset_index()
piv["bits"] = [bits_per_element(ta[ta.format == n].W.iloc[0]) for n in piv.format]
models = list(RUNS["a"].keys())
piv["diverged_on"] = [" ".join(ta[(ta.format == n) & ta.diverged].model) for n in piv.format]
cols = [("format", "format"), ("bits", "bits/elem")] + [(m, m) for m in models] + [
    ("diverged_on", "diverged on")]
ep_n = ", ".join(f"{m}: {ta[ta.model == m].epochs.iloc[0]} epochs on "
                 f"{ta[ta.model == m].train_n.iloc[0]} examples" for m in models)
lbio.write_table(
    piv, f"{gen}/mls_p3a", cols,
    caption=("P3(a): test accuracy (\\%) with A, W and E of every conv and linear layer in the "
             f"listed format (BN, pooling, loss and optimizer FP32), Fashion-MNIST; {ep_n}. "
             f"MLS: groups of {MLS['group']} along the channel axis, {MLS['gbits']}-bit group "
             "exponents, rne. Bits/elem include amortised scale bits. Diverged on: the models "
             "where the run diverged (non-finite loss or chance accuracy; its accuracy is kept)."),
    label="tab:p3a", fmt={m: pct for m in models} | {"bits": lambda v: f"{v:.2f}"})

# verdicts (a): the CIFAR-10 claim (E=2, M=1 within 1 point) and the ImageNet claim (E=2, M=4)
for cid, (e, m) in (("P3a_e2m1", (2, 1)), ("P3a_e2m4", (2, 4))):
    name = f"mls_e{e}m{m}"
    if name not in order:
        continue
    # per seed, the worst model's paired difference (the claim is "within 1 point" on every model)
    per_model = {mo: [y["acc"] - x["acc"] for x, y in zip(seeds_of("a", mo, "fp32"), seeds_of("a", mo, name))]
                 for mo in models}
    n = min(len(v) for v in per_model.values())
    worst = [min(per_model[mo][i] for mo in models) for i in range(n)]
    r0 = load("a", models[0], name)
    fams = {lbio.model_family(load("a", mo, name)["model"]) for mo in models}
    run = {"classes": r0["classes"], "dataset": r0["dataset"],
           "model_family": next((f for f in ("resnet", "vgg") if f in fams), r0["model"])}
    # a seed counts as diverged when the claim's format diverged on any model
    div = sum(any(seeds_of("a", mo, name)[i]["diverged"] for mo in models) for i in range(n))
    claims.judge(cid, worst, run, "per model, mean over seeds: " + ", ".join(
        f"{mo} {np.mean(v):+.2f}" for mo, v in per_model.items()) + " points", diverged=div,
        baselines=[x["curve"] for mo in models for x in seeds_of("a", mo, "fp32")])
# smallest element format within CLOSE on every model
ok = []
for e, m in MLS["elements"]:
    d = ta[ta.format == f"mls_e{e}m{m}"].delta
    if len(d) and float(d.min()) >= -CLOSE:
        ok.append(1 + e + m)
best = min(ok) if ok else None

# ---------------------------------------------------------------- (b) ablations
rows = []
for model, runs in RUNS["b"].items():
    e, m = MLS["ablation"]["element"]
    ref = load("a", model, f"mls_e{e}m{m}") if f"mls_e{e}m{m}" in RUNS["a"].get(model, {}) else None
    base = load("a", model, "fp32") if model in RUNS["a"] else None
    if ref:
        rows.append({"setting": f"default (group {MLS['group']}, channel axis, G={MLS['gbits']}, "
                                f"E {MLS.get('e_round', 'sr')})", "model": model, "test_acc": ref["acc"],
                     "delta": ref["acc"] - base["acc"] if base else math.nan, "W": ref["W"],
                     "E": ref["E"]})
    labels = {"flat": "groups of consecutive elements (spatial)", "e_sr": "stochastic rounding for E",
              "e_rne": "round to nearest for E"}
    for name in runs:
        r = load("b", model, name)
        lab = labels.get(name) or (f"group size {name[5:] if name[5:] != '0' else 'whole axis'}"
                                   if name.startswith("group") else f"group exponent bits G={name[5:]}")
        rows.append({"setting": lab, "model": model, "test_acc": r["acc"],
                     "delta": r["acc"] - base["acc"] if base else math.nan, "W": r["W"], "E": r["E"]})
for model, runs in RUNS["bt"].items():
    for name in runs:
        r = load("bt", model, name)
        lab = ("bit-true MLS GEMM, " if name == "bit_true" else "fake quantization, ") + \
              f"{r['epochs']} epoch(s)"
        if name == "bit_true":
            lab += f" (acc. overflows {r['overflows']}, truncations {r['underflows']})"
        rows.append({"setting": lab, "model": model, "test_acc": r["acc"], "delta": math.nan,
                     "W": r["W"] if name != "bit_true" else r["gemm"], "E": r["E"]})
tb = pd.DataFrame(rows)
lbio.write_table(
    tb, f"{gen}/mls_p3b", [("setting", "setting"), ("model", "model"), ("test_acc", "test acc."),
                           ("delta", "vs FP32")],
    caption=(f"P3(b): ablations of MLS E{MLS['ablation']['element'][0]}M"
             f"{MLS['ablation']['element'][1]} ({MLS['epochs']} epochs unless stated), and the "
             "bit-true MLS GEMM (integer products, group sums, shifted 64-bit accumulator; "
             "groups along each GEMM's reduction dimension) beside fake quantization."),
    label="tab:p3b", fmt={"test_acc": pct, "delta": lambda v: "--" if math.isnan(v) else f"{v:+.2f}"})

# ---------------------------------------------------------------- figure: accuracy vs bits
fig, ax = plt.subplots(1, len(models), figsize=(2.4 * len(models), 2.4), squeeze=False)
for a_, model in zip(ax[0], models):
    g = ta[ta.model == model]
    for fam, mk, lab in (("mls_", "o", "MLS"), ("mx", "s", "OCP MX"), ("nvfp4", "D", "NVFP4"),
                         ("fp8", "^", "FP8")):
        h = g[g.format.str.startswith(fam)]
        a_.scatter(h.bits, h.test_acc, marker=mk, s=14, label=lab)
    d = g[g.diverged]
    if len(d):
        a_.scatter(d.bits, d.test_acc, marker="x", s=30, color="red", label="diverged")
        for _, row in h.iterrows():
            a_.annotate(row.format.replace("mls_", "").replace("_", ""), (row.bits, row.test_acc),
                        fontsize=5, xytext=(2, 2), textcoords="offset points")
    fp = g[g.format == "fp32"].test_acc.iloc[0]
    a_.axhline(fp, color="k", lw=0.7, ls=":", label="FP32")
    a_.axhline(fp - CLOSE, color="k", lw=0.5, ls="--", label=f"FP32 $-${CLOSE:g}")
    a_.set(xlabel="bits per element (incl. scales)", ylabel="test accuracy %", title=model)
    a_.grid(alpha=0.3)
ax[0][0].legend(fontsize=5)
fig.tight_layout()
fig.savefig(f"{gen}/fig_p3.pdf")

# ---------------------------------------------------------------- difficulty: 10 vs 100 classes
# the claims' element formats and FP32 on one model, on its 10-class runs of (a) and again on the
# 100-class task (c); our finding, not a claim of the paper: no ledger entry, no verdict
drows = []
if RUNS.get("c"):
    import verdict
    dmodel = next(iter(RUNS["c"]))
    els = [f"mls_e{e}m{m}" for e, m in MLS.get("seed_elements", [])]

    def iv(d):
        mean, lo, hi, n = verdict.interval(d)
        return {"mean": mean, "lo": lo, "hi": hi, "n": n}

    for exp in ("a", "c"):
        f32 = seeds_of(exp, dmodel, "fp32")
        row = {"classes": f32[0]["classes"], "dataset": f32[0]["dataset"], "seeds": len(f32),
               "fp32_acc": float(np.mean([x["acc"] for x in f32])),
               "diverged": sum(x["diverged"] for n in els for x in seeds_of(exp, dmodel, n))}
        for n in els:
            d = iv([y["acc"] - x["acc"] for x, y in zip(f32, seeds_of(exp, dmodel, n))])
            row.update({f"{n}_{k}": v for k, v in d.items() if k != "n"})
        if len(els) == 2:  # the wider minus the narrower element format
            lo_, hi_ = sorted(els, key=lambda n: int(n[-1]))
            d = iv([y["acc"] - x["acc"] for x, y in zip(seeds_of(exp, dmodel, lo_), seeds_of(exp, dmodel, hi_))])
            row.update({f"gap_{k}": v for k, v in d.items() if k != "n"})
        drows.append(row)
dt = pd.DataFrame(drows)


def ci(r, k):
    return "--" if math.isnan(r[f"{k}_mean"]) else (
        f"{r[f'{k}_mean']:+.2f} [{r[f'{k}_lo']:+.2f}, {r[f'{k}_hi']:+.2f}]")


dif_sentence = "not run (mls.difficulty unset)"
if len(dt):
    for k in els + (["gap"] if "gap_mean" in dt else []):
        dt[f"{k}_ci"] = [ci(r, k) for _, r in dt.iterrows()]
    cols_d = ([("classes", "C"), ("dataset", "data set"), ("seeds", "seeds"), ("fp32_acc", "FP32 \\%")]
              + [(f"{n}_ci", f"{n.replace('mls_', '').upper()} $-$ FP32") for n in els]
              + ([("gap_ci", "gap")] if "gap_ci" in dt else []) + [("diverged", "div.")])
    lbio.write_table(
        dt, f"{gen}/mls_p3d", cols_d,
        caption=(f"P3, difficulty: {lbio.tex_escape(dmodel)} with the claims' MLS element formats "
                 "on 10 and on 100 classes (two Fashion-MNIST items side by side); differences in "
                 "points, mean with its 95\\,\\% interval over the paired seeds; gap: the wider "
                 "element format minus the narrower one; div.: diverged runs."),
        label="tab:p3d", fmt={"fp32_acc": pct, "classes": lambda v: f"{int(v)}"})
    if "gap_mean" in dt and len(dt) == 2:
        g10, g100 = dt.iloc[0], dt.iloc[1]
        overlap = not (g100.gap_lo > g10.gap_hi or g100.gap_hi < g10.gap_lo)
        dif_sentence = (f"the gap between the element formats is {g10.gap_mean:+.2f} points at "
                        f"{int(g10.classes)} classes and {g100.gap_mean:+.2f} at {int(g100.classes)}; "
                        + (f"with {int(min(g10.seeds, g100.seeds))} seed(s) there is no spread to "
                           "judge a change by" if min(g10.seeds, g100.seeds) < 2 else
                           "the intervals overlap, so whether it grows is inconclusive at this size"
                           if overlap else ("it grows" if g100.gap_mean > g10.gap_mean else "it shrinks")
                           + " beyond the run-to-run spread"))
else:
    with open(f"{gen}/mls_p3d.tex", "w") as fh:
        fh.write("% mls.difficulty is not set in this configuration\n")
    pd.DataFrame().to_csv(f"{gen}/mls_p3d.csv", index=False)

claims.write(f"{gen}/mls_verdicts.tex")
with open(f"{gen}/mls_macros.tex", "w") as fh:
    m = {"lbMlsClose": f"{CLOSE:g}", "lbMlsGroup": MLS["group"],
         "lbMlsGbits": MLS["gbits"], "lbMlsEpochs": MLS["epochs"],
         "lbMlsBestBits": best if best is not None else "none", "lbMlsDifficulty": dif_sentence}
    for k, v in m.items():
        fh.write(f"\\newcommand{{\\{k}}}{{{v}}}\n")
