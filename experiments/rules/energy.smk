# energy.smk — the hardware cost model (issue 8): `lowbit energy` on the FP32 training runs'
# op counts under every format assignment of config["energy"], and on single MACs, for every
# unit table in energy_model/units/.


rule energy_report:
    input:
        lowbit=rules.build.output.lowbit,
        runs=expand(f"{RESULTS}/train/{{model}}_fp32.h5", model=TRAIN["models"]),
        units=expand("energy_model/units/{t}.csv", t=config["energy"]["unit_tables"]),
        published="experiments/data/published_figures.csv",
        ledger="experiments/claims.yaml",
    output:
        f"{GEN}/energy_p1.tex",
        f"{GEN}/energy_p1.csv",
        f"{GEN}/energy_p2.tex",
        f"{GEN}/energy_p2.csv",
        f"{GEN}/energy_p3.tex",
        f"{GEN}/energy_p3.csv",
        f"{GEN}/energy_check.tex",
        f"{GEN}/energy_iteration.csv",
        f"{GEN}/energy_verdicts.tex",
        f"{GEN}/energy_verdicts.csv",
        f"{GEN}/energy_macros.tex",
        f"{GEN}/fig_energy.pdf",
    params:
        scale=config["scale"],
        energy=config["energy"],
    log:
        "logs/energy_report.log",
    conda:
        ENV
    script:
        "../scripts/energy_report.py"
