# microbench.smk — Google Benchmark runs of the format kernels (one thread), JSON out.
rule microbench:
    input:
        rules.build.output.bench,
    output:
        f"{RESULTS}/microbench.json",
    params:
        filt=config["microbench"]["filter"],
        min_time=config["microbench"]["min_time"],
        reps=config["microbench"]["repetitions"],
    conda:
        ENV
    log:
        "logs/microbench.log",
    benchmark:
        "logs/benchmarks/microbench.tsv"
    threads: workflow.cores  # the whole machine, so no other job disturbs the timings
    shell:
        "OMP_NUM_THREADS=1 {input} --benchmark_filter='{params.filt}' "
        "--benchmark_min_time={params.min_time} --benchmark_repetitions={params.reps} "
        "--benchmark_format=json --benchmark_out={output} --benchmark_out_format=json > {log} 2>&1"
