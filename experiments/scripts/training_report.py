"""Training results for the report (snakemake script): a table of every model x recipe run
(final and best test accuracy, median s/epoch, overhead vs fp32), training curves, the
side-by-side lowbit vs PyTorch table, the cross-check of the recipes in the C engine and in
PyTorch + lowbit roles, and the training targets against the measurements."""
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
plt.rcParams.update({"font.size": 8, "figure.dpi": 150})


def load(path):
    with lbio.open_results(path) as f:
        ep = {k: f["epochs"][k][:] for k in f["epochs"]}
        return {"model": lbio.h5attr(f, "model"),
                **{r: lbio.h5attr(f, f"{r}_format") for r in "waeg"},
                "params": int(f.attrs["parameters"]), "threads": int(f.attrs["threads"]),
                "train_n": int(f.attrs["train_examples"]), "epochs": ep}


rows, curves = [], []
for path in sm.input.runs:
    stem = os.path.basename(path)[:-3]
    model, recipe = stem.split("_", 1)
    r = load(path)
    ep = r["epochs"]
    rows.append({"model": model, "recipe": recipe, "W": r["w"], "A": r["a"], "E": r["e"],
                 "G": r["g"], "parameters": r["params"], "epochs": len(ep["epoch"]),
                 "final_test_acc": float(ep["test_acc"][-1]),
                 "best_test_acc": float(ep["test_acc"].max()),
                 "final_train_loss": float(ep["train_loss"][-1]),
                 "s_per_epoch": float(np.median(ep["seconds"]))})
    curves.append((model, recipe, ep))
tt = pd.DataFrame(rows)
fp32 = tt[tt.recipe == "fp32"].set_index("model")["s_per_epoch"]
tt["vs_fp32"] = [s / fp32[m] if m in fp32.index else np.nan for m, s in zip(tt.model, tt.s_per_epoch)]
tt["roles"] = [f"{w} / {a} / {e} / {g}" for w, a, e, g in zip(tt.W, tt.A, tt.E, tt.G)]
pct = lambda v: f"{100 * v:.2f}"  # noqa: E731
lbio.write_table(
    tt, f"{gen}/training_table",
    [("model", "model"), ("recipe", "recipe"), ("roles", "W / A / E / G"), ("epochs", "epochs"),
     ("final_test_acc", "test acc.\\ \\%"), ("best_test_acc", "best \\%"),
     ("s_per_epoch", "s/epoch"), ("vs_fp32", "vs fp32")],
    caption=f"Fashion-MNIST training with lowbit (SGD, {sm.params.schedule} learning-rate schedule, "
            "batch and learning rate as configured; "
            "median seconds per epoch including the test-set evaluation). Every GEMM quantizes "
            "its operands by role: weights W, activations A, errors E, weight gradients G.",
    label="tab:training",
    fmt={"final_test_acc": pct, "best_test_acc": pct, "s_per_epoch": lambda v: f"{v:.2f}",
         "vs_fp32": lambda v: "--" if v != v else f"{v:.2f}$\\times$", "epochs": str})

models = sorted(tt.model.unique())
fig, axes = plt.subplots(1, len(models), figsize=(6.5, 2.5), sharey=True, squeeze=False)
for ax, m in zip(axes[0], models):
    for model, recipe, ep in curves:
        if model == m:
            ax.plot(ep["epoch"], 100 * ep["test_acc"], marker=".", ms=3, lw=1, label=recipe)
    ax.set_title(m)
    ax.set_xlabel("epoch")
    ax.grid(True, lw=0.3)
axes[0][0].set_ylabel("test accuracy (%)")
axes[0][-1].legend(fontsize=6)
fig.tight_layout()
fig.savefig(sm.output[6])

# ---- lowbit vs PyTorch -------------------------------------------------------------------
prow = []
for lb_path, pt_path in zip(sm.input.peer_lowbit, sm.input.peer_pytorch):
    r = load(lb_path)
    pt = pd.read_csv(pt_path)
    lb_s, pt_s = float(np.median(r["epochs"]["seconds"])), float(pt["seconds"].median())
    prow.append({"model": r["model"], "threads": r["threads"], "epochs": len(pt),
                 "lowbit_s_per_epoch": lb_s, "pytorch_s_per_epoch": pt_s, "ratio": lb_s / pt_s,
                 "lowbit_test_acc": float(r["epochs"]["test_acc"][-1]),
                 "pytorch_test_acc": float(pt["test_acc"].iloc[-1])})
pp = pd.DataFrame(prow, columns=["model", "threads", "epochs", "lowbit_s_per_epoch",
                                 "pytorch_s_per_epoch", "ratio", "lowbit_test_acc",
                                 "pytorch_test_acc"])
lbio.write_table(
    pp, f"{gen}/peer_table",
    [("model", "model"), ("threads", "threads"), ("epochs", "epochs"),
     ("lowbit_s_per_epoch", "lowbit s/epoch"), ("pytorch_s_per_epoch", "PyTorch s/epoch"),
     ("ratio", "ratio"), ("lowbit_test_acc", "lowbit acc.\\ \\%"),
     ("pytorch_test_acc", "PyTorch acc.\\ \\%")],
    caption="lowbit against PyTorch (Debian python3-torch, CPU) on the same model, data, "
            "normalisation, batch, SGD settings and thread count, run one after the other with "
            "the same BLIS kernels; medians over epochs. Initial weights and shuffling come from "
            "each framework's own generator, so accuracies agree only within noise.",
    label="tab:peer",
    fmt={"lowbit_s_per_epoch": lambda v: f"{v:.2f}", "pytorch_s_per_epoch": lambda v: f"{v:.2f}",
         "ratio": lambda v: f"{v:.2f}", "lowbit_test_acc": pct, "pytorch_test_acc": pct,
         "threads": str, "epochs": str})

# ---- cross-check: each recipe in lowbit and in PyTorch with lowbit's quantizers ------------
crow = []
for lb_path, pt_path in zip(sm.input.cross_lowbit, sm.input.cross_pytorch):
    model, recipe = os.path.basename(lb_path)[: -len("_lowbit.h5")].split("_", 1)
    r, pt = load(lb_path), pd.read_csv(pt_path)
    lb_acc, pt_acc = float(r["epochs"]["test_acc"][-1]), float(pt["test_acc"].iloc[-1])
    crow.append({"model": model, "recipe": recipe, "epochs": len(pt), "train_n": r["train_n"],
                 "roles": f"{r['w']} / {r['a']} / {r['e']} / {r['g']}",
                 "lowbit_test_acc": lb_acc, "pytorch_test_acc": pt_acc,
                 "diff_test_acc": pt_acc - lb_acc,
                 "lowbit_s_per_epoch": float(np.median(r["epochs"]["seconds"])),
                 "pytorch_s_per_epoch": float(pt["seconds"].median())})
cc = pd.DataFrame(crow, columns=["model", "recipe", "epochs", "train_n", "roles", "lowbit_test_acc",
                                 "pytorch_test_acc", "diff_test_acc", "lowbit_s_per_epoch",
                                 "pytorch_s_per_epoch"])
lbio.write_table(
    cc, f"{gen}/crosscheck_table",
    [("model", "model"), ("recipe", "recipe"), ("epochs", "epochs"), ("train_n", "train ex."),
     ("lowbit_test_acc", "C acc.\\ \\%"), ("pytorch_test_acc", "PyTorch+lowbit acc.\\ \\%"),
     ("diff_test_acc", "diff.\\ (pp)"), ("lowbit_s_per_epoch", "C s/epoch"),
     ("pytorch_s_per_epoch", "PyTorch+lowbit s/epoch")],
    caption="C engine vs PyTorch + lowbit roles: each recipe trained by \\texttt{lowbit train} "
            "and by the PyTorch peer with lowbit's quantizers in the four roles "
            "(\\texttt{pytorch\\_baseline.py --lowbit-roles}, same placement; roles as in "
            "Table~\\ref{tab:training}), same model, data, batch and SGD settings; final "
            "test accuracy, PyTorch minus C engine in percentage points, and median seconds "
            "per epoch. Initial weights and shuffling "
            "come from each framework's own generator, so accuracies agree only within noise; "
            "one step from the same weights and batch agrees to float32 rounding "
            "(tests/python/test\\_lowbit\\_crosscheck.py).",
    label="tab:crosscheck",
    fmt={"lowbit_test_acc": pct, "pytorch_test_acc": pct,
         "diff_test_acc": lambda v: f"{100 * v:+.2f}",
         "lowbit_s_per_epoch": lambda v: f"{v:.2f}", "pytorch_s_per_epoch": lambda v: f"{v:.2f}",
         "epochs": str, "train_n": str})

# ---- paired timing (the speed targets) ------------------------------------------------------
tp = pd.concat([pd.read_csv(p).assign(model=os.path.basename(p)[: -len("_pairs.csv")])
                for p in sm.input.timing], ignore_index=True)
tp.to_csv(sm.output[7], index=False)


def paired(model, col):
    """median, min, max and count of a per-round ratio (NaN rows: not timed)"""
    v = tp[(tp.model == model)][col].dropna()
    return (float(v.median()), float(v.min()), float(v.max()), len(v)) if len(v) else None


def measured(p):
    return f"{p[0]:.2f} ({p[1]:.2f}--{p[2]:.2f}, {p[3]} pair{'s' if p[3] != 1 else ''})"


# ---- targets ------------------------------------------------------------------------------
tg = sm.params.targets
trows = []
le = tt[(tt.model == "lenet5") & (tt.recipe == "fp32")]
if len(le):
    v = float(le.final_test_acc.iloc[0])
    trows.append({"target": f"LeNet-5 FP32 test accuracy after {sm.params.epochs} epochs",
                  "goal": f"$\\geq$ {100 * tg['lenet5_test_acc']:.0f}\\%", "measured": f"{100 * v:.2f}\\%",
                  "met": "yes" if v >= tg["lenet5_test_acc"] else "no"})
for col, goal, what in (("vs_pytorch", "vs_pytorch", "lowbit s/epoch / PyTorch s/epoch"),
                        ("bf16_vs_fp32", "fakequant_overhead", "BF16 (all roles) epoch / FP32 epoch")):
    for m in sorted(tp.model.unique()):
        p = paired(m, col)
        if p:
            trows.append({"target": f"{m}: {what} (paired)", "goal": f"$\\leq$ {tg[goal]:.2f}",
                          "measured": measured(p), "met": "yes" if p[0] <= tg[goal] else "no"})
tg_df = pd.DataFrame(trows, columns=["target", "goal", "measured", "met"])
lbio.write_table(tg_df, f"{gen}/training_targets",
                 [("target", "target"), ("goal", "goal"), ("measured", "measured"), ("met", "met")],
                 caption="Training targets of this configuration against the measurements. "
                         "Speed ratios come from paired runs (lowbit FP32, PyTorch, lowbit BF16, "
                         "one epoch each, in turn, repeated): the median of the per-round ratios, "
                         "with their range. The s/epoch of Tables~\\ref{tab:training} and "
                         "\\ref{tab:peer} come from runs made minutes apart; a machine's speed "
                         "drifts over minutes (by up to 25\\,\\% on the 2-core machine lowbit is "
                         "developed on), so their ratios are indicative only.",
                 label="tab:trainingtargets",
                 fmt={"goal": str, "measured": str})
with open(sm.output[5], "w") as fh:
    fh.write(f"\\newcommand{{\\lbTrainEpochs}}{{{sm.params.epochs}}}\n")
    fh.write(f"\\newcommand{{\\lbTrainTargetsMet}}{{{int((tg_df.met == 'yes').sum())}}}\n")
    fh.write(f"\\newcommand{{\\lbTrainTargetsTotal}}{{{len(tg_df)}}}\n")
