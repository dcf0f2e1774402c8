# Snakefile — lowbit's workflow. Thin on purpose: config + schema validation, the format
# registry for checking spec strings, the rule files, and `rule all`.
#   snakemake --cores all all                                   (default matrix -> reports/report.pdf)
#   snakemake --cores all --configfile experiments/smoke.yaml   (CI-sized, minutes)
#   snakemake --profile profiles/slurm all                      (cluster, one job per rule)
from snakemake.utils import min_version, validate

min_version("7.0")


configfile: "experiments/config.yaml"


validate(config, "experiments/schema.yaml")

include: "experiments/rules/common.smk"
include: "experiments/rules/build.smk"
include: "experiments/rules/microbench.smk"
include: "experiments/rules/quanterr.smk"
include: "experiments/rules/train.smk"
include: "experiments/rules/lowprec_common.smk"
include: "experiments/rules/lowprec.smk"
include: "experiments/rules/energy_common.smk"
include: "experiments/rules/energy.smk"
include: "experiments/rules/mls_common.smk"
include: "experiments/rules/mls.smk"
include: "experiments/rules/pwl_common.smk"
include: "experiments/rules/pwl.smk"
include: "experiments/rules/accum_common.smk"
include: "experiments/rules/accum.smk"
include: "experiments/rules/report.smk"


rule all:
    input:
        "reports/report.pdf",
    default_target: True
