#!/usr/bin/env bash
# scripts/run-tests.sh BUILD ASAN_BUILD — the test suite behind `make test` and CI:
#   1. ctest on the Release build (labels quick + exhaustive)
#   2. ctest on the ASan/UBSan build (all labels: the exhaustive test takes seconds there too);
#      both ctest runs replay the committed fuzz corpus (tests/fuzz, fuzz_replay_*; the fuzzers
#      themselves run with `make fuzz`)
#   3. the portable build (LOWBIT_NATIVE=OFF: -march=x86-64-v3, i.e. AVX2) compiles with -Werror
#      (vector code that only builds with AVX-512 would otherwise go unnoticed on this machine)
#   4. the Python tests (tests/python, Debian's python3-pytest)
#   5. the workflow checks: snakemake --lint, dry run, smoke config end to end, table checker
# Prints one closing line "test: N passed, M failed" (ctest tests of both builds plus the
# workflow check) and exits non-zero if anything failed.
set -uo pipefail
build=${1:-build}
asan=${2:-build-asan}
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
ctest_step() { # name, ctest arguments...: counts the individual ctest tests
  local name=$1
  shift
  echo "=== $name"
  local t0=$SECONDS
  ctest "$@" 2>&1 | tee "$out"
  local line total nfail
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$out" | tail -1)
  if [[ -z "$line" ]]; then
    failed=$((failed + 1))
    echo "=== $name: FAILED (no ctest summary) ($((SECONDS - t0)) s)"
    return
  fi
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  nfail=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  echo "=== $name: $((total - nfail)) of $total passed ($((SECONDS - t0)) s)"
}
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
# two tests at a time (each test's own threads aside): most are single-threaded or wait on I/O
jobs=$(nproc 2> /dev/null || echo 2)
ctest_step "ctest (Release: quick + exhaustive)" --test-dir "$build" --output-on-failure -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 ctest_step "ctest (ASan/UBSan)" --test-dir "$asan" --output-on-failure \
  -j "$jobs"
portable_build() {
  local log
  log=$(mktemp)
  if cmake -S . -B build-portable -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOWBIT_NATIVE=OFF \
       -DLOWBIT_BENCH=OFF > "$log" 2>&1 && ninja -C build-portable >> "$log" 2>&1; then
    rm -f "$log"
  else
    grep -E 'error|Error' "$log" | head -20
    rm -f "$log"
    return 1
  fi
}
step "portable build (x86-64-v3, -Werror)" portable_build
# LOWBIT_BUILD_DIR: the Python binding's tests load $build/lib/liblowbit.so and compare with
# $build/bin/lowbit (a missing library is then a failure, not a skip)
LOWBIT_BUILD_DIR=$(cd "$build" && pwd) \
  step "python tests (pytest: verdict function, claims ledger, python/lowbit binding, paired timing)" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python
if [[ -x tests/workflow/run_smoke.sh ]]; then
  step "workflow (lint, dry run, smoke run, tolerance check)" tests/workflow/run_smoke.sh
fi
# The cluster path: the same smoke workflow through profiles/slurm on a one-node SLURM the test
# installs, starts and stops (root only: it runs daemons); its tables are also compared with the
# smoke run's just above. LOWBIT_TEST_SLURM=0 leaves it out (say so: it is not a pass).
if [[ "${LOWBIT_TEST_SLURM:-1}" == 0 ]]; then
  echo "=== cluster path (SLURM): left out (LOWBIT_TEST_SLURM=0)"
elif [[ $(id -u) -ne 0 ]]; then
  echo "=== cluster path (SLURM): left out (needs root to run the daemons; make test-slurm as root)"
else
  step "cluster path (smoke workflow on a one-node SLURM, tests/slurm)" \
    tests/slurm/run_slurm_smoke.sh --compare-with reports/generated
fi
echo "test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
