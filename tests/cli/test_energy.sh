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

# the datapath of the run: a run made with --gemm lns-binned:...,acc=24 is priced with 24-bit
# bins (the kernel's spec, read through the kernel registry), the same op counts with the
# format's defaults (40-bit bins, the kernel's default) cost more; a kernel spec given with
# --datapath wins; FP16 accumulation makes FP8 MACs cheaper; a smaller buffer costs traffic
lns="--w-format lns8 --a-format lns8 --e-format lns8 --g-format lns8"
"$lb" train --model mlp --hidden 32 --epochs 1 --train-subset 256 --test-subset 128 --batch 32 \
  --threads 2 $lns --gemm lns-binned:frac=3,acc=24 --out "$tmp/b.h5" > /dev/null && ok || bad "train lns-binned"
"$lb" energy "$tmp/b.h5" --csv "$tmp/b.csv" > /dev/null && ok || bad "energy lns-binned"
"$lb" energy "$tmp/b.h5" --datapath formats --csv "$tmp/bf.csv" > /dev/null && ok || bad "--datapath formats"
"$lb" energy "$tmp/b.h5" --datapath lns-binned:frac=3,acc=40 --csv "$tmp/b40.csv" > /dev/null \
  && ok || bad "--datapath kernel"
"$lb" energy "$tmp/b.h5" --formats w=fp8_e4m3,a=fp8_e4m3,e=fp8_e5m2 --csv "$tmp/f8.csv" > /dev/null \
  && ok || bad "fp8"
"$lb" energy "$tmp/b.h5" --formats w=fp8_e4m3,a=fp8_e4m3,e=fp8_e5m2 --acc fp16 \
  --csv "$tmp/f8h.csv" > /dev/null && ok || bad "fp8 --acc fp16"
"$lb" energy "$tmp/b.h5" --buffer 64 --csv "$tmp/bsmall.csv" > /dev/null && ok || bad "--buffer"
$py - "$tmp" <<'PY' && ok || bad "datapath from the run"
import sys, csv
d = sys.argv[1]
def load(n):
    rows = list(csv.DictReader(open(f"{d}/{n}.csv")))
    return [r for r in rows if r["layer"] != "total"], [r for r in rows if r["layer"] == "total"][0]
rows, tot = load("b")
assert all("lns-binned" in r["mac"] and "acc=24" in r["mac"] and "frac=3" in r["mac"] for r in rows), rows[0]["mac"]
fr, ftot = load("bf")
assert all("acc" not in r["mac"] for r in fr), fr[0]["mac"]
k40, k40tot = load("b40")
# identical op counts; 24-bit bins cheaper than the 40-bit ones (default = kernel default)
assert [r["macs"] for r in rows] == [r["macs"] for r in fr]
assert float(tot["compute_pj"]) < float(ftot["compute_pj"])
assert abs(float(k40tot["compute_pj"]) - float(ftot["compute_pj"])) <= 1e-9 * float(ftot["compute_pj"])
# the conversion is amortized over each layer's K: fc1 (K 784) costs less per MAC than fc2 (K 32)
pj = {(r["layer"], r["pass"]): float(r["mac_pj"]) for r in rows}
assert pj[("fc1", "forward")] < pj[("fc2", "forward")], pj
_, f8 = load("f8"); _, f8h = load("f8h")
assert float(f8h["compute_pj"]) < 0.8 * float(f8["compute_pj"]), (f8, f8h)
assert float(f8h["memory_pj"]) <= float(f8["memory_pj"])  # FP16 accumulators: larger tiles
_, small = load("bsmall")
assert float(small["memory_pj"]) > 1.5 * float(tot["memory_pj"]), (small, tot)
assert small["compute_pj"] == tot["compute_pj"]
PY

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
expect_usage_error "$tmp/r.h5" --acc fp12
expect_usage_error "$tmp/r.h5" --buffer 0
expect_usage_error "$tmp/r.h5" --datapath nosuchkernel
expect_usage_error "$tmp/r.h5" --datapath lns-exactadd:bits=13,frac=5
expect_usage_error "$tmp/r.h5" --datapath lns-binned
expect_usage_error
summary test_energy
