# accum.smk — the accumulation study (run definitions in accum_common.smk from
# config["accum"]): (a) the error of the fpacc GEMM against an exact sum vs K (`lowbit
# gemm-err`), (b) training with FP8 operands and accumulators of M mantissa bits with and
# without FP32 promotion, (c) MLS, NVFP4, MXFP4 and FP8 from the P3 matrix (mls.smk), (d) the
# accuracy-energy frontier: every training run priced per iteration by `lowbit energy` (the
# run's own --gemm datapath) beside its test accuracy.
import os


rule accum_gemm_err:
    input:
        lowbit=rules.build.output.lowbit,
    output:
        f"{RESULTS}/accum/gemm_err/{{kname}}.csv",
    params:
        loop=accum_gemm_err_loop,
    log:
        "logs/accum/gemm_err/{kname}.log",
    benchmark:
        "logs/benchmarks/accum_gemm_err_{kname}.tsv"
    conda:
        ENV
    shell:
        "({params.loop}) 2> {log} | awk 'NR == 1 || !/^gemm,/' > {output}.tmp "
        "&& mv {output}.tmp {output}"


rule accum_run:
    input:
        lowbit=rules.build.output.lowbit,
    output:
        f"{RESULTS}/accum/train/{{amodel}}/{{aname}}.h5",
    params:
        flags=lambda w: ACC_RUNS[w.amodel][w.aname],
        common=accum_common(),
    log:
        "logs/accum/train/{amodel}/{aname}.log",
    benchmark:
        "logs/benchmarks/accum_{amodel}_{aname}.tsv"
    threads: config["threads"]
    conda:
        ENV
    shell:
        "{input.lowbit} train {params.common} {params.flags} --out {output} --resume > {log} 2>&1"


rule accum_energy:
    input:
        lowbit=rules.build.output.lowbit,
        run=f"{RESULTS}/accum/train/{{amodel}}/{{aname}}.h5",
        units=ACC_UNITS,
    output:
        f"{RESULTS}/accum/energy/{{amodel}}/{{aname}}.csv",
    log:
        "logs/accum/energy/{amodel}/{aname}.log",
    conda:
        ENV
    shell:
        "{input.lowbit} energy {input.run} --units {input.units} --csv {output} > {log} 2>&1"


rule accum_report:
    input:
        lowbit=rules.build.output.lowbit,
        gemm_err=ACC_GE_FILES,
        runs=ACC_FILES,
        energy=ACC_ENERGY,
        p3=accum_p3_files,
        ledger="experiments/claims.yaml",  # how a run's accuracy is read (accuracy: block)
    output:
        f"{GEN}/accum_gemm.tex",
        f"{GEN}/accum_gemm.csv",
        f"{GEN}/accum_gemm_points.csv",
        f"{GEN}/fig_accum_gemm.tex",
        f"{GEN}/accum_train.tex",
        f"{GEN}/accum_train.csv",
        f"{GEN}/accum_p3.tex",
        f"{GEN}/accum_p3.csv",
        f"{GEN}/accum_frontier.tex",
        f"{GEN}/accum_frontier.csv",
        f"{GEN}/fig_accum_frontier.tex",
        f"{GEN}/accum_macros.tex",
    params:
        scale=config["scale"],
        accum=ACC,
        specs=ACC_GE_SPECS,
        runs=ACC_RUNS,
        results=lambda w, input: os.path.dirname(os.path.dirname(os.path.dirname(input.runs[0]))),
        p3_results=lambda w, input: (os.path.dirname(os.path.dirname(os.path.dirname(input.p3[0])))
                                     if input.p3 else ""),
        units=config["energy"]["primary_units"],
    log:
        "logs/accum_report.log",
    conda:
        ENV
    script:
        "../scripts/accum_report.py"
