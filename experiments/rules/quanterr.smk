# quanterr.smk — quantization error of every format on seeded samples of normal, lognormal and
# Fashion-MNIST pixel data (the C library quantizes; Python only draws samples and sums errors).
rule quanterr:
    input:
        lowbit=rules.build.output.lowbit,
    output:
        summary=f"{RESULTS}/quanterr.csv",
        bins=f"{RESULTS}/quanterr_bins.csv",
    params:
        formats=QE_FORMATS,
        figure_formats=config["quanterr"]["figure_formats"],
        samples=config["quanterr"]["samples"],
        seed=config["quanterr"]["seed"],
        distributions=config["quanterr"]["distributions"],
        fmnist=config["data"]["fashion_mnist"],
    conda:
        ENV
    log:
        "logs/quanterr.log",
    benchmark:
        "logs/benchmarks/quanterr.tsv"
    script:
        "../scripts/quanterr.py"
