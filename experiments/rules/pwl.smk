# pwl.smk — docs/methods.md#p2 (bitwidth-specific PWL LNS addition), part (a): our annealed table per
# bit-width (`lowbit pwl-fit`), then the error of Δ+ and Δ- of every approximation at every
# bit-width from `lowbit lns-delta` (integer codes over every representable d), with the table,
# the figure and the verdict. "pwl:bitwidth" is the published table of the same bit-width,
# "pwl:ours" the annealed one. Part (b): all-LNS training runs (definitions in pwl_common.smk)
# and their report step.
import os


rule pwl_fit:
    input:
        lowbit=rules.build.output.lowbit,
    output:
        f"{RESULTS}/pwl/ours_{{bits}}_{{frac}}.csv",
    wildcard_constraints:
        bits="[0-9]+",
        frac="[0-9]+",
    params:
        fit=PWL["fit"],
    log:
        "logs/pwl/fit_{bits}_{frac}.log",
    conda:
        ENV
    shell:
        "{input.lowbit} pwl-fit --bits {wildcards.bits} --frac {wildcards.frac} "
        "--segments {params.fit[segments]} --x-ub {params.fit[x_ub]} --cost {params.fit[cost]} "
        "--seed {params.fit[seed]} --iters {params.fit[iters]} "
        "--name ours{wildcards.bits}_{wildcards.frac} --out {output} 2> {log}"


rule pwl_report:
    input:
        lowbit=rules.build.output.lowbit,
        tables=PWL["tables"],
        ours=PWL_OURS if "pwl:ours" in PWL["approx"] else [],
        ledger="experiments/claims.yaml",
    output:
        f"{GEN}/pwl_p2a.tex",
        f"{GEN}/pwl_p2a.csv",
        f"{GEN}/pwl_verdicts.tex",
        f"{GEN}/pwl_macros.tex",
        f"{GEN}/fig_p2a.pdf",
        f"{GEN}/pwl_verdicts.csv",
    params:
        pwl=PWL,
        scale=config["scale"],
        results=lambda w, input: os.path.dirname(input.ours[0]) if input.ours else "",
    log:
        "logs/pwl_report.log",
    conda:
        ENV
    script:
        "../scripts/pwl_report.py"


rule pwl_run:
    input:
        lowbit=rules.build.output.lowbit,
        tables=PWL["tables"],
        deps=lambda w: PT_RUNS[w.pmodel][w.pname][1],
    output:
        f"{RESULTS}/pwl/train/{{pmodel}}/{{pname}}.h5",
    params:
        flags=lambda w: f"{PT_MODELS[w.pmodel]} {PT_RUNS[w.pmodel][w.pname][0]}",
        common=(f"--dataset {PT.get('dataset', 'fashion-mnist')} "
                f"--data-dir {PT.get('data_dir') or config['data']['fashion_mnist']} "
                f"--epochs {PT['epochs']} --batch {PT['batch']} --lr {PT['lr']} "
                f"--momentum {PT['momentum']} --weight-decay {PT['weight_decay']} "
                f"--schedule {PT['schedule']} --seed {PT['seed']} --threads {config['threads']}"),
    log:
        "logs/pwl/train/{pmodel}/{pname}.log",
    benchmark:
        "logs/benchmarks/pwl_{pmodel}_{pname}.tsv"
    threads: config["threads"]
    conda:
        ENV
    shell:
        "LOWBIT_PWL_TABLES={input.tables} {input.lowbit} train {params.common} {params.flags} "
        "--out {output} --resume > {log} 2>&1"


rule pwl_train_report:
    input:
        runs=PT_FILES,
        published="experiments/data/published_figures.csv",
        ledger="experiments/claims.yaml",
    output:
        f"{GEN}/pwl_p2b.tex",
        f"{GEN}/pwl_p2b.csv",
        f"{GEN}/pwl_train_verdicts.tex",
        f"{GEN}/pwl_train_verdicts.csv",
    params:
        scale=config["scale"],
        train=PT,
        runs={m: list(d) for m, d in PT_RUNS.items()},
        results=lambda w, input: os.path.dirname(os.path.dirname(input.runs[0])),
    log:
        "logs/pwl_train_report.log",
    conda:
        ENV
    script:
        "../scripts/pwl_train_report.py"
