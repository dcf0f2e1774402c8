"""P1 (LNS-Madam) and P4 (Kahan SGD, last layer) for the report (snakemake script): tables,
figures and one verdict per claim, from the runs of experiments/rules/lowprec.smk and the
published figures in experiments/data/published_figures.csv. Nothing here is typed from a
paper: published numbers are read from the CSV.

Verdicts come from the claims ledger (experiments/claims.yaml) through the one decision
function (verdict.py); CLOSE below is only the table's "knee" and "stall" definition (the
ledger's P4 regions use the same 1 point)."""
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
LP = sm.params.lp
RUNS = sm.params.runs
CLOSE = 1.0  # accuracy points: P4(b)'s knee and P4(a)'s "plain SGD stalls"
claims = lbio.Claims(sm.input.ledger, sm.params.scale)
fmt_bits = dict(pd.read_csv(sm.input.formats)[["name", "bits"]].values)  # registered names
plt.rcParams.update({"font.size": 8, "figure.dpi": 150})


def load(exp, name):
    with lbio.open_results(f"{res}/{exp}/{name}.h5") as f:
        ep = {k: f["epochs"][k][:] for k in f["epochs"]}
        return {
            "acc": claims.acc(ep["test_acc"]), "curve": ep["test_acc"],
            "loss": float(ep["train_loss"][-1]),
            "sec": float(np.median(ep["seconds"])),
            "epochs": len(ep["epoch"]),
            "rel_err": float(np.mean(ep["update_rel_err"])) if "update_rel_err" in ep else math.nan,
            "zero": float(np.mean(ep["update_zero_frac"])) if "update_zero_frac" in ep else math.nan,
            "weights": lbio.h5attr(f, "weight_format", "fp32"),
            **{r: lbio.h5attr(f, f"{r.lower()}_format", "") for r in "WAEG"},
            "opt": lbio.h5attr(f, "optimizer", ""), "gemm": lbio.h5attr(f, "gemm", "fp32"),
            "last": lbio.h5attr(f, "last_layer_format", "same"),
            "dataset": lbio.h5attr(f, "dataset", ""), "model": lbio.h5attr(f, "model", ""),
            "train_n": int(f.attrs["train_examples"]),
            "classes": int(f.attrs["classes"]) if "classes" in f.attrs else None,
            "diverged": lbio.diverged(f["epochs"], int(f.attrs["classes"]) if "classes" in f.attrs else 10),
        }


def seeds_of(exp, name):
    """The runs of `name` over the paired seeds (name, name_s2, ...), in seed order."""
    return [load(exp, n) for n in RUNS[exp] if n == name or re.fullmatch(re.escape(name) + r"_s\d+", n)]


def cond(r, **extra):
    """What a run had, in the terms of the ledger's conditions."""
    return {"classes": r["classes"], "model_family": lbio.model_family(r["model"]),
            "dataset": r["dataset"], **extra}


def ms(vals):
    """mean +- sd (sd over seeds; blank for one seed)"""
    v = [x for x in vals if not math.isnan(x)]
    if not v:
        return "--"
    if len(v) == 1:
        return f"{v[0]:.2f}"
    return f"{np.mean(v):.2f} $\\pm$ {np.std(v, ddof=1):.2f}"


pub = pd.read_csv(sm.input.published, comment="#")
pct = lambda v: "--" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"  # noqa


# ---------------------------------------------------------------- P1(a)
p1 = LP["p1"]
a = {n: load("p1a", n) for n in RUNS["p1a"]}
bases = [n for n in RUNS["p1a"] if not re.search(r"_s\d+$", n)]
rows = []
for n in bases:
    r, runs = a[n], seeds_of("p1a", n)
    rows.append({"run": n, "weights": r["weights"], "roles": f"{r['W']} / {r['A']} / {r['E']} / {r['G']}",
                 "optimizer": r["opt"], "gemm": r["gemm"].split(":")[0], "epochs": r["epochs"],
                 "seeds": len(runs), "test_acc": ms([x["acc"] for x in runs]),
                 "diverged": sum(x["diverged"] for x in runs), "s_per_epoch": r["sec"]})
t = pd.DataFrame(rows)
lbio.write_table(
    t, f"{gen}/lowprec_p1a",
    [("run", "run"), ("weights", "stored W"), ("roles", "W / A / E / G"), ("optimizer", "optimizer"),
     ("gemm", "GEMM"), ("epochs", "ep."), ("seeds", "seeds"), ("test_acc", "test acc.\\ \\%"),
     ("diverged", "div."), ("s_per_epoch", "s/epoch")],
    caption=(f"P1(a): FP32 vs LNS-Madam, {p1['model']} on {a['fp32']['dataset']} ({a['fp32']['train_n']} "
             f"training examples): W, A, E, G of every GEMM in {p1['lns_roles']}, the weights stored in "
             f"{p1.get('update_bits', 16)}-bit LNS (the width the update writes; \\texttt{{\\_w8}}: "
             "stored in the 8-bit format itself, a harder variant); test accuracy as mean $\\pm$ sd "
             "over the paired seeds; "
             "\\emph{div.}: runs that diverged (non-finite loss or chance accuracy). "
             "\\texttt{lns\\_madam\\_bittrue} computes every GEMM with the "
             "bit-true LNS-Madam datapath instead of fake quantization."),
    label="tab:p1a", fmt={"s_per_epoch": lambda v: f"{v:.2f}"})
head = (p1.get("a_optimizers") or ["lns_madam"])[0]
f32, lm = seeds_of("p1a", "fp32"), seeds_of("p1a", head)
d1a = [y["acc"] - x["acc"] for x, y in zip(f32, lm)]
o1 = p1["optimizers"][head]
others = [n for n in bases if n not in ("fp32", head)]
claims.judge("P1a", d1a, cond(a[head], act_bits=fmt_bits.get(p1["lns_roles"]),
                              update_bits=p1.get("update_bits", 16)),
             diverged=sum(x["diverged"] for x in lm), baselines=[x["curve"] for x in f32],
             note=
             f"{p1['model']}, {a['fp32']['epochs']} epochs: FP32 {ms([x['acc'] for x in f32])}\\,\\%, "
             f"LNS-Madam ({lbio.tex_escape(head)}: lr {o1['lr']:g}, step rounding "
             f"{o1.get('madam_round', 'nearest')}; W, A, E, G in {p1['lns_roles']}, weights stored in "
             f"{p1.get('update_bits', 16)} bits) {ms([x['acc'] for x in lm])}\\,\\%; also run: "
             + ", ".join(f"{lbio.tex_escape(n)} {ms([x['acc'] for x in seeds_of('p1a', n)])}\\,\\%" for n in others))

# ---------------------------------------------------------------- P1(b), P1(c)
opts = list(p1["optimizers"])
rows = []
for b in p1["bits"]:
    row = {"B": b}
    for o in opts:
        r = load("p1b", f"{o}_B{b}")
        row[f"{o}_acc"] = r["acc"]
        row[f"{o}_err"] = r["rel_err"]
        row[f"{o}_zero"] = r["zero"]
    rows.append(row)
t = pd.DataFrame(rows)
cols = [("B", "$B$")] + [(f"{o}_acc", f"{lbio.tex_escape(o)} \\%") for o in opts] + \
       [(f"{o}_err", f"{lbio.tex_escape(o)} err.") for o in opts]
fmt = {f"{o}_acc": pct for o in opts}
fmt.update({f"{o}_err": lambda v: f"{v:.3f}" for o in opts})
lbio.write_table(
    t, f"{gen}/lowprec_p1b", cols,
    caption=(f"P1(b, c): test accuracy and mean relative update error "
             "$\\|\\Delta w_{\\mathrm{landed}}-\\Delta w_{\\mathrm{ideal}}\\|/\\|\\Delta w_{\\mathrm{ideal}}\\|$ "
             f"vs stored LNS weight bits $B$ ({p1['model']}, {p1['epochs']} epochs; "
             f"W, A, E, G in {p1['lns_roles']}; weights \\texttt{{lns:bits=B,frac=B-5,scale=tensor}})."),
    label="tab:p1b", fmt=fmt)

madam = head  # the headline LNS-Madam update; the additive optimizers are the comparison
add = [o for o in opts if p1["optimizers"][o]["optimizer"] not in ("lns_madam", "madam")]
bmax, bmin = max(p1["bits"]), min(p1["bits"])
tb = t.set_index("B")
drops = {o: tb.loc[bmax, f"{o}_acc"] - tb.loc[bmin, f"{o}_acc"] for o in opts}
paper_bits = [b for b in p1["bits"] if b >= 10]  # the paper's sweep is B = 16..10
if "sgd" in opts and paper_bits:
    r0 = load("p1b", f"{madam}_B{paper_bits[0]}")
    diff = float(np.mean([tb.loc[b, f"{madam}_acc"] - tb.loc[b, "sgd_acc"] for b in paper_bits]))
    claims.judge("P1b", [diff], cond(r0, weight_bits=min(paper_bits)),
                 f"B = {', '.join(map(str, paper_bits))}; per B (Madam minus SGD): " + ", ".join(
                     f"{b}: {tb.loc[b, f'{madam}_acc'] - tb.loc[b, 'sgd_acc']:+.2f}" for b in paper_bits)
                 + (f"; extension beyond the paper's sweep, B = {bmin}: "
                    f"{tb.loc[bmin, f'{madam}_acc'] - tb.loc[bmin, 'sgd_acc']:+.2f} points" if bmin < 10 else ""))
err_lower = [all(tb.loc[b, f"{madam}_err"] < tb.loc[b, f"{o}_err"] for o in add) for b in p1["bits"]]
claims.judge("P1c", [sum(err_lower) / len(err_lower)], {},
             f"lower for LNS-Madam at {sum(err_lower)} of {len(err_lower)} bit-widths; mean relative error "
             + ", ".join(f"{lbio.tex_escape(o)} {t[f'{o}_err'].mean():.3f}" for o in opts))

# figure P1(b): ours, published, update error
fig, ax = plt.subplots(1, 3, figsize=(7.2, 2.3))
for o in opts:
    ax[0].plot(t.B, t[f"{o}_acc"], "o-", ms=3, label=o)
    ax[2].plot(t.B, t[f"{o}_err"], "o-", ms=3, label=o)
ax[0].set(xlabel="stored weight bits B", ylabel="test accuracy %", title=f"ours: {p1['model']}, Fashion-MNIST")
ax[2].set(xlabel="stored weight bits B", ylabel="relative update error", title="P1(c): update error")
curve = pub[(pub.paper == "P1") & (pub.experiment == "acc_vs_weight_bits") & (pub.quantity == "test_acc")]
for setup, g in curve.groupby("setup"):
    ax[1].plot(g.x.astype(float), g.value, "s--", ms=3, label=setup)
ax[1].set(xlabel="weight bits B", ylabel="test accuracy %", title="published (digitized)")
for x in ax:
    x.invert_xaxis()
    x.legend(fontsize=5)
    x.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(f"{gen}/fig_p1b.pdf")

# ---------------------------------------------------------------- P4(a)
p4 = LP["p4"]
fp = load("p4a", "fp32")
tags = [f"fx{b}" for b in p4["bits_fx"]] + [f"bfm{b - 9}" for b in p4["bits_bf"]]
rows, per_seed = [], {}
for tag in tags:
    s_, k_, m_ = (seeds_of("p4a", f"{v}_{tag}") for v in ("sgd", "kahan", "master"))
    per_seed[tag] = (s_, k_, m_)
    rows.append({"format": s_[0]["weights"], "bits": int(tag[2:]) if tag.startswith("fx") else int(tag[3:]) + 9,
                 "family": "fixed" if tag.startswith("fx") else "bf16-like", "tag": tag,
                 "sgd_acc": np.mean([x["acc"] for x in s_]), "kahan_acc": np.mean([x["acc"] for x in k_]),
                 "master_acc": np.mean([x["acc"] for x in m_]),
                 "sgd_vanished": np.mean([x["zero"] for x in s_]), "kahan_vanished": np.mean([x["zero"] for x in k_]),
                 "fp32_acc": fp["acc"], "seeds": len(s_)})
t4 = pd.DataFrame(rows)
lbio.write_table(
    t4, f"{gen}/lowprec_p4a",
    [("format", "stored weights"), ("sgd_acc", "SGD \\%"), ("kahan_acc", "Kahan \\%"),
     ("master_acc", "FP32 master \\%"), ("sgd_vanished", "SGD vanished"),
     ("kahan_vanished", "Kahan vanished")],
    caption=(f"P4(a): {p4['model']} on {fp['dataset']}, {p4['epochs']} epochs, SGD momentum "
             f"{LP['momentum']}, lr {p4['lr']}; accuracies are means over {int(t4.seeds.min())} paired "
             f"seed(s). FP32 weights: {fp['acc']:.2f}\\,\\%. "
             "\\emph{Vanished}: mean fraction of nonzero updates that rounded to no change. "
             "Kahan's compensation is stored in \\texttt{int:bits=B} (same width, own scale) for "
             "fixed point and in the weight format for bf16-like weights."),
    label="tab:p4a", fmt={c: pct for c in ("sgd_acc", "kahan_acc", "master_acc")} |
    {c: lambda v: f"{v:.2f}" for c in ("sgd_vanished", "kahan_vanished")})
fx = t4[t4.family == "fixed"].sort_values("bits")
# the claim: plain SGD on stored low-precision weights loses accuracy (small updates vanish) and
# Kahan recovers it. Judged only where plain SGD stalls (mean more than CLOSE points below the
# FP32 master copy): the measure is Kahan minus the master copy there, per seed, averaged over
# those widths; with no stall at the widths run, the claim is not tested here.
stalled = t4[t4.master_acc - t4.sgd_acc > CLOSE]
nseed = int(t4.seeds.min())
vals = [float(np.mean([per_seed[tag][1][i]["acc"] - per_seed[tag][2][i]["acc"] for tag in stalled.tag]))
        for i in range(nseed)] if len(stalled) else []
claims.judge("P4a", vals, {"stall_observed": bool(len(stalled))},
             "plain SGD stalls (more than " + f"{CLOSE:g} point below the FP32 master copy) at "
             + (", ".join(lbio.tex_escape(f) for f in stalled.format) or "none of the widths run")
             + ("; there Kahan minus master: " + ", ".join(f"{k - m:+.2f}" for k, m in zip(stalled.kahan_acc, stalled.master_acc))
                + ", plain SGD minus master: " + ", ".join(f"{s_ - m:+.2f}" for s_, m in zip(stalled.sgd_acc, stalled.master_acc))
                if len(stalled) else "")
             + "; fixed point: more than half of the updates vanish at "
             + (", ".join(str(b) for b in fx[fx.sgd_vanished > 0.5].bits) or "none") + " bits",
             # the FP32 master-copy runs at those widths are the baseline whose plateau decides
             baselines=[m["curve"] for tag in stalled.tag for m in per_seed[tag][2]] if len(stalled) else None)

# ---------------------------------------------------------------- P4(b)
ll = p4["last_layer"]
FB = sm.params.p4b_frac_bits  # C -> the f run
roles = ll.get("roles") or ["WAEG"]
rows = []
for c in ll["classes"]:
    base = load("p4b", f"C{c}_fp32")
    want = math.ceil(math.log2(c))
    for rl in roles:
        for fb in FB[c]:
            r = load("p4b", f"C{c}_{rl}_f{fb}")
            rows.append({"roles": rl, "classes": c, "dataset": base["dataset"], "frac_bits": fb,
                         "offset": fb - want, "test_acc": r["acc"], "fp32_acc": base["acc"],
                         "diverged": r["diverged"]})
tl = pd.DataFrame(rows)
offs = sorted(set(tl.offset))
knees = {}
for (rl, c), g in tl.groupby(["roles", "classes"]):
    ok = g[g.test_acc >= g.fp32_acc - CLOSE].sort_values("frac_bits")
    knees[(rl, c)] = int(ok.frac_bits.min()) if len(ok) else None
piv = tl.pivot_table(index=["roles", "classes"], columns="offset", values="test_acc").reset_index()
piv.columns = [str(x) for x in piv.columns]
piv["fp32"] = [tl[tl.classes == c].fp32_acc.iloc[0] for c in piv.classes]
piv["ceil_log2C"] = [math.ceil(math.log2(int(c))) for c in piv.classes]
piv["knee"] = [knees[(r_, int(c))] if knees[(r_, int(c))] is not None else math.nan
               for r_, c in zip(piv.roles, piv.classes)]
piv["data"] = [tl[tl.classes == c].dataset.iloc[0].split(":")[0] for c in piv.classes]
sgn = lambda o: f"{o:+d}" if o else "0"  # noqa: E731
cols = [("roles", "roles"), ("classes", "$C$"), ("data", "data")] + \
       [(str(o), f"$k{sgn(o)}$") for o in offs] + \
       [("fp32", "FP32"), ("ceil_log2C", "$k$"), ("knee", "knee $f$")]
lbio.write_table(
    piv, f"{gen}/lowprec_p4b", cols,
    caption=(f"P4(b): test accuracy (\\%) vs fractional bits $f = k + \\delta$ of the last layer, "
             f"$k = \\lceil\\log_2 C\\rceil$, in \\texttt{{fx:wl=f+{ll['int_bits']},fl=f}} on the listed "
             "roles only (E: the error entering the last layer, the claim's mechanism; W: its weights); "
             f"other layers and roles FP32; mlp, {ll['epochs']} epochs; C = 100 on "
             "\\texttt{fashion-mnist-pairs} where configured, synthetic prototypes otherwise. "
             f"Knee: smallest $f$ within {CLOSE:g} point of FP32."),
    label="tab:p4b", fmt={str(o): pct for o in offs} | {"fp32": pct,
                                                        "knee": lambda v: "--" if math.isnan(v) else f"{int(v)}"})


def knee_dev(rl, c):
    """|knee - ceil(log2 C)|; without a knee in the range run, the lower bound it implies when
    that already exceeds the 'partly' region (else unknown: NaN, inconclusive)."""
    want = math.ceil(math.log2(c))
    if knees[(rl, c)] is not None:
        return abs(knees[(rl, c)] - want)
    bound = max(FB[c]) + 1 - want
    return bound if bound >= 2.5 else math.nan


vrole = "E" if "E" in roles else roles[0]
devs = [knee_dev(vrole, c) for c in ll["classes"]]
claims.judge("P4b", [max(devs)], {"classes": max(ll["classes"])},
             f"roles {vrole}: knee vs $\\lceil\\log_2 C\\rceil$: " + ", ".join(
                 f"$C={c}$: {knees[(vrole, c)] if knees[(vrole, c)] is not None else 'none'} vs "
                 f"{math.ceil(math.log2(c))} ($f$ {min(FB[c])}..{max(FB[c])})" for c in ll["classes"])
             + "".join(f"; roles {r_}: " + ", ".join(
                 f"$C={c}$ {knees[(r_, c)] if knees[(r_, c)] is not None else 'none'}" for c in ll["classes"])
                 for r_ in roles if r_ != vrole))

fig, ax = plt.subplots(1, 2, figsize=(7.2, 2.4))
for col, lab in (("sgd_acc", "plain SGD"), ("kahan_acc", "Kahan SGD"), ("master_acc", "FP32 master")):
    ax[0].plot(fx.bits, fx[col], "o-", ms=3, label=lab)
ax[0].axhline(fp["acc"], color="k", lw=0.7, ls=":", label="FP32")
ax[0].set(xlabel="fixed-point weight bits", ylabel="test accuracy %", title="P4(a): stored weights")
for i, c in enumerate(ll["classes"]):
    for j, rl in enumerate(roles):
        g = tl[(tl.classes == c) & (tl.roles == rl)].sort_values("frac_bits")
        ax[1].plot(g.frac_bits, g.test_acc, "o-" if j == 0 else "s:", ms=3, color=f"C{i}",
                   label=f"C={c}, {rl}")
    ax[1].axvline(math.log2(c), color=f"C{i}", lw=0.7, ls="--")
ax[1].set(xlabel="last-layer fractional bits f", ylabel="test accuracy %",
          title="P4(b): last layer (dashed: log2 C)")
for x in ax:
    x.legend(fontsize=6)
    x.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(f"{gen}/fig_p4.pdf")

# ---------------------------------------------------------------- verdicts and macros
claims.write(f"{gen}/lowprec_verdicts.tex")
with open(f"{gen}/lowprec_macros.tex", "w") as fh:
    m = {"lbLpCloseVerdict": f"{CLOSE:g}",
         "lbLpPOneModel": p1["model"], "lbLpPOneEpochs": p1["epochs"],
         "lbLpPOneLr": lbio.tex_escape(", ".join(f"{o} {v['lr']}" + (f" ({v['madam_round']})" if v.get("madam_round") else "")
                                                for o, v in p1["optimizers"].items())),
         "lbLpBitTrueGemm": lbio.tex_escape(p1["bit_true_gemm"]),
         "lbLpTrainN": a["fp32"]["train_n"]}
    for k, v in m.items():
        fh.write(f"\\newcommand{{\\{k}}}{{{v}}}\n")
