# train.smk — training baselines with `lowbit train` (one run per model x recipe), and the
# side-by-side timing against PyTorch (same model, data, batch, SGD, threads), the
# cross-check of the recipes in lowbit and in PyTorch with lowbit's quantizers, and paired
# timing runs for the speed targets.


wildcard_constraints:
    model="|".join(MODELS),  # lowbit models --csv (common.smk)
    recipe="|".join(config["recipes"]),


rule train:
    input:
        lowbit=rules.build.output.lowbit,
    output:
        f"{RESULTS}/train/{{model}}_{{recipe}}.h5",
    params:
        recipe=recipe_flags,
        model=model_flags,
        common=train_flags(TRAIN["epochs"]),
    log:
        "logs/train/{model}_{recipe}.log",
    benchmark:
        "logs/benchmarks/train_{model}_{recipe}.tsv"
    threads: config["threads"]
    conda:
        ENV
    shell:
        "{input.lowbit} train --model {wildcards.model} {params.model} {params.common} {params.recipe} "
        "--out {output} --resume > {log} 2>&1"


rule peer_lowbit:
    input:
        lowbit=rules.build.output.lowbit,
    output:
        f"{RESULTS}/peer/{{model}}_lowbit.h5",
    params:
        common=train_flags(TRAIN["peer_epochs"]),
    log:
        "logs/peer/{model}_lowbit.log",
    threads: workflow.cores  # timing: nothing else runs beside it
    conda:
        ENV
    shell:
        "{input.lowbit} train --model {wildcards.model} {params.common} --out {output} > {log} 2>&1"


rule peer_pytorch:
    input:
        script="experiments/peers/pytorch_baseline.py",
        after=f"{RESULTS}/peer/{{model}}_lowbit.h5",  # run one after the other, never together
    output:
        f"{RESULTS}/peer/{{model}}_pytorch.csv",
    params:
        python=sys.executable,  # Snakemake's interpreter: Debian's python3 with torch
        flags=peer_flags(),
    log:
        "logs/peer/{model}_pytorch.log",
    threads: workflow.cores
    conda:
        ENV
    shell:
        "{params.python} {input.script} --model {wildcards.model} {params.flags} "
        "--out {output} > {log} 2>&1"


rule crosscheck_lowbit:
    """A recipe on a peer model for peer_epochs in lowbit (the C side of the cross-check)."""
    input:
        lowbit=rules.build.output.lowbit,
    output:
        f"{RESULTS}/crosscheck/{{model}}_{{recipe}}_lowbit.h5",
    params:
        common=f"--dataset fashion-mnist {crosscheck_flags()}",
        recipe=recipe_flags,
    log:
        "logs/crosscheck/{model}_{recipe}_lowbit.log",
    threads: workflow.cores  # timed: nothing else runs beside it
    conda:
        ENV
    shell:
        "{input.lowbit} train --model {wildcards.model} {params.common} {params.recipe} "
        "--out {output} > {log} 2>&1"


rule crosscheck_pytorch:
    """The same recipe in PyTorch with lowbit's quantizers in the four roles (--lowbit-roles,
    liblowbit of this build)."""
    input:
        script="experiments/peers/pytorch_baseline.py",
        binding="python/lowbit/torch.py",
        lowbit=rules.build.output.lowbit,  # the build also makes lib/liblowbit.so
        after=f"{RESULTS}/crosscheck/{{model}}_{{recipe}}_lowbit.h5",  # one after the other
    output:
        f"{RESULTS}/crosscheck/{{model}}_{{recipe}}_pytorch.csv",
    params:
        python=sys.executable,
        lib=f"{BUILD}/lib/liblowbit.so",
        flags=crosscheck_flags(),
        roles=lowbit_roles_flags,
    log:
        "logs/crosscheck/{model}_{recipe}_pytorch.log",
    threads: workflow.cores
    conda:
        ENV
    shell:
        "LOWBIT_LIBRARY={params.lib} {params.python} {input.script} --model {wildcards.model} "
        "{params.flags} {params.roles} --out {output} > {log} 2>&1"


rule timing_pairs:
    """The timing targets from paired runs: lowbit FP32, PyTorch (peer models) and lowbit BF16,
    one epoch each, in turn, `timing.rounds` times (medians of the per-round ratios)."""
    input:
        lowbit=rules.build.output.lowbit,
        script="experiments/peers/paired_timing.py",
        peer="experiments/peers/pytorch_baseline.py",
    output:
        f"{RESULTS}/timing/{{model}}_pairs.csv",
    params:
        python=sys.executable,
        t=TRAIN,
        tm=TRAIN["timing"],
        threads=config["threads"],
        data=config["data"]["fashion_mnist"],
        model=model_flags,
        peer=lambda wc: "--pytorch" if PEER and wc.model in TRAIN["peer_models"] else "",
    log:
        "logs/timing/{model}_pairs.log",
    threads: workflow.cores  # timing: nothing else runs beside it
    conda:
        ENV
    shell:
        "{params.python} {input.script} --model {wildcards.model} --lowbit {input.lowbit} "
        "--model-flags '{params.model}' {params.peer} --rounds {params.tm[rounds]} "
        "--train-subset {params.tm[train_subset]} --test-subset {params.tm[test_subset]} "
        "--data-dir {params.data} --batch {params.t[batch]} --lr {params.t[lr]} "
        "--momentum {params.t[momentum]} --seed {params.t[seed]} --threads {params.threads} "
        "--out {output} 2> {log}"


rule training_report:
    input:
        runs=expand(f"{RESULTS}/train/{{model}}_{{recipe}}.h5", model=TRAIN["models"],
                    recipe=TRAIN["recipes"]),
        peer_lowbit=expand(f"{RESULTS}/peer/{{model}}_lowbit.h5", model=TRAIN["peer_models"]) if PEER else [],
        peer_pytorch=expand(f"{RESULTS}/peer/{{model}}_pytorch.csv", model=TRAIN["peer_models"]) if PEER else [],
        timing=expand(f"{RESULTS}/timing/{{model}}_pairs.csv", model=TRAIN["models"]),
        cross_lowbit=expand(f"{RESULTS}/crosscheck/{{model}}_{{recipe}}_lowbit.h5",
                            model=TRAIN["peer_models"], recipe=CROSSCHECK),
        cross_pytorch=expand(f"{RESULTS}/crosscheck/{{model}}_{{recipe}}_pytorch.csv",
                             model=TRAIN["peer_models"], recipe=CROSSCHECK),
    output:
        f"{GEN}/training_table.tex",
        f"{GEN}/training_table.csv",
        f"{GEN}/peer_table.tex",
        f"{GEN}/peer_table.csv",
        f"{GEN}/training_targets.tex",
        f"{GEN}/training_macros.tex",
        f"{GEN}/fig_training.pdf",
        f"{GEN}/timing_pairs.csv",
        f"{GEN}/crosscheck_table.tex",
        f"{GEN}/crosscheck_table.csv",
    params:
        recipes=config["recipes"],
        targets=TRAIN["targets"],
        epochs=TRAIN["epochs"],
        schedule=TRAIN["schedule"],
    log:
        "logs/training_report.log",
    conda:
        ENV
    script:
        "../scripts/training_report.py"
