"""The accumulation study for the report (snakemake script), from the results
of experiments/rules/accum.smk and the P3 runs of mls.smk:
  (a) accum_gemm: error of the fpacc GEMM vs K (lowbit gemm-err) per accumulator mantissa M,
      FP32 promotion and summation order; fig_accum_gemm.tex (pgfplots);
  (b) accum_train: test accuracy of training with FP8 operands and each accumulator, mean +- sd
      over the paired seeds where a run has them, swamped products, divergence;
  (c) accum_p3: MLS E2M1/E2M4, NVFP4, MXFP4 and FP8 from the P3 matrix;
  (d) accum_frontier: every training run placed by test accuracy and modelled energy per
      iteration (`lowbit energy` of the run: its own --gemm datapath), the Pareto set marked;
      fig_accum_frontier.tex (pgfplots).
accum_macros.tex holds the findings as sentences computed here from those tables. No claim of
the ledger is judged (the study is ours, not a paper's); a difference whose 95 % interval over
the paired seeds contains 0, or that has a single seed, is called inconclusive."""
import math
import os
import re
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821
import lbio  # noqa: E402
import verdict  # noqa: E402

sm = snakemake  # noqa: F821
gen = os.path.dirname(sm.output[0])
ACC = sm.params.accum
TR = ACC["train"]
GE = ACC["gemm_err"]
RUNS = sm.params.runs
SMOKE = sm.params.scale == "smoke"
ONSET = 0.01  # "swamping starts": the smallest K at which at least 1 % of additions swamp
COLORS = ["blue", "red", "green!50!black", "orange", "violet", "cyan!60!black", "brown", "gray"]
SEED_RE = re.compile(r"_s\d+$")
LAST = verdict.load_settings(sm.input.ledger)["last_epochs"]  # accuracy: median of the last epochs


def macro(name, text):
    return f"\\newcommand{{\\{name}}}{{{text}}}\n"


def spec_key(spec, key):
    m = re.search(rf"(?:[:,]){key}=([^,]+)", spec)
    return m.group(1) if m else ""


# ---------------------------------------------------------------- (a) GEMM error vs K
pts = pd.concat([pd.read_csv(p) for p in sm.input.gemm_err], ignore_index=True)
pts["acc_m"] = [int(re.match(r"e\d+m(\d+)", spec_key(s, "acc")).group(1)) for s in pts.gemm]
pts["promote"] = [int(spec_key(s, "promote")) for s in pts.gemm]
pts["order"] = [spec_key(s, "order") for s in pts.gemm]
g = (pts.groupby(["dist", "order", "promote", "acc_m", "k"], as_index=False)
     .agg(rel_err=("rel_err", "mean"), swamped_frac=("swamped_frac", "mean"),
          overflows=("overflows", "sum"), seeds=("seed", "nunique")))
g.to_csv(f"{gen}/accum_gemm_points.csv", index=False)
dists = [d for d in GE["dists"] if d in set(g.dist)]
kmax = max(GE["k"])


def onset(sub):
    hit = sub[sub.swamped_frac >= ONSET].k
    return int(hit.min()) if len(hit) else math.nan


rows = []
for m in ACC["acc_m"]:
    for p in GE["promote"]:
        for o in GE["orders"]:
            r = {"acc_m": m, "promote": p, "order": o}
            for d in dists:
                sub = g[(g.dist == d) & (g.order == o) & (g.promote == p) & (g.acc_m == m)]
                r[f"{d}_err"] = float(sub[sub.k == kmax].rel_err.iloc[0])
                r[f"{d}_swamped"] = float(sub[sub.k == kmax].swamped_frac.iloc[0])
                r[f"{d}_onset"] = onset(sub)
            rows.append(r)
ta = pd.DataFrame(rows)
cols = [("acc_m", "$M$"), ("promote", "promote"), ("order", "order")]
fmt = {"acc_m": str, "promote": lambda v: str(v) if v else "--"}
for d in dists:
    cols += [(f"{d}_err", f"{d}: err."), (f"{d}_swamped", "swamped"), (f"{d}_onset", "onset $K$")]
    fmt[f"{d}_err"] = lambda v: lbio.sci(v, 1)
    fmt[f"{d}_swamped"] = lambda v: f"{100 * v:.1f}\\,\\%"
    fmt[f"{d}_onset"] = lambda v: "--" if math.isnan(v) else str(int(v))
ae = ACC["acc_e"]
lbio.write_table(
    ta, f"{gen}/accum_gemm", cols,
    caption=(f"Accumulation (a): normwise relative error of the fpacc GEMM against the exact sum "
             f"at $K={kmax}$ and the fraction of swamped additions there, for accumulators "
             f"e{ae}m$M$ (alignment {ACC['align']}), FP32 promotion every \\emph{{promote}} "
             f"products, sequential or pairwise order; ${GE['m']}\\times{GE['n']}$ outputs, "
             f"operands {lbio.tex_escape(GE['operands'])}, seeds {', '.join(map(str, GE['seeds']))} "
             f"(mean). \\emph{{Onset}}: the smallest $K$ of {{{', '.join(map(str, GE['k']))}}} "
             f"at which at least {100 * ONSET:g}\\,\\% of additions are swamped."),
    label="tab:accum-gemm", fmt=fmt)

# pgfplots: one panel per (order, dist), a line per M, dashed when promoted
FLOOR = 1e-9
panels = [(o, d) for o in GE["orders"] for d in dists]
lines = [r"\begin{tikzpicture}",
         r"\begin{groupplot}[group style={group size=" + f"{len(dists)} by {len(GE['orders'])}" +
         r", horizontal sep=1.4cm, vertical sep=1.5cm}, width=0.46\linewidth, height=4.6cm, "
         r"xmode=log, ymode=log, log basis x=2, xlabel={$K$}, ylabel={rel.\ error}, "
         r"grid=major, grid style={gray!25}, tick label style={font=\scriptsize}, "
         r"label style={font=\scriptsize}, title style={font=\scriptsize}, "
         f"ymin={FLOOR:g}, legend style={{font=\\scriptsize}}]"]
for i, (o, d) in enumerate(panels):
    leg = ", legend to name=accumgemmlegend, legend columns=4" if i == 0 else ""
    lines.append(r"\nextgroupplot[title={" + f"{o}, {d} operands" + "}" + leg + "]")
    for j, m in enumerate(ACC["acc_m"]):
        for p in GE["promote"]:
            sub = g[(g.dist == d) & (g.order == o) & (g.promote == p) & (g.acc_m == m)]
            coords = " ".join(f"({int(k)},{max(float(e), FLOOR):.6g})" for k, e in zip(sub.k, sub.rel_err))
            style = f"color={COLORS[j % len(COLORS)]}, mark=*, mark size=1pt" + \
                (", dashed" if p else "")
            lines.append(f"\\addplot[{style}] coordinates {{{coords}}};")
            if i == 0:
                lines.append(f"\\addlegendentry{{e{ae}m{m}" + (f", promote {p}" if p else "") + "}")
lines += [r"\end{groupplot}", r"\end{tikzpicture}", "", r"\ref{accumgemmlegend}", ""]
with open(f"{gen}/fig_accum_gemm.tex", "w") as fh:
    fh.write("\n".join(lines))

# the finding of (a): where swamping starts, with and without promotion
d0 = "positive" if "positive" in dists else dists[0]
seq = ta[ta.order == GE["orders"][0]]
p0, pp = min(GE["promote"]), max(GE["promote"])


def onset_text(p):
    parts = []
    for m in ACC["acc_m"]:
        v = seq[(seq.acc_m == m) & (seq.promote == p)][f"{d0}_onset"].iloc[0]
        parts.append(f"M={m}: " + ("none up to K=" + str(kmax) if math.isnan(v) else
                                   f"K={int(v)}" + (" (the smallest K run)" if v == min(GE["k"]) else "")))
    return "; ".join(parts)


err_p0 = {m: float(seq[(seq.acc_m == m) & (seq.promote == p0)][f"{d0}_err"].iloc[0]) for m in ACC["acc_m"]}
err_pp = {m: float(seq[(seq.acc_m == m) & (seq.promote == pp)][f"{d0}_err"].iloc[0]) for m in ACC["acc_m"]}
find_a = (f"With {GE['orders'][0]} summation of {d0} {lbio.tex_escape(GE['operands'])} products we find "
          f"swamping (at least {100 * ONSET:g}\\,\\% of additions lost) starts at {onset_text(p0)} without "
          f"promotion")
if pp != p0:
    better = sum(err_pp[m] < err_p0[m] for m in ACC["acc_m"])
    find_a += (f", and at {onset_text(pp)} with promotion every {pp}; promotion lowers the error "
               f"at K={kmax} for {better} of {len(ACC['acc_m'])} mantissa widths")
find_a += ". These GEMM numbers are deterministic (seeded inputs), not sampled."

# ---------------------------------------------------------------- (b) training
res = sm.params.results


def load(model, name):
    with lbio.open_results(f"{res}/train/{model}/{name}.h5") as f:
        ep = f["epochs"]
        classes = int(f.attrs["classes"]) if "classes" in f.attrs else 10
        macs = int(f.attrs.get("gemm_macs", 0))
        return {"acc": lbio.final_acc(ep["test_acc"][:], LAST), "loss": float(ep["train_loss"][-1]),
                "epochs": int(len(ep["epoch"][:])), "train_n": int(f.attrs["train_examples"]),
                "gemm": lbio.h5attr(f, "gemm", "fp32"),
                "swamped": int(f.attrs.get("gemm_underflows", 0)) / macs if macs else math.nan,
                "overflows": int(f.attrs.get("gemm_overflows", 0)),
                "dataset": lbio.h5attr(f, "dataset", ""), "diverged": lbio.diverged(ep, classes),
                **{r: lbio.h5attr(f, f"{r.lower()}_format", "") for r in "WAEG"}}


def energy_uj(model, name):
    """pJ per training iteration (compute + memory, the `total` row) in microjoules."""
    e = pd.read_csv(f"{res}/energy/{model}/{name}.csv")
    t = e[e.layer == "total"].iloc[0]
    return (float(t.compute_pj) + float(t.memory_pj)) / 1e6


def seeds_of(model, name):
    return [n for n in RUNS[model] if n == name or re.fullmatch(re.escape(name) + r"_s\d+", n)]


def ms(v):
    return "--" if not v else f"{v[0]:.2f}" if len(v) == 1 else \
        f"{np.mean(v):.2f} $\\pm$ {np.std(v, ddof=1):.2f}"


fo = TR["fpacc_operands"]
rows = []
for model, runs in RUNS.items():
    for name in runs:
        if SEED_RE.search(name):
            continue
        rs = [load(model, n) for n in seeds_of(model, name)]
        r0 = rs[0]
        is_acc = r0["gemm"].startswith("fpacc")
        accs = [x["acc"] for x in rs]
        rows.append({
            "model": model, "run": name, "operands": name.split("_e")[0] if is_acc else name,
            "accumulator": (f"e{ae}m{spec_key(r0['gemm'], 'acc').split('m')[-1]}" if is_acc
                            else "FP32 (float GEMM)"),
            "acc_m": int(spec_key(r0["gemm"], "acc").split("m")[-1]) if is_acc else 23,
            "promote": int(spec_key(r0["gemm"], "promote")) if is_acc else 0,
            "seeds": len(rs), "test_acc": float(np.mean(accs)),
            "test_sd": float(np.std(accs, ddof=1)) if len(accs) > 1 else math.nan,
            "acc_text": ms(accs), "diverged": sum(x["diverged"] for x in rs),
            "swamped": r0["swamped"], "overflows": r0["overflows"],
            "energy_uj": energy_uj(model, name), "epochs": r0["epochs"], "train_n": r0["train_n"],
            "roles": f"{r0['W']} / {r0['A']} / {r0['E']} / {r0['G']}"})
tt = pd.DataFrame(rows)
m0 = next(iter(RUNS))
r_ref = tt[(tt.model == m0) & (tt.run == fo)].iloc[0]
tex_t = tt.copy()
tex_t["run"] = [r + (" (div.)" if d else "") for r, d in zip(tt.run, tt.diverged)]
lbio.write_table(
    tex_t, f"{gen}/accum_train",
    [("model", "model"), ("run", "run"), ("accumulator", "accumulator"), ("promote", "promote"),
     ("seeds", "seeds"), ("acc_text", "test acc.\\ \\%"), ("swamped", "swamped"),
     ("energy_uj", "$\\mu$J/iter.")],
    caption=(f"Accumulation (b): test accuracy (mean $\\pm$ sd over the seeds listed) with the "
             f"operand formats of each set (run name; {lbio.tex_escape(fo)}: W, A "
             f"{lbio.tex_escape(r_ref['roles'].split(' / ')[0])}, E, G "
             f"{lbio.tex_escape(r_ref['roles'].split(' / ')[2])}) and float GEMMs (FP32 "
             f"accumulation), or the {lbio.tex_escape(fo)} operands with every GEMM (forward, "
             f"backward-data, backward-weight) summed bit-true in e{ae}m$M$ (fpacc, alignment "
             f"{ACC['align']}) with FP32 promotion every \\emph{{promote}} products; "
             f"{r_ref['epochs']} epoch(s) on {r_ref['train_n']} examples of "
             f"{lbio.tex_escape(load(m0, fo)['dataset'])}. \\emph{{Swamped}}: fraction of the "
             "run's additions that left the sum unchanged (first seed). $\\mu$J/iter.: modelled "
             f"energy per training iteration ({lbio.tex_escape(sm.params.units)} units; "
             "Section~\\ref{sec:energy}). (div.): diverged."),
    label="tab:accum-train",
    fmt={"promote": lambda v: str(v) if v else "--", "acc_text": str,
         "swamped": lambda v: "--" if math.isnan(v) else f"{100 * v:.2f}\\,\\%",
         "energy_uj": lambda v: f"{v:.1f}"})

# the finding of (b): each headline accumulator vs the FP32-accumulation reference, paired
finds = []
for m in TR.get("seed_m", []):
    for p in TR["promote"]:
        name = f"{fo}_e{ae}m{m}_p{p}"
        ref, cur = seeds_of(m0, fo), seeds_of(m0, name)
        diffs = [load(m0, b)["acc"] - load(m0, a)["acc"] for a, b in zip(ref, cur)]
        mean, lo, hi, n = verdict.interval(diffs, "paired", 0.0)
        where = ("promoted every " + str(p)) if p else "without promotion"
        if n >= 2:
            state = ("within the seed spread (inconclusive)" if lo <= 0 <= hi else
                     "a loss" if hi < 0 else "a gain")
            finds.append(f"e{ae}m{m} {where}: {mean:+.2f} points vs FP32 accumulation, 95\\,\\% "
                         f"interval [{lo:+.2f}, {hi:+.2f}] over {n} paired seeds, {state}")
        else:
            finds.append(f"e{ae}m{m} {where}: {mean:+.2f} points vs FP32 accumulation (one seed: "
                         "inconclusive)")
mine = tt[(tt.model == m0) & (tt.run.str.startswith(fo + "_e"))]
div = list(mine[mine.diverged > 0].run)
no_p = mine[mine.promote == min(TR["promote"])].sort_values("acc_m")
find_b = (f"On {lbio.tex_escape(m0)} we find: " + ("; ".join(finds) if finds else
          "no headline accumulator was repeated over seeds (single runs: inconclusive)") + ". ")
find_b += (f"Without promotion the test accuracy goes from {no_p.test_acc.iloc[0]:.2f}\\,\\% "
           f"(e{ae}m{int(no_p.acc_m.iloc[0])}) to {no_p.test_acc.iloc[-1]:.2f}\\,\\% "
           f"(e{ae}m{int(no_p.acc_m.iloc[-1])}) against {r_ref['test_acc']:.2f}\\,\\% with FP32 "
           f"accumulation (means over each run's seeds; a difference below the seed spread of "
           f"the headline pairs is not a finding). ")
find_b += ("Diverged: " + ", ".join(lbio.tex_escape(d) for d in div) + "." if div else
           "No accumulator run diverged.")

# ---------------------------------------------------------------- (c) P3 formats
p3res = sm.params.p3_results
rows = []


def bits_per_element(spec):
    return lbio.bits_per_element(sm.input.lowbit, spec)


for path in sm.input.p3:
    model, name = path.split(os.sep)[-2], os.path.splitext(os.path.basename(path))[0]
    with lbio.open_results(path) as f:
        ep = f["epochs"]
        classes = int(f.attrs["classes"]) if "classes" in f.attrs else 10
        rows.append({"model": model, "format": name, "W": lbio.h5attr(f, "w_format", ""),
                     "E": lbio.h5attr(f, "e_format", ""),
                     "test_acc": lbio.final_acc(ep["test_acc"][:], LAST),
                     "diverged": lbio.diverged(ep, classes), "epochs": int(len(ep["epoch"][:]))})
tp = pd.DataFrame(rows)
if len(tp):
    tp["bits"] = [bits_per_element(w) for w in tp.W]
    ref = {mo: float(tp[(tp.model == mo) & (tp.format == "fp32")].test_acc.iloc[0])
           for mo in tp.model.unique() if ((tp.model == mo) & (tp.format == "fp32")).any()}
    tp["delta"] = [a - ref[mo] if mo in ref else math.nan for mo, a in zip(tp.model, tp.test_acc)]
    order = {n: i for i, n in enumerate(ACC["p3_formats"])}
    tp = tp.sort_values(["model", "format"], key=lambda c: c.map(order) if c.name == "format" else c)
    tex_p = tp.copy()
    tex_p["format"] = [f + (" (div.)" if d else "") for f, d in zip(tp.format, tp.diverged)]
    lbio.write_table(
        tex_p, f"{gen}/accum_p3",
        [("model", "model"), ("format", "format"), ("bits", "bits/elem"), ("test_acc", "test acc.\\ \\%"),
         ("delta", "vs FP32")],
        caption=("Accumulation (c): the element formats of the P3 matrix (Table~\\ref{tab:p3a}: "
                 "A, W, E quantized, float GEMMs, E rounded as there), first seed: MLS E2M1/E2M4 "
                 "(groups of 16 with 8-bit group exponents), NVFP4 (E2M1 in blocks of 16, E4M3 "
                 "block scales, FP32 tensor scale), OCP MXFP4 (E2M1 in blocks of 32, E8M0 scales) "
                 "and FP8 E4M3. Bits/elem include amortised scale bits."),
        label="tab:accum-p3",
        fmt={"bits": lambda v: f"{v:.2f}", "test_acc": lambda v: f"{v:.2f}",
             "delta": lambda v: "--" if math.isnan(v) else f"{v:+.2f}"})
    parts = []
    for mo in tp.model.unique():
        s = tp[(tp.model == mo) & (tp.format != "fp32")]
        parts.append(f"{lbio.tex_escape(mo)}: " + ", ".join(
            f"{lbio.tex_escape(f)} {d:+.2f}" for f, d in zip(s.format, s.delta)))
    find_c = ("Against FP32 (points, one seed each, so differences of about a point are within "
              "run-to-run noise) we find " + "; ".join(parts) + ".")
else:
    with open(f"{gen}/accum_p3.tex", "w") as fh:
        fh.write("% no P3 runs of accum.p3_formats in this configuration\n")
    pd.DataFrame(columns=["model", "format", "test_acc"]).to_csv(f"{gen}/accum_p3.csv", index=False)
    find_c = "The P3 matrix of this configuration has none of the listed formats."

# ---------------------------------------------------------------- (d) frontier
fr = tt[["model", "run", "operands", "accumulator", "promote", "seeds", "test_acc", "test_sd",
         "diverged", "energy_uj"]].copy()
fr["pareto"] = False
for mo in fr.model.unique():
    idx = fr[(fr.model == mo) & (fr.diverged == 0)].index
    for i in idx:
        dominated = any(fr.at[j, "energy_uj"] <= fr.at[i, "energy_uj"] and
                        fr.at[j, "test_acc"] >= fr.at[i, "test_acc"] and
                        (fr.at[j, "energy_uj"] < fr.at[i, "energy_uj"] or
                         fr.at[j, "test_acc"] > fr.at[i, "test_acc"]) for j in idx if j != i)
        fr.at[i, "pareto"] = not dominated
fr = fr.sort_values(["model", "energy_uj"])
tex_f = fr.copy()
tex_f["run"] = [r + (" (div.)" if d else "") for r, d in zip(fr.run, fr.diverged)]
lbio.write_table(
    tex_f, f"{gen}/accum_frontier",
    [("model", "model"), ("run", "run"), ("accumulator", "accumulator"), ("promote", "promote"),
     ("energy_uj", "$\\mu$J/iter."), ("test_acc", "test acc.\\ \\%"), ("pareto", "Pareto")],
    caption=("Accumulation (d): every (operand format, accumulator) training point of (b) by "
             "modelled energy per iteration (the run's own datapath: its formats' MAC with FP32 "
             "accumulation for float GEMMs, the fpacc accumulator, promotion included, for the "
             f"bit-true runs; {lbio.tex_escape(sm.params.units)} units) and test accuracy (mean over "
             "its seeds). Pareto: no other non-diverged run of the model is at least as cheap and "
             "at least as accurate (and better in one)."),
    label="tab:accum-frontier",
    fmt={"promote": lambda v: str(v) if v else "--", "energy_uj": lambda v: f"{v:.1f}",
         "test_acc": lambda v: f"{v:.2f}", "pareto": lambda v: "$\\bullet$" if v else ""})

f0 = fr[fr.model == m0]
lines = [r"\begin{tikzpicture}",
         r"\begin{axis}[width=0.9\linewidth, height=6.5cm, xmode=log, log ticks with fixed point, xlabel={modelled energy per iteration "
         r"($\mu$J)}, ylabel={test accuracy (\%)}, grid=major, grid style={gray!25}, "
         r"tick label style={font=\scriptsize}, label style={font=\small}, "
         r"legend pos=south east, legend style={font=\scriptsize}, "
         r"nodes near coords, point meta=explicit symbolic, "
         r"every node near coord/.style={font=\tiny, anchor=west}]"]
for lab, sel, style in (("float GEMM (FP32 acc.)", ~f0.run.str.startswith(fo + "_e"), "mark=square*, blue"),
                        (f"{fo} + fpacc", f0.run.str.startswith(fo + "_e"), "mark=*, red")):
    s = f0[sel & (f0.diverged == 0)]
    if len(s):
        coords = " ".join(f"({e:.6g},{a:.6g}) [{lbio.tex_escape(r.replace(fo + '_', ''))}]"
                          for e, a, r in zip(s.energy_uj, s.test_acc, s.run))
        lines.append(f"\\addplot[only marks, {style}, mark size=1.6pt] coordinates {{{coords}}};")
        lines.append(f"\\addlegendentry{{{lbio.tex_escape(lab)}}}")
par = f0[f0.pareto].sort_values("energy_uj")
coords = " ".join(f"({e:.6g},{a:.6g}) []" for e, a in zip(par.energy_uj, par.test_acc))
lines.append(f"\\addplot[black, thick, mark=o, mark size=3pt] coordinates {{{coords}}};")
lines.append(r"\addlegendentry{Pareto set}")
lines += [r"\end{axis}", r"\end{tikzpicture}", ""]
with open(f"{gen}/fig_accum_frontier.tex", "w") as fh:
    fh.write("\n".join(lines))
sds = tt[(tt.model == m0) & (tt.seeds > 1)].test_sd.dropna()
steps = np.diff(par.test_acc.to_numpy())
find_d = (f"On {lbio.tex_escape(m0)} we find the Pareto set " +
          ", ".join(f"{lbio.tex_escape(r)} ({e:.1f}\\,$\\mu$J, {a:.2f}\\,\\%)"
                    for r, e, a in zip(par.run, par.energy_uj, par.test_acc)) + ". ")
if len(steps) and len(sds):
    below = int(np.sum(steps < sds.max()))
    find_d += (f"Of its {len(steps)} accuracy steps, {below} are smaller than the largest seed sd "
               f"of the repeated runs ({sds.max():.2f} points): along those the order by accuracy "
               "is not established, only the order by energy (deterministic).")
else:
    find_d += "No run was repeated over seeds, so the accuracy order along it is not established."

with open(f"{gen}/accum_macros.tex", "w") as fh:
    r0 = tt.iloc[0]
    fh.write(macro("lbAccEpochs", r0.epochs) + macro("lbAccTrainN", r0.train_n) +
             macro("lbAccSeeds", ", ".join(map(str, TR["seeds"]))) +
             macro("lbAccE", ae) + macro("lbAccAlign", ACC["align"]) +
             macro("lbAccKmax", kmax) + macro("lbAccFindGemm", find_a) +
             macro("lbAccFindTrain", find_b) + macro("lbAccFindPthree", find_c) +
             macro("lbAccFindFrontier", find_d) +
             macro("lbAccSmoke", "This is a smoke-scale run: the numbers exercise the pipeline "
                   "and are not findings." if SMOKE else ""))
