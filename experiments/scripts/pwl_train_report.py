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

Verdict thresholds: CLOSE (1 point) "small loss" = supported, PARTLY (3 points) = partly;
"trains better": by more than NOISE (1 point, single-seed run-to-run noise) = supported, by less
= partly."""
import math
import os
import sys

import h5py
import numpy as np
import pandas as pd

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821
import lbio  # noqa: E402

sm = snakemake  # noqa: F821
T = sm.params.train
RUNS = sm.params.runs
res = sm.params.results
CLOSE, PARTLY, NOISE = 1.0, 3.0, 1.0
pub = pd.read_csv(sm.input.published, comment="#")
claim_bits = pub[(pub.paper == "P2") & (pub.quantity == "integer_bits_minimal_loss")]
claim_bits = int(claim_bits.value.iloc[0]) if len(claim_bits) else 12


def load(model, name):
    with h5py.File(f"{res}/{model}/{name}.h5", "r") as f:
        ep = f["epochs"]
        stored = lbio.h5attr(f, "weight_format", "fp32") != "fp32" and "update_zero_frac" in ep
        return {"acc": 100 * float(ep["test_acc"][-1]), "sec": float(np.median(ep["seconds"][:])),
                "gemm": lbio.h5attr(f, "gemm", "fp32"),
                "macs": int(f.attrs.get("gemm_macs", 0)),
                # the share of weight updates (vs the float32 SGD step) that landed exactly 0
                "vanish": 100 * float(ep["update_zero_frac"][-1]) if stored else math.nan}


label = {"exact": "exact", "lut": "LUT", "generic": "PWL generic",
         "bitwidth": "PWL bitwidth-specific", "ours": "PWL ours"}
label.update({f"{k}_fp32w": f"{v}, LNS GEMMs only" for k, v in list(label.items())})
rows = []
for model, names in RUNS.items():
    base = load(model, "fp32")
    rows.append({"model": model, "bits": "fp32", "approx": "fp32", "approx_label": "FP32",
                 "test_acc": base["acc"], "delta": 0.0, "sec_epoch": base["sec"],
                 "x_fp32": 1.0, "vanish": math.nan})
    for n in names:
        if n == "fp32":
            continue
        b, f, tag = n.split("_", 2)
        r = load(model, n)
        if r["macs"] <= 0:
            raise RuntimeError(f"{model}/{n}: the bit-true GEMM did not run (gemm_macs 0)")
        rows.append({"model": model, "bits": f"{b}/{f}", "approx": tag,
                     "approx_label": label.get(tag, tag), "test_acc": r["acc"],
                     "delta": r["acc"] - base["acc"], "sec_epoch": r["sec"],
                     "x_fp32": r["sec"] / base["sec"], "vanish": r["vanish"]})
df = pd.DataFrame(rows)
lbio.write_table(
    df, os.path.splitext(sm.output[0])[0],
    [("model", "model"), ("bits", "bits/frac"), ("approx_label", "LNS addition"),
     ("test_acc", "test acc. (\\%)"), ("delta", "vs FP32"), ("vanish", "lost upd. (\\%)"),
     ("sec_epoch", "s/epoch"), ("x_fp32", "$\\times$ FP32 time")],
    f"P2(b): all-LNS training (bit-true LNS GEMMs, every tensor role, the element-wise "
    f"arithmetic, SGD with momentum and the stored weights in LNS; softmax float32; "
    f"``LNS GEMMs only'': element-wise arithmetic and master weights float32; lost upd.: share "
    f"of the last epoch's nonzero float32 SGD updates that left the LNS weight unchanged), "
    f"{T['epochs']} epoch(s), SGD momentum {T['momentum']}, lr {T['lr']}, "
    f"{T['schedule']} schedule; FP32 with the same settings. One seed.",
    "tab:p2b",
    fmt={"test_acc": lambda v: f"{v:.2f}", "delta": lambda v: f"{v:+.2f}",
         "vanish": lambda v: "--" if math.isnan(v) else f"{v:.0f}",
         "sec_epoch": lambda v: f"{v:.1f}", "x_fp32": lambda v: f"{v:.1f}"})

def master_note(nb):
    """The same run with float32 master weights, if it was made: where the loss comes from."""
    m = df[(df.bits == nb) & (df.approx == "bitwidth_fp32w")]
    if not len(m):
        return ""
    return ("; with LNS GEMMs only (element-wise arithmetic and master weights float32): " + ", ".join(
        f"{a} {v:+.2f} points" for a, v in zip(m.model, m.delta)))


verdicts = []
narrow = min((tuple(map(int, b.split("/"))) for b in df.bits if b != "fp32"), default=None)
if narrow:
    nb = f"{narrow[0]}/{narrow[1]}"
    spec = df[(df.bits == nb) & (df.approx == "bitwidth")]
    if len(spec):
        d = spec.delta.to_numpy()
        st = ("supported" if (np.abs(np.minimum(d, 0)) <= CLOSE).all() else
              "partly" if (np.abs(np.minimum(d, 0)) <= PARTLY).all() else "not supported")
        verdicts.append((f"P2(b) all-LNS training at {nb} ({claim_bits}-bit integer arithmetic "
                         f"in the paper) with the bitwidth-specific table loses little vs FP32",
                         st, "accuracy change vs FP32: " + ", ".join(
                             f"{m} {v:+.2f} points" for m, v in zip(spec.model, d))
                         + f" (supported within {CLOSE:g}, partly within {PARTLY:g}; our models "
                         "and epochs, not VGG on CIFAR-100)" + master_note(nb)))
    gen = df[(df.bits == nb) & (df.approx == "generic")]
    if len(spec) and len(gen):
        diff = spec.test_acc.to_numpy() - gen.test_acc.to_numpy()
        st = ("supported" if (diff > NOISE).all() else "partly" if (diff > 0).any() else
              "not supported")
        verdicts.append((f"P2(b) at {nb}, the bitwidth-specific table trains better than the "
                         "generic one", st, "accuracy, specific minus generic: " + ", ".join(
                             f"{m} {v:+.2f} points" for m, v in zip(spec.model, diff))
                         + f" (supported above {NOISE:g} point, the single-seed noise; partly "
                         "above 0)"))
lbio.write_verdicts(sm.output[2], verdicts)
