#!/usr/bin/env bash
# tests/cli/test_hdf5_corrupt.sh LOWBIT — files that crash or hang Debian's libhdf5 1.10.8 itself
# (tests/fuzz/libhdf5/*.h5), given to every command path that reads an HDF5 file lowbit did not
# write: `lowbit energy RUN.h5` (lb_results_read_ops, then lb_results_read) and `lowbit train
# --dataset hdf5:FILE` (lb_hdf5_load). Each must exit 2 with one stderr line naming the file,
# nothing on stdout and no output file: the readers run first in a forked child
# (lib/src/io/h5probe.h), whose crash or time-out becomes that line. Without the probe the
# SIGSEGV input kills lowbit in every build, the heap-overflow input is an AddressSanitizer
# report in the ASan build, and the endless-loop input runs into the `timeout` below (exit 124).
# Also: the time-out is LOWBIT_H5_PROBE_TIMEOUT's (2 s here), and a bad value of it is refused.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
src=${LOWBIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$src/tests/fuzz/libhdf5
export LOWBIT_H5_PROBE_TIMEOUT=2

has() { grep -qF -- "$1" "$tmp/e" && ok || bad "$2: stderr lacks '$1': $(head -c 300 "$tmp/e")"; }

# run WHAT CMD...: the command under a 60 s limit (a hang fails instead of stalling ctest)
run() {
  timeout 60 "$@" > "$tmp/o" 2> "$tmp/e"
}

n=0
for f in "$dir"/*.h5; do
  n=$((n + 1))
  name=${f##*/}
  run "$lb" energy "$f" --csv "$tmp/e-$name.csv"
  check_usage_error $? "energy $name" "$tmp/e-$name.csv"
  [[ -s $tmp/o ]] && bad "energy $name: stdout not empty" || ok
  has "$f" "energy $name"
  run "$lb" train --model mlp --dataset "hdf5:$f" --epochs 1 --batch 8 --out "$tmp/t-$name.h5"
  check_usage_error $? "train $name" "$tmp/t-$name.h5"
  has "$f" "train $name"
done
[[ $n -ge 3 ]] && ok || bad "only $n inputs in $dir"

# the crash path and the time-out path are the ones taken (not an ordinary read error)
f=$dir/h5fopen-accum-read-segv.h5
run "$lb" energy "$f"
has "$f: corrupt HDF5 file: the reader crashed on it (SIGSEGV)" "SIGSEGV in H5Fopen"
f=$dir/ops-libhdf5-vlen-heap.h5
t0=$(date +%s)
run "$lb" energy "$f"
t1=$(date +%s)
has "$f: corrupt HDF5 file: the reader did not finish in 2 s (LOWBIT_H5_PROBE_TIMEOUT)" "hang"
[[ $((t1 - t0)) -lt 30 ]] && ok || bad "hang: took $((t1 - t0)) s with a 2 s limit"

# a bad LOWBIT_H5_PROBE_TIMEOUT is named, before any file is read
for v in 0 -1 2x "" 86401; do
  LOWBIT_H5_PROBE_TIMEOUT=$v run "$lb" energy "$dir/h5fopen-accum-read-segv.h5" --csv "$tmp/v.csv"
  check_usage_error $? "LOWBIT_H5_PROBE_TIMEOUT='$v'" "$tmp/v.csv"
  has "LOWBIT_H5_PROBE_TIMEOUT='$v'" "LOWBIT_H5_PROBE_TIMEOUT='$v'"
done

summary test_hdf5_corrupt
