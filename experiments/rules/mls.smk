# mls.smk — docs/methods.md#p3 (MLS low-bit training) with OCP MX and FP8 beside it: one
# `lowbit train` run per (experiment, model, name) as defined in mls_common.smk from
# config["mls"], and one report step (tables (a) and (b), the figure, verdicts).
import os


rule mls_run:
    input:
        lowbit=rules.build.output.lowbit,
    output:
        f"{RESULTS}/mls/{{exp}}/{{net}}/{{name}}.h5",
    wildcard_constraints:
        exp="a|b|bt|c",
    params:
        # the bit-true pair sets its own (shorter) --epochs, which comes last and wins
        flags=lambda w: f"--epochs {MLS['epochs']} {MLS_RUNS[w.exp][w.net][w.name]}",
        common=mls_common(),
    log:
        "logs/mls/{exp}/{net}/{name}.log",
    benchmark:
        "logs/benchmarks/mls_{exp}_{net}_{name}.tsv"
    threads: config["threads"]
    conda:
        ENV
    shell:
        "{input.lowbit} train {params.common} {params.flags} --out {output} --resume > {log} 2>&1"


rule mls_report:
    input:
        lowbit=rules.build.output.lowbit,
        runs=MLS_FILES,
        published="experiments/data/published_figures.csv",
        ledger="experiments/claims.yaml",
    output:
        f"{GEN}/mls_p3a.tex",
        f"{GEN}/mls_p3a.csv",
        f"{GEN}/mls_p3b.tex",
        f"{GEN}/mls_p3b.csv",
        f"{GEN}/mls_p3d.tex",
        f"{GEN}/mls_p3d.csv",
        f"{GEN}/mls_verdicts.tex",
        f"{GEN}/mls_verdicts.csv",
        f"{GEN}/mls_macros.tex",
        f"{GEN}/fig_p3.pdf",
    params:
        scale=config["scale"],
        results=lambda w, input: os.path.dirname(os.path.dirname(os.path.dirname(input.runs[0]))),
        mls=MLS,
        runs=MLS_RUNS,
    log:
        "logs/mls_report.log",
    conda:
        ENV
    script:
        "../scripts/mls_report.py"
