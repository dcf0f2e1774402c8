"""P2(b) (bit-true all-LNS training) for the report (snakemake script): test accuracy and
s/epoch per model x bit-width x approximation of LNS addition, beside FP32 with the same
settings, and the verdicts. Published numbers come from experiments/data/published_figures.csv.

What "all-LNS" means here (named in the report): every GEMM of the forward, backward-data and
backward-weight passes runs bit-true in lns:bits=T,frac=F with the chosen LNS addition; every
tensor role (W, A, E, G) is in that format; with `lowbit train --all-lns` the bias adds, batch
norm (statistics, normalisation, running statistics, backward), the gradient sums over the batch
and col2im, and the SGD update with its momentum buffer use the same LNS arithmetic, and the
weights are stored in it (no float32 master copy). Still float32: the softmax cross-entropy
(its gradient enters the last GEMM rounded to LNS); the paper uses a PWL exp there.
The "_fp32w" rows run the LNS GEMMs only (element-wise arithmetic and master weights float32).

Verdicts: claims P2b_loss and P2b_specific of experiments/claims.yaml, decided by verdict.py on
the paired seeds (runs <name>_s<seed> repeat FP32 and the generic and bitwidth-specific tables at
the narrowest width); the table shows the first seed."""
import math
import os
import re
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821
import lbio  # noqa: E402

sm = snakemake  # noqa: F821
T = sm.params.train
RUNS = sm.params.runs
res = sm.params.results
claims = lbio.Claims(sm.input.ledger, sm.params.scale)
pub = pd.read_csv(sm.input.published, comment="#")
claim_bits = pub[(pub.paper == "P2") & (pub.quantity == "integer_bits_minimal_loss")]
claim_bits = int(claim_bits.value.iloc[0]) if len(claim_bits) else 12


def load(model, name):
    with lbio.open_results(f"{res}/{model}/{name}.h5") as f:
        ep = f["epochs"]
        stored = lbio.h5attr(f, "weight_format", "fp32") != "fp32" and "update_zero_frac" in ep
        return {"acc": claims.acc(ep["test_acc"]), "curve": ep["test_acc"][:],
                "diverged": lbio.diverged(ep, int(f.attrs["classes"]) if "classes" in f.attrs else 10),
                "sec": float(np.median(ep["seconds"][:])),
                "gemm": lbio.h5attr(f, "gemm", "fp32"),
                "macs": int(f.attrs.get("gemm_macs", 0)), "epochs": int(len(ep["epoch"][:])),
                "classes": int(f.attrs["classes"]) if "classes" in f.attrs else None,
                "model": lbio.h5attr(f, "model", ""), "dataset": lbio.h5attr(f, "dataset", ""),
                # the share of weight updates (vs the float32 SGD step) that landed exactly 0
                "vanish": 100 * float(ep["update_zero_frac"][-1]) if stored else math.nan}


label = {"exact": "exact", "lut": "LUT", "generic": "PWL generic",
         "bitwidth": "PWL bitwidth-specific", "ours": "PWL ours"}
label.update({f"{k}_fp32w": f"{v}, LNS GEMMs only" for k, v in list(label.items())})
rows = []
for model, names in RUNS.items():
    base = load(model, "fp32")
    rows.append({"model": model, "classes": base["classes"], "epochs": base["epochs"],
                 "bits": "fp32", "approx": "fp32", "approx_label": "FP32",
                 "test_acc": base["acc"], "diverged": base["diverged"], "delta": 0.0, "sec_epoch": base["sec"],
                 "x_fp32": 1.0, "vanish": math.nan})
    for n in names:
        if n == "fp32" or re.search(r"_s\d+$", n):
            continue
        b, f, tag = n.split("_", 2)
        r = load(model, n)
        if r["macs"] <= 0:
            raise RuntimeError(f"{model}/{n}: the bit-true GEMM did not run (gemm_macs 0)")
        rows.append({"model": model, "classes": r["classes"], "epochs": r["epochs"],
                     "bits": f"{b}/{f}", "approx": tag, "diverged": r["diverged"],
                     "approx_label": label.get(tag, tag), "test_acc": r["acc"],
                     "delta": r["acc"] - base["acc"], "sec_epoch": r["sec"],
                     "x_fp32": r["sec"] / base["sec"], "vanish": r["vanish"]})
df = pd.DataFrame(rows)
lbio.write_table(
    df, os.path.splitext(sm.output[0])[0],
    [("model", "model"), ("classes", "C"), ("epochs", "ep."), ("bits", "bits/frac"),
     ("approx_label", "LNS addition"), ("test_acc", "test acc. (\\%)"), ("diverged", "div."), ("delta", "vs FP32"), ("vanish", "lost upd. (\\%)"),
     ("sec_epoch", "s/epoch"), ("x_fp32", "$\\times$ FP32 time")],
    f"P2(b): all-LNS training (bit-true LNS GEMMs, every tensor role, the element-wise "
    f"arithmetic, SGD with momentum and the stored weights in LNS; softmax float32; "
    f"``LNS GEMMs only'': element-wise arithmetic and master weights float32; lost upd.: share "
    f"of the last epoch's nonzero float32 SGD updates that left the LNS weight unchanged), "
    f"SGD momentum {T['momentum']}, lr {T['lr']}, "
    f"{T['schedule']} schedule; FP32 with the same settings. C: classes; test accuracy: median "
    f"of the last {claims.last_epochs} epochs, first seed, \\emph{{diverged}} where the run "
    f"diverged (non-finite loss or chance accuracy); the verdicts use "
    f"{len(T.get('seeds') or [T['seed']])} paired seed(s) of "
    f"{', '.join(lbio.tex_escape(m) for m in (T.get('seed_models') or list(RUNS)))}"
    + (f"; {', '.join(lbio.tex_escape(m) for m in T['headline_models'])}: only the headline runs"
       if T.get("headline_models") else "") + ".",
    "tab:p2b",
    fmt={"test_acc": lambda v: f"{v:.2f}", "diverged": lambda v: "yes" if v else "", "classes": lambda v: f"{int(v)}", "epochs": lambda v: f"{int(v)}", "delta": lambda v: f"{v:+.2f}",
         "vanish": lambda v: "--" if math.isnan(v) else f"{v:.0f}",
         "sec_epoch": lambda v: f"{v:.1f}", "x_fp32": lambda v: f"{v:.1f}"})

def master_note(nb):
    """The same run with float32 master weights, if it was made: where the loss comes from."""
    m = df[(df.bits == nb) & (df.approx == "bitwidth_fp32w")]
    if not len(m):
        return ""
    return ("; with LNS GEMMs only (element-wise arithmetic and master weights float32): " + ", ".join(
        f"{a} {v:+.2f} points" for a, v in zip(m.model, m.delta)))


def seeds_of(model, name):
    return [load(model, n) for n in RUNS[model] if n == name or re.fullmatch(re.escape(name) + r"_s\d+", n)]


narrow = min((tuple(map(int, b.split("/"))) for b in df.bits if b != "fp32"), default=None)
if narrow:
    nb, key = f"{narrow[0]}/{narrow[1]}", f"{narrow[0]}_{narrow[1]}"
    # one verdict line per model: the claim is about VGG on 100+ classes, so verdict.py says
    # "not tested here" for a model or data set without those conditions
    for model in RUNS:
        if f"{key}_bitwidth" not in RUNS[model]:
            continue
        f32, spec = seeds_of(model, "fp32"), seeds_of(model, f"{key}_bitwidth")
        run = {"classes": f32[0]["classes"], "model_family": lbio.model_family(f32[0]["model"]),
               "lns_bits": narrow[0]}
        d = [y["acc"] - x["acc"] for x, y in zip(f32, spec)]
        base_curves = [x["curve"] for x in f32]
        claims.judge("P2b_loss", d, run, f"{lbio.tex_escape(model)} on {lbio.tex_escape(f32[0]['dataset'])}" + master_note(nb),
                     diverged=sum(y["diverged"] for y in spec), baselines=base_curves)
        if f"{key}_generic" in RUNS[model]:
            gen_ = seeds_of(model, f"{key}_generic")
            claims.judge("P2b_specific", [y["acc"] - x["acc"] for x, y in zip(gen_, spec)], run,
                         f"{lbio.tex_escape(model)} on {lbio.tex_escape(f32[0]['dataset'])}",
                         diverged=sum(x["diverged"] or y["diverged"] for x, y in zip(gen_, spec)),
                         baselines=base_curves)
claims.write(sm.output[2])
