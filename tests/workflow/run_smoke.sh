#!/usr/bin/env bash
# tests/workflow/run_smoke.sh — the workflow checks `make test` runs: snakemake --lint, a dry
# run of the default config, the smoke config end to end (build, benchmarks, experiments, PDF),
# and the table tolerance checker against tests/expected/.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYENV_VERSION=system
echo "--- snakemake --lint"
snakemake --lint
echo "--- dry run of the default configuration"
snakemake -n --quiet all > /dev/null
echo "--- dry run of the cluster configuration (its data sets are not on this machine: names only)"
nofiles=$(mktemp)
trap 'rm -f "$nofiles"' EXIT
printf 'data:\n  check_files: false\n' > "$nofiles"
snakemake -n --quiet --configfile experiments/cluster.yaml "$nofiles" -- all > /dev/null
echo "--- smoke workflow"
snakemake --cores all --configfile experiments/smoke.yaml --forceall all
test -s reports/report.pdf
echo "--- table tolerance check"
/usr/bin/python3 experiments/scripts/check_tables.py
