# lowprec.smk — docs/methods.md#p1 (LNS-Madam) and P4 (Kahan-compensated SGD, last-layer width):
# one `lowbit train` run per (experiment, name) as defined in lowprec_common.smk from
# config["lowprec"], and one report step that turns them into tables, figures and verdicts.
import os


rule lowprec_run:
    input:
        lowbit=rules.build.output.lowbit,
    output:
        f"{RESULTS}/lowprec/{{exp}}/{{name}}.h5",
    wildcard_constraints:
        exp="p1a|p1b|p4a|p4b",
    params:
        flags=lambda w: LP_RUNS[w.exp][w.name],
        common=lp_common(),
    log:
        "logs/lowprec/{exp}/{name}.log",
    benchmark:
        "logs/benchmarks/lowprec_{exp}_{name}.tsv"
    threads: config["threads"]
    conda:
        ENV
    shell:
        "{input.lowbit} train {params.common} {params.flags} --out {output} --resume > {log} 2>&1"


rule lowprec_report:
    input:
        runs=LP_FILES,
        published="experiments/data/published_figures.csv",
        ledger="experiments/claims.yaml",
        formats=rules.lowbit_info.output.formats,
    output:
        f"{GEN}/lowprec_p1a.tex",
        f"{GEN}/lowprec_p1b.tex",
        f"{GEN}/lowprec_p1b.csv",
        f"{GEN}/lowprec_p4a.tex",
        f"{GEN}/lowprec_p4a.csv",
        f"{GEN}/lowprec_p4b.tex",
        f"{GEN}/lowprec_p4b.csv",
        f"{GEN}/lowprec_verdicts.tex",
        f"{GEN}/lowprec_verdicts.csv",
        f"{GEN}/lowprec_macros.tex",
        f"{GEN}/fig_p1b.pdf",
        f"{GEN}/fig_p4.pdf",
    params:
        results=lambda w, input: os.path.dirname(os.path.dirname(input.runs[0])),
        lp=LP,
        runs=LP_RUNS,
        p4b_frac_bits={c: p4b_frac_bits(c) for c in LP["p4"]["last_layer"]["classes"]},
        scale=config["scale"],
    log:
        "logs/lowprec_report.log",
    conda:
        ENV
    script:
        "../scripts/lowprec_report.py"
