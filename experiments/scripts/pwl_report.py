"""P2(a) (bitwidth-specific PWL LNS addition) for the report (snakemake script): max and mean
|error| of Δ+ and Δ- per bit-width and approximation, over every integer code d in
[0, 16·2^F) (Δ- from d = 1: d = 0 is the exact cancellation), against double-precision
log2(1 ± 2^-x), x = d / 2^F; a figure of the error over d; the verdict.

Everything comes from `lowbit lns-delta` (the library's tables, bit for bit). "pwl:bitwidth"
means the published table of the same bit-width (config T/F of the table file); "pwl:ours"
our table from `lowbit pwl-fit` (rule pwl_fit), reported beside them, not part of the verdict.

The verdict (claim P2a of experiments/claims.yaml, decided by verdict.py): the share of
(bit-width, statistic) pairs, statistic = worst-case error (max over Δ+ and Δ-) or mean error
(mean of the Δ+ and Δ- means), where the bitwidth-specific table beats the generic one; the
ledger's regions say which share is supported, partly or not. Training accuracy is P2(b)."""
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
P = sm.params.pwl
lowbit = sm.input.lowbit
plt.rcParams.update({"font.size": 8, "figure.dpi": 150})


def approx_name(a, bits, frac):
    if a == "pwl:bitwidth":
        return f"pwl:{bits}/{frac}"
    if a == "pwl:ours":
        return f"pwl:{sm.params.results}/ours_{bits}_{frac}.csv"
    return a


def label(a):
    return {"exact": "exact (rounded)", "lut": "LUT 64", "pwl:generic": "PWL generic",
            "pwl:bitwidth": "PWL bitwidth-specific",
            "pwl:ours": "PWL ours (annealed)"}.get(a, a)


rows, curves = [], {}
for bits, frac in P["bitwidths"]:
    for a in P["approx"]:
        spec = approx_name(a, bits, frac)
        out = lbio.run_lowbit(lowbit, ["lns-delta", "--bits", str(bits), "--frac", str(frac),
                                       "--approx", spec, "--tables", sm.input.tables])
        t = pd.read_csv(io.BytesIO(out))
        x = t["d"].to_numpy() / 2.0 ** frac
        ep = t["dplus"].to_numpy() / 2.0 ** frac - np.log2(1 + 2.0 ** -x)
        with np.errstate(divide="ignore"):
            em = t["dminus"].to_numpy() / 2.0 ** frac - np.log2(1 - 2.0 ** -x)
        em = em[1:]
        curves[(bits, frac, a)] = (x, ep, np.concatenate([[np.nan], em]))
        rows.append({"bits": f"{bits}/{frac}", "approx": a, "spec": spec,
                     "dplus_max": float(np.abs(ep).max()), "dplus_mean": float(np.abs(ep).mean()),
                     "dminus_max": float(np.abs(em).max()),
                     "dminus_mean": float(np.abs(em).mean()), "lsb": 2.0 ** -frac})
df = pd.DataFrame(rows)
df["approx_label"] = df["approx"].map(label)
lbio.write_table(
    df, f"{gen}/pwl_p2a",
    [("bits", "bits/frac"), ("approx_label", "approximation"), ("dplus_max", r"$\Delta_+$ max"),
     ("dplus_mean", r"$\Delta_+$ mean"), ("dminus_max", r"$\Delta_-$ max"),
     ("dminus_mean", r"$\Delta_-$ mean")],
    r"P2(a): absolute error of $\Delta_\pm$ in $\log_2$ units over every code $d<16\cdot2^F$ "
    r"($\Delta_-$ from $d=1$), against double precision. One grid step is $2^{-F}$.",
    "tab:p2a",
    fmt={c: (lambda v: f"{v:.4f}") for c in ["dplus_max", "dplus_mean", "dminus_max",
                                                 "dminus_mean"]})

# figure: signed error over x for 16/8 and 13/5 (or the first and last bit-width)
sel = [tuple(P["bitwidths"][0]), tuple(P["bitwidths"][-1])]
fig, axes = plt.subplots(2, len(sel), figsize=(7, 4.6), sharex=True, squeeze=False)
for j, (bits, frac) in enumerate(sel):
    for a in P["approx"]:
        x, ep, em = curves[(bits, frac, a)]
        axes[0][j].plot(x, ep, lw=0.6, label=label(a))
        axes[1][j].plot(x, em, lw=0.6, label=label(a))
    axes[0][j].set_title(f"{bits}/{frac}")
    axes[1][j].set_yscale("symlog", linthresh=2.0 ** -frac)
    axes[1][j].set_xlabel("d (log2 units)")
for i, fn in enumerate([r"$\Delta_+$ error", r"$\Delta_-$ error"]):
    axes[i][0].set_ylabel(fn)
axes[0][0].legend(fontsize=6)
fig.tight_layout()
fig.savefig(sm.output[4])

# verdict
claims = lbio.Claims(sm.input.ledger, sm.params.scale)
lower_max, lower_mean = 0, 0
details = []
have = {"pwl:generic", "pwl:bitwidth"} <= set(P["approx"])
if have:
    for bits, frac in P["bitwidths"]:
        g = df[(df.bits == f"{bits}/{frac}") & (df.approx == "pwl:generic")].iloc[0]
        s = df[(df.bits == f"{bits}/{frac}") & (df.approx == "pwl:bitwidth")].iloc[0]
        gm, sm_ = max(g.dplus_max, g.dminus_max), max(s.dplus_max, s.dminus_max)
        ga, sa = (g.dplus_mean + g.dminus_mean) / 2, (s.dplus_mean + s.dminus_mean) / 2
        lower_max += sm_ < gm
        lower_mean += sa < ga
        details.append(f"{bits}/{frac}: worst {sm_:.3f} vs {gm:.3f}, mean {sa:.4f} vs {ga:.4f}")
    n = len(P["bitwidths"])
    claims.judge("P2a", [(lower_max + lower_mean) / (2 * n)], {},
                 f"lower worst-case error at {lower_max} of {n} bit-widths, lower mean error "
                 f"at {lower_mean} of {n} (specific vs generic: " + "; ".join(details) + ")")
claims.write(sm.output[2])
with open(sm.output[3], "w") as fh:
    fh.write(f"\\newcommand{{\\lbPwlLowerMax}}{{{lower_max}}}\n"
             f"\\newcommand{{\\lbPwlLowerMean}}{{{lower_mean}}}\n"
             f"\\newcommand{{\\lbPwlWidths}}{{{len(P['bitwidths'])}}}\n")
