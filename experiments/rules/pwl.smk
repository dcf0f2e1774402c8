# pwl.smk — METHODS.md P2 (bitwidth-specific PWL LNS addition), part (a): our annealed table per
# bit-width (`lowbit pwl-fit`), then the error of Δ+ and Δ- of every approximation at every
# bit-width from `lowbit lns-delta` (integer codes over every representable d), with the table,
# the figure and the verdict. "pwl:bitwidth" is the published table of the same bit-width,
# "pwl:ours" the annealed one.
PWL = config["pwl"]
PWL_OURS = [f"{RESULTS}/pwl/ours_{b}_{f}.csv" for b, f in PWL["bitwidths"]]


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
    output:
        f"{GEN}/pwl_p2a.tex",
        f"{GEN}/pwl_p2a.csv",
        f"{GEN}/pwl_verdicts.tex",
        f"{GEN}/pwl_macros.tex",
        f"{GEN}/fig_p2a.pdf",
    params:
        pwl=PWL,
        results=f"{RESULTS}/pwl",
    log:
        "logs/pwl_report.log",
    conda:
        ENV
    script:
        "../scripts/pwl_report.py"
