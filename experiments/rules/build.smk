import os

# build.smk — configure and build liblowbit, the lowbit command and the microbenchmarks.
# ninja is incremental, so re-running this rule after an edit is cheap.
LB_SOURCES = (
    glob_wildcards("lib/{path}.c").path
)


rule build:
    input:
        "CMakeLists.txt",
        "lib/src/formats/formats.def",
        "lib/src/gemm/kernels.def",
        expand("lib/{path}.c", path=LB_SOURCES),
    output:
        lowbit=f"{BUILD}/bin/lowbit",
        bench=f"{BUILD}/bin/lowbit_bench",
    conda:
        ENV
    log:
        "logs/build.log",
    params:
        build=lambda wildcards, output: os.path.dirname(os.path.dirname(output.lowbit)),
    shell:
        "(cmake -S . -B {params.build} -G Ninja -DCMAKE_BUILD_TYPE=Release "
        "&& ninja -C {params.build}) > {log} 2>&1"


rule lowbit_info:
    input:
        rules.build.output.lowbit,
    output:
        formats=f"{RESULTS}/formats.csv",
        info=f"{RESULTS}/info.txt",
    conda:
        ENV
    log:
        "logs/lowbit_info.log",
    shell:
        "({input} formats --csv > {output.formats} && {input} info > {output.info}) 2> {log}"
