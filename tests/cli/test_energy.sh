#!/usr/bin/env bash
# tests/cli/test_energy.sh LOWBIT — `lowbit energy` on a real (tiny) LeNet-5 run: the /ops MAC
# counts equal LeNet-5's textbook count per example, the last line is "total <pJ>", the CSV
# adds up, a format override changes the cost in the expected direction, and bad input exits 2
# with one line and no CSV.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
"$lb" train --model lenet5 --epochs 1 --train-subset 256 --test-subset 128 --batch 32 \
  --threads 2 --out "$tmp/r.h5" > /dev/null && ok || bad "train"
"$lb" energy "$tmp/r.h5" --csv "$tmp/e.csv" > "$tmp/out" && ok || bad "energy"
tail -1 "$tmp/out" | grep -qE '^total [0-9.e+]+$' && ok || bad "last line: $(tail -1 "$tmp/out")"
$py - "$tmp" <<'PY' && ok || bad "op counts / CSV"
import sys, csv
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/e.csv")))
fwd = sum(float(r["macs"]) for r in rows if r["pass"] == "forward")
# LeNet-5 forward MACs per example, counted by hand: conv1 6 maps 28x28, 5x5x1 kernels;
# conv2 16 maps 10x10, 5x5x6; fc 400x120, 120x84, 84x10
per_example = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10
assert fwd == 32 * per_example, (fwd, 32 * per_example)
tot = [r for r in rows if r["layer"] == "total"][0]
comp = sum(float(r["compute_pj"]) for r in rows if r["layer"] != "total")
assert abs(comp - float(tot["compute_pj"])) <= 1e-6 * comp
last = open(f"{d}/out").read().split("\n")[-2].split()
assert abs(float(last[1]) - comp - float(tot["memory_pj"])) <= 1e-5 * float(last[1])
PY
t32=$(tail -1 "$tmp/out" | cut -d' ' -f2)
t8=$("$lb" energy "$tmp/r.h5" --formats w=int8,a=int8,e=int8 | tail -1 | cut -d' ' -f2)
$py -c "import sys; a, b = map(float, sys.argv[1:]); assert b < a / 3, (a, b)" "$t32" "$t8" \
  && ok || bad "int8 not far cheaper than fp32: $t32 vs $t8"
"$lb" energy --mac lns13_5 | grep -q '^energy_pj ' && ok || bad "--mac"

expect_usage_error() {
  "$lb" energy "$@" --csv "$tmp/bad.csv" > "$tmp/o" 2> "$tmp/e"
  local rc=$?
  if [[ $rc -eq 2 && $(wc -l < "$tmp/e") -eq 1 && ! -e "$tmp/bad.csv" ]]; then ok; else
    bad "energy $*: rc=$rc: $(cat "$tmp/e")"; fi
}
echo "not hdf5" > "$tmp/x.h5"
printf 'primitive,bits,energy_pj,area_um2\nint_add,8,1,1\n' > "$tmp/u.csv"
expect_usage_error "$tmp/missing.h5"
expect_usage_error "$tmp/x.h5"
expect_usage_error "$tmp/r.h5" --units "$tmp/u.csv"
expect_usage_error "$tmp/r.h5" --formats w=nosuch
expect_usage_error "$tmp/r.h5" --formats q=int8
expect_usage_error --mac mac:int
expect_usage_error
summary test_energy
