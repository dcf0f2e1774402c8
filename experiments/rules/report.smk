# report.smk — tables, figures and the LaTeX report (Snakemake's own --report needs the
# network, so the report is built here with latexmk).
import os


rule tables:
    input:
        formats=rules.lowbit_info.output.formats,
        info=rules.lowbit_info.output.info,
        bench=rules.microbench.output[0],
        quanterr=rules.quanterr.output.summary,
    output:
        f"{GEN}/formats_table.tex",
        f"{GEN}/formats_table.csv",
        f"{GEN}/quanterr_table.tex",
        f"{GEN}/quanterr.csv",
        f"{GEN}/macros.tex",
        f"{GEN}/targets_table.tex",
    params:
        targets=config["microbench"]["targets"],
        seed=config["quanterr"]["seed"],
        configname=os.path.basename(
            (list(getattr(workflow, "overwrite_configfiles", None) or []) or ["config.yaml"])[-1]
        ),
    conda:
        ENV
    log:
        "logs/tables.log",
    script:
        "../scripts/tables.py"


rule figures:
    input:
        bins=rules.quanterr.output.bins,
        bench=rules.microbench.output[0],
        formats=rules.lowbit_info.output.formats,
    output:
        relerr=f"{GEN}/fig_relerr.pdf",
        throughput=f"{GEN}/fig_throughput.pdf",
    conda:
        ENV
    log:
        "logs/figures.log",
    script:
        "../scripts/figures.py"


# The sections whose report step writes <section>_verdicts.csv (through experiments/claims.yaml
# and experiments/scripts/verdict.py); the claims summary collects them.
VERDICT_SECTIONS = ["lowprec", "pwl", "pwl_train", "mls", "energy"]


rule claims_summary:
    input:
        ledger="experiments/claims.yaml",
        published="experiments/data/published_figures.csv",
        verdicts=[f"{GEN}/{s}_verdicts.csv" for s in VERDICT_SECTIONS],
    output:
        f"{GEN}/claims_summary.tex",
        f"{GEN}/claims_macros.tex",
        f"{GEN}/claims_summary.csv",
    params:
        scale=config["scale"],
    conda:
        ENV
    log:
        "logs/claims_summary.log",
    script:
        "../scripts/claims_summary.py"


rule report:
    input:
        rules.claims_summary.output,
        rules.tables.output,
        rules.figures.output,
        rules.training_report.output,
        rules.lowprec_report.output,
        rules.energy_report.output,
        rules.mls_report.output,
        rules.pwl_report.output,
        rules.pwl_train_report.output,
        rules.accum_report.output,
        "reports/report.tex",
        expand("reports/sections/{s}.tex", s=glob_wildcards("reports/sections/{s}.tex").s),
    output:
        "reports/report.pdf",
    conda:
        ENV
    log:
        "logs/report.log",
    shell:
        "cd reports && latexmk -pdf -interaction=nonstopmode -halt-on-error report.tex "
        "> ../{log} 2>&1"
