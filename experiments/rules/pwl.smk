# pwl.smk — METHODS.md P2 (bitwidth-specific PWL LNS addition), part (a): the error of Δ+ and
# Δ- of every approximation at every bit-width, from `lowbit lns-delta` (integer codes over
# every representable d), with the table, the figure and the verdict.


rule pwl_report:
    input:
        lowbit=rules.build.output.lowbit,
        tables=config["pwl"]["tables"],
    output:
        f"{GEN}/pwl_p2a.tex",
        f"{GEN}/pwl_p2a.csv",
        f"{GEN}/pwl_verdicts.tex",
        f"{GEN}/pwl_macros.tex",
        f"{GEN}/fig_p2a.pdf",
    params:
        pwl=config["pwl"],
    log:
        "logs/pwl_report.log",
    conda:
        ENV
    script:
        "../scripts/pwl_report.py"
