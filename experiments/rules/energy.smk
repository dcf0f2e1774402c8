# energy.smk — the hardware cost model (docs/methods.md#energy): `lowbit energy` on the runs of
# the P1 and P3 experiments as they were simulated (each run's own formats and --gemm kernel
# widths; lowprec.smk, mls.smk), on the FP32 training runs' op counts under every format
# assignment of config["energy"], and on single MACs, for every unit table in
# energy_model/units/. Its input functions are in energy_common.smk.


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
