"""The report's first table (snakemake script): one line per claim, in the ledger's order
(experiments/claims.yaml; a claim several runs judged shows the judged one with the most seeds and
counts the others): the claim, the paper's number (from
experiments/data/published_figures.csv), ours as mean with its interval over the seeds (or the
span over unit tables), the verdict and the scale it was judged at. A claim no section judged in
this configuration is listed as "not run". Also written as CSV."""
import csv
import math
import os
import sys

import pandas as pd

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821
import lbio  # noqa: E402
import verdict  # noqa: E402

sm = snakemake  # noqa: F821
ledger = verdict.load_ledger(sm.input.ledger)
pub = pd.read_csv(sm.input.published, comment="#")
rows = {}
for path in sm.input.verdicts:
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            if r["claim"] not in ledger:
                raise ValueError(f"{path}: claim '{r['claim']}' is not in the ledger {sm.input.ledger}")
            rows.setdefault(r["claim"], []).append(r)


def paper_number(e):
    src = e["source"]
    if not isinstance(src, dict):
        return "abstract"
    g = pub[(pub.paper == e["paper"]) & (pub.experiment == src["experiment"])]
    q = src["quantity"]
    if "setup" in src:
        g = g[g.setup == src["setup"]]
    if q.endswith("_min"):  # a range: both ends
        lo = g[g.quantity == q].value
        hi = g[g.quantity == q[:-4] + "_max"].value
        if len(lo) and len(hi):
            return f"{lo.iloc[0]:g}--{hi.iloc[0]:g} ({g[g.quantity == q].unit.iloc[0]})"
    v = g[g.quantity == q]
    if not len(v):
        return "--"
    if len(v) > 1:
        return f"{v.value.min():g}--{v.value.max():g} ({v.unit.iloc[0]})"
    return f"{v.value.iloc[0]:g} ({v.unit.iloc[0].replace('_', ' ')})"


def ours(r, e):
    n = int(r["n"]) if r["n"] else 0
    mean, lo, hi = (float(r[k]) if r[k] not in ("", "nan") else math.nan for k in ("mean", "lo", "hi"))
    if n == 0 or math.isnan(mean):
        return "--"
    div = int(r.get("diverged") or 0)
    unconv = r.get("baseline") not in ("", None, "plateaued")
    return (_ours(n, mean, lo, hi, e) + (f", {div} diverged" if div else "")
            + ("; baseline not plateaued" if unconv else "")
            + (f" ({r['_others']} more runs in its section)" if r.get("_others") else ""))


def _ours(n, mean, lo, hi, e):
    unit = e["rule"].get("unit", "")
    u = {"points": " pt", "%": "\\,\\%", "x": "$\\times$", "bits": " bits"}.get(unit, "")
    if n == 1 and e.get("kind") == "paired":
        return f"{mean:+.2f}{u} (1 seed)" if unit == "points" else f"{mean:.3g}{u}"
    sign = "+" if unit == "points" else ""
    return (f"{mean:{sign}.2f}{u} [{lo:{sign}.2f}, {hi:{sign}.2f}], {n} seeds" if e.get("kind") == "paired"
            else f"{mean:.3g}{u} [{lo:.3g}, {hi:.3g}]" if lo != hi else f"{mean:.3g}{u}")


def one_row(rs):
    """The summary's one line of a claim that several runs judged (e.g. one per model): the
    judged ones before "not tested here"; among them the one with the most seeds (the first of
    equals); the others counted on its line (the section lists each)."""
    judged = [r for r in rs if r["status"] != "not tested here"] or rs[:1]
    best = max(judged, key=lambda r: int(r["n"] or 0))  # max keeps the first of equals
    return dict(best, _others=len(rs) - 1)


out = []
for cid, e in ledger.items():
    for r in [one_row(rows[cid])] if cid in rows else [None]:
        label = r["label"] if r else "not run"
        out.append({"claim": cid, "paper": e["paper"], "statement": e["statement"],
                    "paper_number": paper_number(e), "ours": ours(r, e) if r else "--",
                    "status": r["status"] if r else "not run", "label": label,
                    "scale": r["scale"] if r else sm.params.scale,
                    "setup": e["ours"].get("cluster" if sm.params.scale == "cluster" else "default", "")})
df = pd.DataFrame(out)
stem = os.path.splitext(sm.output[0])[0]
df.to_csv(stem + ".csv", index=False)
color = dict(lbio.VERDICT_COLOR, **{"not run": "black!40"})
lines = [r"\begin{center}\scriptsize", r"\begin{tabular}{@{}p{0.9cm}p{5.6cm}p{2.2cm}p{3.3cm}p{2.3cm}@{}}",
         r"\toprule", r"claim & statement & paper & ours & verdict \\", r"\midrule"]
for r in out:
    lines.append(f"{r['claim'].replace('_', '-')} & {lbio.tex_escape(r['statement'])} & "
                 f"{lbio.tex_escape(r['paper_number'])} & {r['ours']} & "
                 f"\\textcolor{{{color[r['label']]}}}{{\\textbf{{{r['label']}}}}}"
                 + (f" {{\\tiny ({r['status']})}}" if r["label"] != r["status"] else "") + " \\\\")
lines += [r"\bottomrule", r"\end{tabular}", r"\end{center}", ""]
with open(sm.output[0], "w") as fh:
    fh.write("\n".join(lines))
counts = df.status.value_counts()
with open(sm.output[1], "w") as fh:
    for s in verdict.STATUSES + ("not run",):
        key = "lbClaims" + "".join(w.capitalize() for w in s.split())
        fh.write(f"\\newcommand{{\\{key}}}{{{int(counts.get(s, 0))}}}\n")
    fh.write(f"\\newcommand{{\\lbClaimsScale}}{{{sm.params.scale}}}\n")
    acc = verdict.load_settings(sm.input.ledger)
    fh.write(f"\\newcommand{{\\lbAccLastEpochs}}{{{acc['last_epochs']}}}\n")
    fh.write(f"\\newcommand{{\\lbAccPlateau}}{{{acc['plateau_points']:g}}}\n")
