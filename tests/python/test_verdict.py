"""The one verdict function (experiments/scripts/verdict.py) and the claims ledger
(experiments/claims.yaml): each of the five outcomes on constructed inputs, the interval
arithmetic against hand-computed values, the ledger against its schema and the published
figures, and the rule that no claim is "supported" on a run lacking one of its conditions."""
import copy
import csv
import math
import os
import sys

import jsonschema
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "experiments", "scripts"))
import verdict as V  # noqa: E402

LEDGER = os.path.join(ROOT, "experiments", "claims.yaml")
SCHEMA = os.path.join(ROOT, "experiments", "claims.schema.yaml")
PUBLISHED = os.path.join(ROOT, "experiments", "data", "published_figures.csv")

ACC = {  # an accuracy-difference claim as the ledger writes them
    "id": "P9z", "kind": "paired", "headline": True, "noise": 1.0,
    "rule": {"measure": "acc diff", "unit": "points",
             "regions": [["-inf", -3, "not supported"], [-3, -1, "partly"], [-1, "inf", "supported"]]},
    "needs": {"classes_min": 100, "model_family": ["vgg", "resnet"]},
}
RUN = {"classes": 100, "model_family": "vgg"}


def test_supported():
    v = V.judge(ACC, [-0.2, 0.1, -0.1], RUN)
    assert v.status == "supported" and v.n == 3 and v.lo > -1


def test_partly():
    v = V.judge(ACC, [-2.0, -2.1, -1.9], RUN)
    assert v.status == "partly"


def test_not_supported():
    v = V.judge(ACC, [-6.0, -5.5, -6.5], RUN)
    assert v.status == "not supported"


def test_inconclusive_when_the_interval_straddles_a_threshold():
    v = V.judge(ACC, [-4.9, -0.5, 2.3], RUN)  # mean -1.03, wide spread
    assert v.status == "inconclusive" and "straddles" in v.text
    assert v.lo < -1 < v.hi


def test_inconclusive_for_a_headline_claim_on_too_few_seeds():
    v = V.judge(ACC, [0.5, 0.4], RUN)
    assert v.status == "inconclusive" and "needs 3" in v.text


def test_inconclusive_when_a_run_gave_no_number():
    v = V.judge(ACC, [0.1, float("nan"), 0.2, 0.3], RUN)
    assert v.status == "inconclusive" and "1 of 4" in v.text


def test_not_tested_here_names_the_missing_condition():
    v = V.judge(ACC, [0.1, 0.2, 0.3], {"classes": 10, "model_family": "vgg"})
    assert v.status == "not tested here" and "classes = 10" in v.text
    v = V.judge(ACC, [0.1, 0.2, 0.3], {"classes": 100})
    assert v.status == "not tested here" and "family = unknown" in v.text


def test_smoke_keeps_the_status_but_labels_it():
    v = V.judge(ACC, [0.1, 0.2, 0.3], RUN, smoke=True)
    assert v.status == "supported" and v.label == V.SMOKE_LABEL


def test_interval_by_hand():
    mean, lo, hi, n = V.interval([1.0, 2.0, 3.0])
    h = 4.303 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n), sd = 1
    assert (mean, n) == (2.0, 3) and lo == pytest.approx(2 - h) and hi == pytest.approx(2 + h)
    assert V.interval([5.0], noise=0.5)[1:3] == (4.5, 5.5)
    assert V.interval([3.0, 1.0, 2.0], kind="deterministic")[1:3] == (1.0, 3.0)
    assert V.t975(1) == 12.706 and V.t975(100) == 1.96


def test_single_seed_uses_the_declared_noise():
    single = dict(ACC, headline=False)
    assert V.judge(single, [-0.5], RUN).status == "inconclusive"   # -1.5..0.5 straddles -1
    assert V.judge(single, [0.5], RUN).status == "supported"       # -0.5..1.5


def test_deterministic_claims_depend_on_the_unit_table():
    gain = {"id": "P9y", "kind": "deterministic",
            "rule": {"measure": "gain", "unit": "x", "over": "unit tables",
                     "regions": [["-inf", 1, "not supported"], [1, 7.5, "partly"], [7.5, 11, "supported"],
                                 [11, "inf", "partly"]]}, "needs": {}}
    assert V.judge(gain, [9.0, 10.0], {}).status == "supported"
    v = V.judge(gain, [4.0, 9.0], {})
    assert v.status == "inconclusive" and "depends on the unit table" in v.text
    assert V.judge(gain, [12.0, 30.0], {}).status == "partly"


def test_bad_regions_are_rejected():
    bad = copy.deepcopy(ACC)
    bad["rule"]["regions"] = [["-inf", -3, "not supported"], [-2, "inf", "supported"]]
    with pytest.raises(ValueError, match="contiguous"):
        V.check_entry(bad, "t")
    bad["rule"]["regions"] = [["-inf", 0, "maybe"], [0, "inf", "supported"]]
    with pytest.raises(ValueError, match="maybe"):
        V.check_entry(bad, "t")


def ledger():
    return V.load_ledger(LEDGER)


def test_ledger_matches_its_schema():
    with open(SCHEMA) as s, open(LEDGER) as d:
        jsonschema.validate(yaml.safe_load(d), yaml.safe_load(s))


def test_every_paper_and_every_published_claim_has_an_entry():
    L = ledger()
    assert {e["paper"] for e in L.values()} == {"P1", "P2", "P3", "P4"}
    sources = {(e["source"]["experiment"], e["source"]["quantity"]) for e in L.values()
               if isinstance(e["source"], dict)}
    with open(PUBLISHED) as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    claims = {(r["experiment"], r["quantity"]) for r in rows if r["kind"] == "claim"}
    # gain_max rows are the other end of a gain_min range; both ends live in one entry
    missing = {c for c in claims if c not in sources and (c[0], c[1].replace("_max", "_min")) not in sources
               and not c[1].endswith("exponent_bits_within_1pt")}
    assert not missing, f"published claims without a ledger entry: {sorted(missing)}"


def test_no_claim_is_supported_on_a_run_lacking_a_condition():
    """For every entry and every condition it needs: a run that meets all the others but not
    this one, with values deep in the supported region, must give 'not tested here'."""
    for cid, e in ledger().items():
        regions = e["rule"]["regions"]
        sup = [r for r in regions if r[2] == "supported"][0]
        lo, hi = V._num(sup[0]), V._num(sup[1])
        x = (lo + hi) / 2 if math.isfinite(lo) and math.isfinite(hi) else (lo + 5 if math.isfinite(lo) else hi - 5)
        full = {}
        for k, want in e["needs"].items():
            if k.endswith("_min"):
                full[k[:-4]] = want
            elif k.endswith("_max"):
                full[k[:-4]] = want
            else:
                full[k] = want[0] if isinstance(want, list) else want
        vals = [x] * 3
        assert V.judge(e, vals, full).status == "supported", f"{cid}: the constructed run meets every condition"
        for k in e["needs"]:
            lacking = dict(full)
            if k.endswith("_min"):
                lacking[k[:-4]] = float(e["needs"][k]) - 1
            elif k.endswith("_max"):
                lacking[k[:-4]] = float(e["needs"][k]) + 1
            else:
                lacking[k] = "something-else"
            v = V.judge(e, vals, lacking)
            assert v.status == "not tested here", f"{cid}: supported although {k} is not met"
            del lacking[k.removesuffix("_min").removesuffix("_max")]
            assert V.judge(e, vals, lacking).status == "not tested here", f"{cid}: {k} absent"


def test_diverged_runs_are_counted_and_kept():
    v = V.judge(ACC, [0.5, -20.0, 0.2], RUN, diverged=1)
    assert v.diverged == 1 and "1 of 3 runs diverged" in v.text
    assert v.n == 3  # the diverged run stays in the interval at the accuracy it reached
    with pytest.raises(ValueError):
        V.judge(ACC, [0.5], RUN, diverged=2)


def test_settings_of_the_ledger_and_bad_values(tmp_path):
    s = V.load_settings(LEDGER)
    assert s["last_epochs"] >= 1 and s["plateau_points"] > 0
    for bad in ("{last_epochs: 0}", "{last_epochs: 2.5}", "{plateau_points: -1}",
                "{plateau_points: .nan}", "{last_epochs: true}"):
        p = tmp_path / "l.yaml"
        p.write_text(f"accuracy: {bad}\nclaims: []\n")
        with pytest.raises(ValueError, match="accuracy"):
            V.load_settings(str(p))


def test_accuracy_is_the_median_of_the_last_epochs_and_plateau_by_hand():
    import lbio
    acc = [0.50, 0.70, 0.80, 0.90, 0.60, 0.85]
    assert lbio.final_acc(acc, 3) == pytest.approx(85.0)   # median of 90, 60, 85
    assert lbio.final_acc(acc, 1) == pytest.approx(85.0)
    assert lbio.final_acc(acc[:2], 3) == pytest.approx(60.0)  # shorter run: its epochs
    # windows: last 3 -> median 85; the 3 before -> median 70: +15 points, still rising
    assert lbio.plateau(acc, 3, 0.5) == (pytest.approx(15.0), "still rising")
    flat = [0.1, 0.8, 0.801, 0.802, 0.803]
    g, st = lbio.plateau(flat, 2, 0.5)
    assert st == "plateaued" and g == pytest.approx(0.2)  # 80.25 - 80.05
    assert lbio.plateau(flat[:2], 2, 0.5)[1] == "too few epochs"
    assert lbio.plateau([0.9, 0.9, 0.5], 1, 0.5)[1] == "falling"
    with pytest.raises(ValueError):
        lbio.final_acc([], 3)


def test_a_baseline_that_did_not_plateau_makes_the_verdict_inconclusive():
    """verdict.judge's baseline rule: supported, partly and not supported become inconclusive
    (naming what they would have been) unless the FP32 baseline plateaued; the note is kept;
    an outcome that is already inconclusive or not tested here stays; a bad state is refused."""
    for vals, would in (([-0.2, 0.1, -0.1], "supported"), ([-2.0, -2.1, -1.9], "partly"),
                        ([-6.0, -5.5, -6.2], "not supported")):
        assert V.judge(ACC, vals, RUN, baseline=("plateaued", "FP32 plateaued")).status == would
        for state in ("still rising", "falling", "too few epochs"):
            v = V.judge(ACC, vals, RUN, baseline=(state, f"FP32 baseline {state}"))
            assert v.status == "inconclusive" and v.baseline == state, (vals, state, v.status)
            assert f"it would read {would}" in v.text and f"FP32 baseline {state}" in v.text
    v = V.judge(ACC, [-3.0, -0.5, -1.5], RUN, baseline=("still rising", "n"))
    assert v.status == "inconclusive" and "would read" not in v.text  # straddles anyway
    v = V.judge(ACC, [0.0, 0.1, 0.2], {"classes": 10, "model_family": "vgg"},
                baseline=("still rising", "n"))
    assert v.status == "not tested here"
    with pytest.raises(ValueError):
        V.judge(ACC, [0.0, 0.1, 0.2], RUN, baseline=("converged", "n"))


def test_lbio_claims_pass_the_baseline_state_to_the_verdict(tmp_path):
    """lbio.Claims.judge computes the baseline's state from its curves (the ledger's accuracy
    rule) and the verdict follows it; the CSV row carries the state for the summary."""
    import lbio
    c = lbio.Claims(LEDGER, "default")
    cid = "P1a"
    run = {"classes": 10, "model_family": "lenet5", "act_bits": 8, "update_bits": 16}
    rising = [[0.5, 0.6, 0.7, 0.8, 0.85, 0.88]] * 3  # +15 points between the windows
    flat = [[0.5, 0.88, 0.881, 0.88, 0.881, 0.88]] * 3
    v1 = c.judge(cid, [-5.0, -5.4, -5.2], run, baselines=rising)
    v2 = c.judge(cid, [-5.0, -5.4, -5.2], run, baselines=flat)
    if v1.status == "not tested here":  # the ledger's conditions for P1a changed: say so
        pytest.fail(f"P1a not tested on {run}: {v1.text}")
    assert (v1.status, v1.baseline) == ("inconclusive", "still rising"), v1.text
    assert (v2.status, v2.baseline) == ("not supported", "plateaued"), v2.text
    c.write(str(tmp_path / "v.tex"))
    rows = list(csv.DictReader(open(tmp_path / "v.csv")))
    assert [r["baseline"] for r in rows] == ["still rising", "plateaued"]
