#!/usr/bin/env bash
# scripts/run-tests.sh BUILD ASAN_BUILD — the test suite behind `make test` and CI:
#   1. ctest on the Release build (labels quick + exhaustive)
#   2. ctest -L quick on the ASan/UBSan build
#   3. the workflow checks: snakemake --lint, dry run, smoke config end to end, table checker
# Prints one closing line "test: N passed, M failed" and exits non-zero if anything failed.
set -uo pipefail
build=${1:-build}
asan=${2:-build-asan}
passed=0
failed=0
step() { # name, command...
  local name=$1
  shift
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    echo "=== $name: FAILED ($((SECONDS - t0)) s)"
  fi
}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
step "ctest (Release: quick + exhaustive)" ctest --test-dir "$build" --output-on-failure
step "ctest (ASan/UBSan: quick)" env ASAN_OPTIONS=detect_leaks=1 \
  ctest --test-dir "$asan" -L quick --output-on-failure
if [[ -x tests/workflow/run_smoke.sh ]]; then
  step "workflow (lint, dry run, smoke run, tolerance check)" tests/workflow/run_smoke.sh
fi
echo "test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
