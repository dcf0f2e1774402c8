"""verdict.py — the one verdict function of the report, for every claim of the ledger
(experiments/claims.yaml). A report script measures a quantity (a paired difference per seed,
a ratio per unit-cost table, an error per bit-width, ...) and hands the values, the run's
conditions and the claim's ledger entry to `judge`; the status and the sentence behind it come
from here, with the thresholds of the ledger, so no script defines its own.

Five outcomes:
  supported / partly / not supported   the measured interval lies wholly in that region of the
                                       claim's decision rule
  inconclusive                         the interval straddles a region boundary (the difference
                                       is within the run-to-run spread), a headline claim has
                                       fewer seeds than required, or a run gave no number
  not tested here                      the run lacks a condition the claim needs (data set,
                                       classes, model family, bit widths, ...)
A smoke-scale run keeps its computed status but is labelled "smoke (not a verdict)".

The interval: for n >= 2 paired values, mean +- t(0.975, n-1) * sd / sqrt(n) (a 95 % interval
of the mean paired difference); for n = 1 the single value +- the claim's declared
single-run noise (`noise:` in the ledger, 0 if absent); for `kind: deterministic` claims
(cost model, approximation error) the span [min, max] of the values, e.g. over unit-cost
tables, so two tables that disagree give "inconclusive: depends on the unit table"."""
import math
from dataclasses import dataclass, field

import yaml

STATUSES = ("supported", "partly", "not supported", "inconclusive", "not tested here")
SMOKE_LABEL = "smoke (not a verdict)"
# Student t, 0.975 quantile, by degrees of freedom (df > 30: the normal 1.96 is within 2 %)
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    if df < 1:
        raise ValueError(f"t975: degrees of freedom {df} < 1")
    return _T975[df - 1] if df <= len(_T975) else 1.96


@dataclass
class Verdict:
    claim: str                  # ledger id, e.g. "P3a_e2m1"
    status: str                 # one of STATUSES
    text: str                   # the evidence in one sentence (LaTeX-safe)
    mean: float = math.nan
    lo: float = math.nan
    hi: float = math.nan
    n: int = 0
    smoke: bool = False
    missing: list = field(default_factory=list)
    statement: str = ""         # the ledger's statement (filled by the report's Claims helper)
    scale: str = ""             # which configuration ran: default, smoke, cluster
    diverged: int = 0           # runs behind the values that diverged
    converged: str = ""         # the baseline's convergence note (report scripts), "" if none
    baseline: str = ""          # its state (BASELINE_STATES), "" if no baseline was given

    @property
    def label(self):
        return SMOKE_LABEL if self.smoke else self.status


def load_ledger(path):
    """The ledger as {id: entry}, each entry checked (check_entry); ValueError names the id."""
    with open(path) as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        raise ValueError(f"{path}: expected a mapping with a 'claims' list")
    out = {}
    for i, e in enumerate(doc["claims"]):
        cid = e.get("id") if isinstance(e, dict) else None
        if not cid:
            raise ValueError(f"{path}: claims[{i}] has no id")
        if cid in out:
            raise ValueError(f"{path}: claim id '{cid}' appears twice")
        check_entry(e, f"{path}: claim {cid}")
        out[cid] = e
    return out


def load_settings(path):
    """The ledger's `accuracy:` block: how a run's accuracy is read (the median of the last
    `last_epochs` epochs) and when a baseline counts as converged (its median moved by at most
    `plateau_points` between the last two windows). ValueError names the key."""
    with open(path) as fh:
        doc = yaml.safe_load(fh)
    acc = (doc or {}).get("accuracy") or {}
    k, p = acc.get("last_epochs", 3), acc.get("plateau_points", 0.5)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
        raise ValueError(f"{path}: accuracy.last_epochs = {k!r}: expected an integer in 1..100")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not (0 < float(p) < 100):
        raise ValueError(f"{path}: accuracy.plateau_points = {p!r}: expected a number in (0, 100)")
    return {"last_epochs": k, "plateau_points": float(p)}


def check_entry(e, where):
    """Consistency the schema cannot express: regions ordered, contiguous, statuses known."""
    rule = e["rule"]
    regions = rule["regions"]
    if not regions:
        raise ValueError(f"{where}: rule.regions is empty")
    prev_hi = None
    for r in regions:
        lo, hi, st = _num(r[0]), _num(r[1]), r[2]
        if st not in STATUSES[:3]:
            raise ValueError(f"{where}: region status '{st}' is not one of {STATUSES[:3]}")
        if not lo < hi:
            raise ValueError(f"{where}: region [{r[0]}, {r[1]}] is empty")
        if prev_hi is not None and lo != prev_hi:
            raise ValueError(f"{where}: regions must be contiguous ({prev_hi} then {r[0]})")
        prev_hi = hi
    if _num(regions[0][0]) != -math.inf or _num(regions[-1][1]) != math.inf:
        raise ValueError(f"{where}: regions must cover -inf..inf")
    for k in e.get("needs", {}) or {}:
        if k.endswith("_min") or k.endswith("_max") or k in ("dataset", "model_family", "model"):
            continue
        if not isinstance(e["needs"][k], (str, int, float, bool, list)):
            raise ValueError(f"{where}: needs.{k} must be a value or a list")


def _num(v):
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("-inf", "-.inf"):
            return -math.inf
        if s in ("inf", "+inf", ".inf"):
            return math.inf
        return float(s)
    return float(v)


def _tex(s):
    """Plain text made safe for LaTeX (condition names and values come from data)."""
    out = str(s)
    for a, b in (("\\", "\\textbackslash{}"), ("&", "\\&"), ("%", "\\%"), ("$", "\\$"), ("#", "\\#"),
                 ("_", "\\_"), ("{", "\\{"), ("}", "\\}"), (">=", "$\\geq$"), ("<=", "$\\leq$")):
        out = out.replace(a, b)
    return out


def missing_conditions(needs, run):
    """The conditions of `needs` that `run` (a dict of what the run had) does not meet, as
    readable strings. Keys: NAME_min / NAME_max (numeric bounds), or NAME: value or list of
    accepted values. A condition the run does not report is missing too."""
    out = []
    for k, want in (needs or {}).items():
        if k.endswith("_min") or k.endswith("_max"):
            name, bound = k[:-4], k[-3:]
            have = run.get(name)
            if have is None:
                out.append(f"{name} unknown (needs {'>=' if bound == 'min' else '<='} {want})")
            elif (bound == "min" and float(have) < float(want)) or (bound == "max" and float(have) > float(want)):
                out.append(f"{name} = {have} (needs {'>=' if bound == 'min' else '<='} {want})")
            continue
        have = run.get(k)
        accepted = want if isinstance(want, list) else [want]
        if have is None or str(have) not in [str(a) for a in accepted]:
            out.append(f"{k} = {have if have is not None else 'unknown'} (needs {' or '.join(map(str, accepted))})")
    return out


def interval(values, kind="paired", noise=0.0):
    """(mean, lo, hi, n) of finite values; NaN everywhere if there are none."""
    v = [float(x) for x in values if x is not None and math.isfinite(float(x))]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = sum(v) / n
    if kind == "deterministic":
        return mean, min(v), max(v), n
    if n == 1:
        return mean, mean - noise, mean + noise, 1
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1))
    h = t975(n - 1) * sd / math.sqrt(n)
    return mean, mean - h, mean + h, n


def region_of(regions, x):
    for r in regions:
        if _num(r[0]) <= x < _num(r[1]) or (x == math.inf and _num(r[1]) == math.inf):
            return r[2]
    raise ValueError(f"{x} is in no region")


BASELINE_STATES = ("plateaued", "still rising", "falling", "too few epochs")


def judge(entry, values, run, smoke=False, unit=None, what=None, diverged=0, baseline=None):
    """The verdict on ledger entry `entry` from `values` (the measured quantity per seed, or per
    unit table for deterministic claims; None/NaN for a run that gave no number) on a run with
    conditions `run` (dict). `unit` formats the numbers in the sentence ("points", "x", "%").
    `diverged`: how many of the runs behind `values` diverged (non-finite loss or chance
    accuracy); they stay in the values at the accuracy they reached (a diverged low-precision
    run is a result, not a missing one) and are counted in the sentence.
    `baseline`: (state, note) of the FP32 baseline behind an accuracy comparison, state one of
    BASELINE_STATES (the ledger's `accuracy:` rule, lbio.Claims.converged). Unless it
    plateaued, a supported / partly / not supported outcome becomes inconclusive: a gap (or no
    gap) at a budget where the baseline was still moving says how fast each trains, not where
    each ends, and the claims are about where they end."""
    cid = entry["id"]
    rule = entry["rule"]
    unit = unit or rule.get("unit", "")
    what = _tex(what or rule.get("measure", "measured"))
    kind = entry.get("kind", "paired")
    miss = missing_conditions(entry.get("needs"), run)
    if miss:
        return Verdict(cid, "not tested here", "the run lacks what the claim needs: " + "; ".join(_tex(m) for m in miss),
                       n=0, smoke=smoke, missing=miss)
    vals = list(values)
    if diverged < 0 or diverged > len(vals):
        raise ValueError(f"judge({cid}): diverged = {diverged} of {len(vals)} runs")
    v = _judge(entry, vals, kind, unit, what, rule, cid, smoke)
    v.diverged = diverged
    if diverged:
        v.text += f"; {diverged} of {len(vals)} runs diverged (counted at the accuracy they reached)"
    if baseline is not None:
        state, note = baseline
        if state not in BASELINE_STATES:
            raise ValueError(f"judge({cid}): baseline state '{state}' (expected one of "
                             f"{', '.join(BASELINE_STATES)})")
        v.converged, v.baseline = note, state
        v.text += "; " + note
        if state != "plateaued" and v.status in ("supported", "partly", "not supported"):
            v.text = (f"the FP32 baseline had not plateaued ({state}), so this budget cannot "
                      f"decide (it would read {v.status}): " + v.text)
            v.status = "inconclusive"
    return v


def _judge(entry, vals, kind, unit, what, rule, cid, smoke):
    nan_count = sum(1 for x in vals if x is None or not math.isfinite(float(x)))
    mean, lo, hi, n = interval(vals, kind, float(entry.get("noise", 0.0)))

    def fmt(x):
        return f"{x:+.2f}" if unit == "points" else f"{x:.3g}"
    span = (f"{what} {fmt(mean)}{' ' + _tex(unit) if unit else ''}" +
            ("" if n == 0 else f", 95\\,\\% interval [{fmt(lo)}, {fmt(hi)}] over {n} seeds" if kind == "paired" and n >= 2
             else f", range [{fmt(lo)}, {fmt(hi)}] over {n} {rule.get('over', 'values')}" if kind == "deterministic" and n >= 2
             else f" (one run, $\\pm${fmt(float(entry.get('noise', 0.0)))} declared noise)" if n == 1 else ""))
    if n == 0:
        return Verdict(cid, "inconclusive", "no run gave a number", smoke=smoke)
    if nan_count:
        return Verdict(cid, "inconclusive", f"{nan_count} of {len(vals)} runs gave no number; " + span,
                       mean, lo, hi, n, smoke)
    need = int(entry.get("min_seeds", 3 if entry.get("headline") else 1))
    if kind == "paired" and n < need:
        return Verdict(cid, "inconclusive", f"{n} seed(s), the claim needs {need}; " + span, mean, lo, hi, n, smoke)
    r_lo, r_hi = region_of(rule["regions"], lo), region_of(rule["regions"], hi)
    if r_lo == r_hi:
        return Verdict(cid, r_lo, span, mean, lo, hi, n, smoke)
    over = rule.get("over", "")
    why = (f"depends on the {_tex(over)}: " if over.startswith("unit tables") else
           "the interval straddles a threshold: ")
    return Verdict(cid, "inconclusive", why + span + f" (spans {r_lo} and {r_hi})", mean, lo, hi, n, smoke)


def status_counts(verdicts):
    out = {s: 0 for s in STATUSES}
    for v in verdicts:
        out[v.status] += 1
    return out
