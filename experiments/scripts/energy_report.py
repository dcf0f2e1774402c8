"""The hardware cost model in the report (snakemake script): runs `lowbit energy` on the runs
of the P1 and P3 experiments as they were simulated (each run's operand formats, and the widths
of its --gemm kernel for a bit-true run: `lowbit energy RUN.h5` reads them from the run), on the
FP32 training runs' op counts under other format assignments (--formats), and on single MACs,
for every unit table, and writes the P1(d), P2(c), P3(c) tables, a calibration table, a
breakdown figure and one verdict per claim. Published figures come from
experiments/data/published_figures.csv and energy_model/calibration.csv; nothing is typed from
a paper.

Verdicts: claims P1d_*, P2c_*, P3c_* of experiments/claims.yaml, decided by verdict.py over
every unit table and, for the FP8/FP16 references, every accumulator of
config energy.fp_accumulators (tables or accumulators that disagree give "inconclusive"). P1(d)
and P3(c) are priced from the simulated runs' own datapath (run condition datapath: simulated);
the FP8/FP16 references that no run simulated are the same op counts with those formats."""
import io
import os
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
LB = sm.input.lowbit
EN = sm.params.energy
tables = {os.path.basename(p)[:-4]: p for p in sm.input.units}
plt.rcParams.update({"font.size": 8, "figure.dpi": 150})
pub = pd.read_csv(sm.input.published, comment="#")


BUF = ["--buffer", str(EN.get("buffer_bytes", 4096))]
ACCS = list(EN.get("fp_accumulators", ["fp32", "fp16"]))


def lowbit_energy(args, units):
    """`lowbit energy ... --csv -`: a run's per-row table (its compute, memory and total from the
    last row, "total") or one MAC's row, as a dict of floats."""
    extra = BUF if "--mac" not in args else []
    out = lbio.run_lowbit(LB, ["energy"] + args + extra + ["--units", units, "--csv", "-"]).decode()
    df = pd.read_csv(io.StringIO(out))
    if "layer" in df:
        tot = df[df.layer == "total"].iloc[0]
        return {"compute": float(tot.compute_pj), "memory": float(tot.memory_pj),
                "total": float(tot.compute_pj) + float(tot.memory_pj)}
    return {c: float(df[c].iloc[0]) for c in ("multiply_pj", "accumulate_pj", "other_pj",
                                               "energy_pj", "area_um2")}


def pubval(paper, quantity, setup=None):
    q = pub[(pub.paper == paper) & (pub.quantity == quantity)]
    if setup:
        q = q[q.setup == setup]
    return q.value.astype(float).tolist()


claims = lbio.Claims(sm.input.ledger, sm.params.scale)
DATAPATH = "simulated"  # P1(d), P3(c): the runs' own formats and kernel widths


def fmt_args(s, acc=None):
    return ["--formats", f"w={s['W']},a={s['A']},e={s['E']}"] + (["--acc", acc] if acc else [])

# ---------------------------------------------------------------- format sets (training runs)
sets = EN["format_sets"]
rows = []
for run in sm.input.runs:
    model = os.path.basename(run).split("_")[0]
    for tname, tpath in tables.items():
        for sname, s in sets.items():
            kv = lowbit_energy([run] + fmt_args(s), tpath)
            rows.append({"model": model, "units": tname, "set": sname, "compute_pj": kv["compute"],
                         "memory_pj": kv["memory"], "total_pj": kv["total"]})
it = pd.DataFrame(rows)
it.to_csv(f"{gen}/energy_iteration.csv", index=False)
lns, ref = EN["lns_set"], EN["reference_sets"]
sp = []
for (model, tname), g in it.groupby(["model", "units"], sort=False):
    g = g.set_index("set")
    row = {"model": model, "units": tname}
    for r in ref:
        row[f"lns_over_{r}"] = 100 * g.loc[lns, "total_pj"] / g.loc[r, "total_pj"]
    sp.append(row)
sp = pd.DataFrame(sp)
pct = lambda v: f"{v:.1f}"  # noqa: E731
lbio.write_table(
    sp, f"{gen}/energy_sets", [("model", "model"), ("units", "unit table")]
    + [(f"lns_over_{r}", f"{lbio.tex_escape(lns)}/{lbio.tex_escape(r)} \\%") for r in ref],
    caption=("Format assignments on the op counts of the FP32 training baselines (float GEMMs, "
             "each format's MAC model at its documented defaults, FP32 accumulation): energy per "
             "iteration, compute plus SRAM traffic, of " + lbio.tex_escape(lns) + " relative to "
             "the others. A sensitivity view; the P1(d) verdict uses the P1 runs below."),
    label="tab:energysets", fmt={f"lns_over_{r}": pct for r in ref})

# ---------------------------------------------------------------- P1(d): the P1 runs
p1runs = {os.path.basename(p)[:-3]: p for p in sm.input.p1_runs}
lns_runs = [n for n in (f"{sm.params.p1_head}_bittrue", sm.params.p1_head) if n in p1runs]
p1 = []
for name in lns_runs:
    for tname, tpath in tables.items():
        own = lowbit_energy([p1runs[name]], tpath)  # the run's own datapath
        fp32 = lowbit_energy([p1runs["fp32"]], tpath) if "fp32" in p1runs else \
            lowbit_energy([p1runs[name]] + fmt_args(sets["fp32"]), tpath)
        for acc in ACCS:
            row = {"run": name, "units": tname, "acc": acc, "lns_pj": own["total"],
                   "lns_over_fp32": 100 * own["total"] / fp32["total"],
                   "lns_over_fp32_compute": 100 * own["compute"] / fp32["compute"]}
            for r in ref:
                if r == "fp32":
                    continue
                v = lowbit_energy([p1runs[name]] + fmt_args(sets[r], acc), tpath)
                row[f"lns_over_{r}"] = 100 * own["total"] / v["total"]
                row[f"lns_over_{r}_compute"] = 100 * own["compute"] / v["compute"]
            p1.append(row)
p1 = pd.DataFrame(p1)
cols = [("run", "LNS-Madam run"), ("units", "unit table"), ("acc", "FP8/16 acc.")]
for r in ref:
    cols += [(f"lns_over_{r}", f"LNS/{lbio.tex_escape(r)} \\%"), (f"lns_over_{r}_compute", "compute")]
pub_fp32 = pub[(pub.paper == "P1") & (pub.quantity == "lns_over_fp32")]
lbio.write_table(
    p1, f"{gen}/energy_p1", cols,
    caption=("P1(d): energy per training iteration (compute plus SRAM traffic, and compute alone) "
             "of the P1(a) LNS-Madam runs priced with the datapath each simulated (the bit-true "
             "run: its lns-binned kernel's accumulator and table widths; the fake-quantized run: "
             "the format's defaults, which are the kernel's), relative to the P1(a) FP32 run and to "
             "the same op counts in FP16 and FP8 with an FP32 or an FP16 accumulator. Published "
             "LNS/FP32: " + ", ".join(f"{s} {v:g}\\,\\%" for s, v in zip(pub_fp32.setup, pub_fp32.value))
             + " (digitized)."),
    label="tab:energyp1", fmt={c: pct for c, _ in cols[3:]})
if not p1.empty:
    head = p1[p1.run == lns_runs[0]]
    for cid, col, over_acc in (("P1d_fp32", "lns_over_fp32", False), ("P1d_fp8", "lns_over_fp8", True)):
        if col not in head:
            continue
        g = head if over_acc else head.drop_duplicates("units")
        claims.judge(cid, list(100 - g[col]), {"datapath": DATAPATH},
                     f"ours ({lbio.tex_escape(lns_runs[0])}): " + "; ".join(
                         f"{lbio.tex_escape(r.units)}" + (f", {r.acc} acc." if over_acc else "")
                         + f" {100 - getattr(r, col):.1f}\\,\\%" for r in g.itertuples()) + " less")

# ---------------------------------------------------------------- P2(c): MAC vs fixed point
p2 = []
for tname, tpath in tables.items():
    for t, f in EN["lns_widths"]:
        fixed = lowbit_energy(["--mac", f"mac:int,bits={t}"], tpath)
        for approx in ("pwl", "lut"):
            l = lowbit_energy(["--mac", f"mac:lns-{approx},bits={t},frac={f}"], tpath)
            p2.append({"units": tname, "width": f"{t}/{f}", "approx": approx,
                       "lns_pj": l["energy_pj"], "fixed_pj": fixed["energy_pj"],
                       "lns_um2": l["area_um2"], "fixed_um2": fixed["area_um2"],
                       "energy_reduction": 100 * (1 - l["energy_pj"] / fixed["energy_pj"]),
                       "area_reduction": 100 * (1 - l["area_um2"] / fixed["area_um2"])})
p2 = pd.DataFrame(p2)
lbio.write_table(
    p2, f"{gen}/energy_p2",
    [("units", "unit table"), ("width", "T/F"), ("approx", "$\\Delta$"), ("lns_pj", "LNS pJ"),
     ("fixed_pj", "fixed pJ"), ("energy_reduction", "energy $-$\\%"), ("lns_um2", "LNS $\\mu$m$^2$"),
     ("fixed_um2", "fixed $\\mu$m$^2$"), ("area_reduction", "area $-$\\%")],
    caption=("P2(c): one LNS MAC (log-domain product and PWL or LUT addition) vs a fixed-point MAC "
             "of the same total width $T$ (multiplier $T\\times T$, accumulator $2T+8$ bits). "
             "Published: up to " + ", ".join(f"{v:g}\\,\\% {q.split('_')[0]}" for q, v in zip(
                 pub[(pub.paper == 'P2') & (pub.experiment == 'mac_cost')].quantity,
                 pub[(pub.paper == 'P2') & (pub.experiment == 'mac_cost')].value)) + " less."),
    label="tab:energyp2", fmt={c: (lambda v: f"{v:.3g}") for c in ("lns_pj", "fixed_pj", "lns_um2", "fixed_um2")}
    | {c: pct for c in ("energy_reduction", "area_reduction")})
hp = p2[p2.approx == "pwl"]
for cid, col in (("P2c_area", "area_reduction"), ("P2c_energy", "energy_reduction")):
    best = hp.groupby("units")[col].max()
    claims.judge(cid, list(best), {},
                 "best PWL saving per unit table: " + ", ".join(
                     f"{lbio.tex_escape(u)} {v:.1f}\\,\\%" for u, v in best.items()) + " (widths "
                 + ", ".join(dict.fromkeys(hp.width)) + ")")

# ---------------------------------------------------------------- P3(c): single MACs
p3m = []
for tname, tpath in tables.items():
    base = {"fp32": lowbit_energy(["--mac", "fp32"], tpath)["energy_pj"]}
    for acc in ACCS:
        base[f"fp8_{acc}"] = lowbit_energy(["--mac", "fp8_e4m3", "--acc", acc], tpath)["energy_pj"]
    for name, spec in EN["block_macs"].items():
        v = lowbit_energy(["--mac", spec], tpath)
        row = {"units": tname, "format": name, "spec": spec, "pj": v["energy_pj"],
               "vs_fp32": base["fp32"] / v["energy_pj"]}
        for acc in ACCS:
            row[f"vs_fp8_{acc}"] = base[f"fp8_{acc}"] / v["energy_pj"]
        p3m.append(row)
p3m = pd.DataFrame(p3m)
x2 = lambda v: f"{v:.2f}"  # noqa: E731
lbio.write_table(
    p3m, f"{gen}/energy_p3_mac",
    [("units", "unit table"), ("format", "format"), ("pj", "pJ/MAC"), ("vs_fp32", "vs FP32 $\\times$")]
    + [(f"vs_fp8_{a}", f"vs FP8, {a} acc. $\\times$") for a in ACCS],
    caption=("One MAC (compute only, per-group work amortized, widths at the bit-true kernel's "
             "defaults) in MLS and MX formats relative to an FP32 MAC and to an FP8 (E4M3) MAC "
             "accumulating in FP32 or FP16."),
    label="tab:energyp3mac", fmt={"pj": lambda v: f"{v:.3f}", "vs_fp32": x2}
    | {f"vs_fp8_{a}": x2 for a in ACCS})

# ---------------------------------------------------------------- P3(c): per model, the P3 runs
head_name, ref_name = EN["mls_headline"], sm.params.mls_reference
fp8_name = EN.get("p3_fp8_baseline", "fp8_e4m3")
byrun = {}
for p in sm.input.p3_runs:
    parts = p.split(os.sep)
    byrun[(parts[-3], parts[-2], parts[-1][:-3])] = p  # (exp, model, name)
p3 = []
for (exp, model, name), path in byrun.items():
    if not (exp == "a" and name == head_name) and not (exp == "bt" and name == "bit_true"):
        continue
    r32, r8 = byrun.get(("a", model, ref_name)), byrun.get(("a", model, fp8_name))
    for tname, tpath in tables.items():
        own = lowbit_energy([path], tpath)
        e32 = lowbit_energy([r32] if r32 else [path, "--formats", "w=fp32,a=fp32,e=fp32"], tpath)
        for acc in ACCS:
            e8 = lowbit_energy(([r8] if r8 else [path, "--formats", "w=fp8_e4m3,a=fp8_e4m3,e=fp8_e5m2"])
                               + ["--acc", acc], tpath)
            p3.append({"model": model, "run": f"{head_name}" if exp == "a" else "bit-true mls",
                       "units": tname, "acc": acc, "mls_pj": own["total"],
                       "vs_fp32": e32["total"] / own["total"],
                       "vs_fp32_compute": e32["compute"] / own["compute"],
                       "vs_fp8": e8["total"] / own["total"],
                       "vs_fp8_compute": e8["compute"] / own["compute"]})
p3 = pd.DataFrame(p3)
lo32, hi32 = pubval("P3", "gain_min", "vs FP32"), pubval("P3", "gain_max", "vs FP32")
lo8, hi8 = pubval("P3", "gain_min", "vs FP8"), pubval("P3", "gain_max", "vs FP8")
lbio.write_table(
    p3, f"{gen}/energy_p3",
    [("model", "model"), ("run", "run"), ("units", "unit table"), ("acc", "FP8 acc."),
     ("vs_fp32", "vs FP32 $\\times$"), ("vs_fp32_compute", "compute"),
     ("vs_fp8", "vs FP8 $\\times$"), ("vs_fp8_compute", "compute")],
    caption=("P3(c): energy efficiency per training iteration (compute plus SRAM traffic, and "
             "compute alone) of the P3 runs, every layer at the format it ran in (unquantized "
             "layers at theirs), priced with the datapath each simulated (fake-quantized: MLS "
             "MAC at the kernel's default widths; bit-true: the mls kernel's widths), relative to "
             "the FP32 and FP8 baseline runs of the same model, FP8 accumulating in FP32 or FP16."
             + (f" Published: {lo32[0]:g}--{hi32[0]:g}$\\times$ vs FP32, {lo8[0]:g}--{hi8[0]:g}"
                "$\\times$ vs FP8." if lo32 and hi32 and lo8 and hi8 else "")),
    label="tab:energyp3", fmt={c: x2 for c in ("vs_fp32", "vs_fp32_compute", "vs_fp8", "vs_fp8_compute")})
hm = p3[p3.run == head_name] if not p3.empty else p3
for cid, col, over_acc in (("P3c_fp32", "vs_fp32", False), ("P3c_fp8", "vs_fp8", True)):
    if hm.empty:
        continue
    g = hm if over_acc else hm.drop_duplicates(["model", "units"])
    claims.judge(cid, list(g[col]), {"datapath": DATAPATH},
                 f"ours, {lbio.tex_escape(head_name)} runs: " + "; ".join(
                     f"{r.model} {lbio.tex_escape(r.units)}" + (f", {r.acc} acc." if over_acc else "")
                     + f" {getattr(r, col):.2f}$\\times$" for r in g.itertuples()))

# ---------------------------------------------------------------- calibration
cal = pd.read_csv(sm.input.calibration, comment="#")
chk = []
for tname, tpath in tables.items():
    for c in cal.itertuples():
        v = lowbit_energy(["--mac", c.mac], tpath)["energy_pj"]
        cited = c.pj == c.pj  # not NaN
        chk.append({"units": tname, "family": c.family, "mac": c.mac, "model_pj": v,
                    "published_pj": c.pj if cited else float("nan"),
                    "ratio": v / c.pj if cited else float("nan"),
                    "source": c.source, "cite": str(c.source).split(":")[0]})
chk = pd.DataFrame(chk)
num = lambda v: "--" if v != v else f"{v:.3g}"  # noqa: E731
lbio.write_table(
    chk, f"{gen}/energy_check",
    [("units", "unit table"), ("family", "family"), ("model_pj", "composed pJ"),
     ("published_pj", "published pJ"), ("ratio", "ratio"), ("cite", "source")],
    caption=("Calibration: our composed MAC per family (energy\\_model/calibration.csv gives the "
             "MAC spec priced) beside a published multiply-plus-add figure where we can cite one. "
             "The cited figures come from the same keynote as the Horowitz unit table, so for "
             "that table they check the composition (floating point: no rounding or exception "
             "logic, hence ratios below 1), not independent silicon. None cited: the LNS-Madam, "
             "QAA-LNS and MLS papers report their hardware gains relative to FP32, FP8 or fixed "
             "point, with no absolute MAC energy we can quote, and we know of no synthesized MX MAC "
             "energy we could attribute (the CSV's source column says which figure each row adds)."),
    label="tab:energycheck", fmt={"model_pj": num, "published_pj": num, "ratio": num,
                                  "cite": lambda v: lbio.tex_escape(str(v))})

# ---------------------------------------------------------------- figure: breakdown
fig, ax = plt.subplots(1, len(tables), figsize=(7.2, 2.6), squeeze=False)
models = list(dict.fromkeys(it.model))
for j, tname in enumerate(tables):
    g = it[it.units == tname]
    x = np.arange(len(sets))
    w = 0.8 / max(1, len(models))
    for i, m in enumerate(models):
        gm = g[g.model == m].set_index("set").loc[list(sets)]
        base = gm.loc[ref[0], "total_pj"]
        ax[0][j].bar(x + i * w, gm.compute_pj / base, w, label=f"{m} compute" if j == 0 else None,
                     color=f"C{i}")
        ax[0][j].bar(x + i * w, gm.memory_pj / base, w, bottom=gm.compute_pj / base, color=f"C{i}",
                     alpha=0.4, label=f"{m} memory" if j == 0 else None)
    ax[0][j].set_xticks(x + 0.4 - w / 2, list(sets), rotation=30)
    ax[0][j].set(ylabel=f"energy / {ref[0]} total", title=tname)
    ax[0][j].grid(alpha=0.3, axis="y")
ax[0][0].legend(fontsize=5)
fig.tight_layout()
fig.savefig(f"{gen}/fig_energy.pdf")

claims.write(f"{gen}/energy_verdicts.tex")
with open(f"{gen}/energy_macros.tex", "w") as fh:
    fh.write(f"\\newcommand{{\\lbEnPrimary}}{{{lbio.tex_escape(EN['primary_units'])}}}\n")
    fh.write(f"\\newcommand{{\\lbEnTables}}{{{lbio.tex_escape(', '.join(tables))}}}\n")
    fh.write(f"\\newcommand{{\\lbEnBuffer}}{{{BUF[1]}}}\n")
    fh.write(f"\\newcommand{{\\lbEnAccs}}{{{lbio.tex_escape(', '.join(ACCS))}}}\n")
