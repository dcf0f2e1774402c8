# energy.smk — the hardware cost model (docs/methods.md#energy): `lowbit energy` on the runs of
# the P1 and P3 experiments as they were simulated (each run's own formats and --gemm kernel
# widths; lowprec.smk, mls.smk), on the FP32 training runs' op counts under every format
# assignment of config["energy"], and on single MACs, for every unit table in
# energy_model/units/.


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


rule energy_report:
    input:
        lowbit=rules.build.output.lowbit,
        runs=expand(f"{RESULTS}/train/{{model}}_fp32.h5", model=TRAIN["models"]),
        p1_runs=energy_p1_runs,
        p3_runs=energy_p3_runs,
        units=expand("energy_model/units/{t}.csv", t=config["energy"]["unit_tables"]),
        calibration="energy_model/calibration.csv",
        published="experiments/data/published_figures.csv",
        ledger="experiments/claims.yaml",
    output:
        f"{GEN}/energy_p1.tex",
        f"{GEN}/energy_p1.csv",
        f"{GEN}/energy_sets.tex",
        f"{GEN}/energy_p2.tex",
        f"{GEN}/energy_p2.csv",
        f"{GEN}/energy_p3.tex",
        f"{GEN}/energy_p3.csv",
        f"{GEN}/energy_p3_mac.tex",
        f"{GEN}/energy_p3_mac.csv",
        f"{GEN}/energy_check.tex",
        f"{GEN}/energy_iteration.csv",
        f"{GEN}/energy_verdicts.tex",
        f"{GEN}/energy_verdicts.csv",
        f"{GEN}/energy_macros.tex",
        f"{GEN}/fig_energy.pdf",
    params:
        p1_head=P1_HEAD,
        scale=config["scale"],
        energy=config["energy"],
        mls_reference=lambda w: MLS["baselines"][0][0],
    log:
        "logs/energy_report.log",
    conda:
        ENV
    script:
        "../scripts/energy_report.py"
