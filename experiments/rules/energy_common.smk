# energy_common.smk — the run lists of energy.smk (functions only): which P1 and P3 result files
# the cost model prices as they were simulated (docs/methods.md#energy-iteration).


P1_HEAD = (LP["p1"].get("a_optimizers") or ["lns_madam"])[0]  # P1(a)'s headline LNS-Madam run


def energy_p1_runs(wildcards):
    """P1(d): the P1(a) FP32 run and the headline LNS-Madam runs (fake-quantized, bit-true)."""
    names = [n for n in ("fp32", P1_HEAD, f"{P1_HEAD}_bittrue") if n in LP_RUNS["p1a"]]
    return [f"{RESULTS}/lowprec/p1a/{n}.h5" for n in names]


def energy_p3_runs(wildcards):
    """P3(c): per model the MLS headline run, the FP32 reference (first baseline) and the FP8
    baseline of config energy.p3_fp8_baseline, and the bit-true MLS run."""
    en = config["energy"]
    want = (en["mls_headline"], MLS["baselines"][0][0], en.get("p3_fp8_baseline", "fp8_e4m3"))
    out = [f"{RESULTS}/mls/a/{mo}/{n}.h5" for mo, r in MLS_RUNS["a"].items() for n in want if n in r]
    out += [f"{RESULTS}/mls/bt/{mo}/bit_true.h5" for mo, r in MLS_RUNS["bt"].items() if "bit_true" in r]
    return out
