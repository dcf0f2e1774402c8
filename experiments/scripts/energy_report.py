"""The hardware cost model in the report (snakemake script): runs `lowbit energy` on the FP32
training runs (their /ops counts, costed under other format assignments with --formats) and on
single MACs, for every unit table, and writes the P1(d), P2(c), P3(c) tables, a model check,
a breakdown figure and one verdict per claim. Published figures come from
experiments/data/published_figures.csv; nothing is typed from a paper.

Verdicts: claims P1d_*, P2c_*, P3c_* of experiments/claims.yaml, decided by verdict.py over
every unit table (two tables that disagree give "inconclusive: depends on the unit table").
P1(d) and P3(c) need the cost of the datapath the accuracy runs simulated; this script prices
the FP32 runs' operation counts under other format assignments (DATAPATH below), so those
verdicts read "not tested here" until the runs' own kernels are priced."""
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


def lowbit_energy(args, units):
    """`lowbit energy ... --csv -`: a run's per-row table (its compute, memory and total from the
    last row, "total") or one MAC's row, as a dict of floats."""
    out = lbio.run_lowbit(LB, ["energy"] + args + ["--units", units, "--csv", "-"]).decode()
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
DATAPATH = "format-only"  # what is priced: format assignments, not the simulated kernels

# ---------------------------------------------------------------- P1(d): per iteration
sets = EN["format_sets"]
rows = []
for run in sm.input.runs:
    model = os.path.basename(run).split("_")[0]
    for tname, tpath in tables.items():
        for sname, s in sets.items():
            kv = lowbit_energy([run, "--formats", f"w={s['W']},a={s['A']},e={s['E']}"], tpath)
            rows.append({"model": model, "units": tname, "set": sname, "compute_pj": kv["compute"],
                         "memory_pj": kv["memory"], "total_pj": kv["total"]})
it = pd.DataFrame(rows)
it.to_csv(f"{gen}/energy_iteration.csv", index=False)
lns, ref = EN["lns_set"], EN["reference_sets"]
p1 = []
for (model, tname), g in it.groupby(["model", "units"], sort=False):
    g = g.set_index("set")
    row = {"model": model, "units": tname}
    for r in ref:
        row[f"lns_over_{r}"] = 100 * g.loc[lns, "total_pj"] / g.loc[r, "total_pj"]
        row[f"lns_over_{r}_compute"] = 100 * g.loc[lns, "compute_pj"] / g.loc[r, "compute_pj"]
    p1.append(row)
p1 = pd.DataFrame(p1)
pct = lambda v: f"{v:.1f}"  # noqa: E731
cols = [("model", "model"), ("units", "unit table")]
for r in ref:
    cols += [(f"lns_over_{r}", f"LNS/{lbio.tex_escape(r)} \\%"), (f"lns_over_{r}_compute", "compute only")]
pub_fp32 = pub[(pub.paper == "P1") & (pub.quantity == "lns_over_fp32")]
lbio.write_table(
    p1, f"{gen}/energy_p1", cols,
    caption=("P1(d): energy per training iteration of LNS-Madam arithmetic ("
             + lbio.tex_escape(", ".join(f"{k}={v}" for k, v in sets[lns].items()))
             + ") relative to other formats, from the op counts of our FP32 runs (batch as trained), "
             "compute plus SRAM traffic and compute alone. Published LNS/FP32: "
             + ", ".join(f"{s} {v:g}\\,\\%" for s, v in zip(pub_fp32.setup, pub_fp32.value))
             + " (digitized)."),
    label="tab:energyp1", fmt={c: pct for c, _ in cols[2:]})
for cid, col in (("P1d_fp32", f"lns_over_{ref[0]}"), ("P1d_fp8", "lns_over_fp8")):
    if col not in p1:
        continue
    claims.judge(cid, list(100 - p1[col]), {"datapath": DATAPATH},
                 "ours: " + "; ".join(f"{lbio.tex_escape(u)}: " + ", ".join(
                     f"{m} {100 - v:.1f}\\,\\%" for m, v in zip(g.model, g[col]))
                     for u, g in p1.groupby("units")) + " less")

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

# ---------------------------------------------------------------- P3(c): MLS / MX efficiency
p3 = []
for tname, tpath in tables.items():
    base = {r: lowbit_energy(["--mac", r], tpath)["energy_pj"] for r in ("fp32", "fp8_e4m3")}
    for name, spec in EN["block_macs"].items():
        v = lowbit_energy(["--mac", spec], tpath)
        p3.append({"units": tname, "format": name, "spec": spec, "pj": v["energy_pj"],
                   "vs_fp32": base["fp32"] / v["energy_pj"], "vs_fp8": base["fp8_e4m3"] / v["energy_pj"]})
p3 = pd.DataFrame(p3)
lo32, hi32 = pubval("P3", "gain_min", "vs FP32"), pubval("P3", "gain_max", "vs FP32")
lo8, hi8 = pubval("P3", "gain_min", "vs FP8"), pubval("P3", "gain_max", "vs FP8")
lbio.write_table(
    p3, f"{gen}/energy_p3",
    [("units", "unit table"), ("format", "format"), ("pj", "pJ/MAC"), ("vs_fp32", "vs FP32 $\\times$"),
     ("vs_fp8", "vs FP8 $\\times$")],
    caption=(f"P3(c): energy efficiency of one MAC (compute only) in MLS and MX formats relative to "
             f"FP32 and FP8 (E4M3) MACs that accumulate in FP32. Published: {lo32[0]:g}--{hi32[0]:g}$\\times$ "
             f"vs FP32, {lo8[0]:g}--{hi8[0]:g}$\\times$ vs FP8." if lo32 and hi32 and lo8 and hi8 else
             "P3(c): energy efficiency of one MAC in MLS and MX formats."),
    label="tab:energyp3", fmt={"pj": lambda v: f"{v:.3f}", "vs_fp32": lambda v: f"{v:.2f}",
                               "vs_fp8": lambda v: f"{v:.2f}"})
hm = p3[p3.format == EN["mls_headline"]]
for cid, col in (("P3c_fp32", "vs_fp32"), ("P3c_fp8", "vs_fp8")):
    if hm.empty:
        continue
    claims.judge(cid, list(hm[col]), {"datapath": DATAPATH},
                 f"ours, one {lbio.tex_escape(EN['mls_headline'])} MAC: " + ", ".join(
                     f"{lbio.tex_escape(u)} {v:.2f}$\\times$" for u, v in zip(hm.units, hm[col])))

# ---------------------------------------------------------------- model check
chk = []
for tname, tpath in tables.items():
    units = pd.read_csv(tpath, comment="#")
    for fmt, mult, addr in (("fp16", "fp16_mult", "fp16_add"), ("fp32", "fp32_mult", "fp32_add")):
        v = lowbit_energy(["--mac", fmt], tpath)
        meas = units[units.primitive.isin([mult, addr])].energy_pj.sum()
        chk.append({"units": tname, "format": fmt, "model_pj": v["energy_pj"], "published_pj": meas,
                    "ratio": v["energy_pj"] / meas})
chk = pd.DataFrame(chk)
lbio.write_table(
    chk, f"{gen}/energy_check",
    [("units", "unit table"), ("format", "MAC"), ("model_pj", "composed pJ"),
     ("published_pj", "published mult + add pJ"), ("ratio", "ratio")],
    caption=("Model check: our composed floating-point MAC (accumulating in FP32) against the "
             "published floating-point multiplier plus adder of the same table. The composition "
             "omits rounding and exception logic: with the Horowitz table it under-estimates the FP "
             "units (ratio below 1), which makes the savings of LNS, MLS and MX against FP above "
             "conservative; a table with a costlier multiplier over-estimates them."),
    label="tab:energycheck", fmt={"model_pj": lambda v: f"{v:.2f}", "published_pj": lambda v: f"{v:.2f}",
                                  "ratio": lambda v: f"{v:.2f}"})

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
