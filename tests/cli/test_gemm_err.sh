#!/usr/bin/env bash
# tests/cli/test_gemm_err.sh LOWBIT — `lowbit gemm-err`: the CSV header and one row; the fp64
# kernel within float output rounding of the exact sum; a narrow fpacc accumulator on positive
# operands (the sum grows with K) swamps products and errs far more, promotion to FP32 every
# 128 products and a wider mantissa err less; the same seed gives the same row, another seed
# another; bad input exits 2 with one line and nothing on stdout.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
row() { "$lb" gemm-err --csv --m 4 --n 40 --dist positive "$@" | tail -1; }
"$lb" gemm-err --gemm fp64 --m 3 --n 5 --k 7 --csv > "$tmp/h" && ok || bad "fp64 run"
[[ $(head -1 "$tmp/h") == "gemm,m,n,k,seed,dist,operands,rel_err,max_err,macs,swamped,swamped_frac,overflows" ]] \
  && ok || bad "header: $(head -1 "$tmp/h")"
[[ $(wc -l < "$tmp/h") -eq 2 ]] && ok || bad "one row"
r=$("$lb" gemm-err --gemm fp64 --m 8 --n 40 --k 2048 --csv | tail -1)
$py - "$r" <<'PY' && ok || bad "fp64: $r"
import sys
f = sys.argv[1].split(",")
rel, swamped, macs = float(f[7]), int(f[10]), int(f[9])
assert 0 <= rel < 1e-7 and swamped == 0 and macs == 8 * 40 * 2048, f
PY
narrow=$(row --gemm fpacc:acc=e8m5 --k 4096)
prom=$(row --gemm fpacc:acc=e8m5,promote=128 --k 4096)
wide=$(row --gemm fpacc:acc=e8m13 --k 4096)
$py - "$narrow" "$prom" "$wide" <<'PY' && ok || bad "fpacc ordering: $narrow / $prom / $wide"
import sys
n, p, w = ([float(x) for x in r.split('",')[1].split(",")[6:]] for r in sys.argv[1:])
# columns after the quoted spec: m n k seed dist operands | rel_err max_err macs swamped frac ovf
assert n[0] > 0.1, n              # e8m5 summing 4096 positive products: most are swamped
assert n[3] > 0.5 * n[2], n
assert p[0] < n[0] / 2 and p[3] < n[3], (p, n)
assert w[0] < n[0] / 10 and w[3] < n[3], (w, n)
PY
[[ $(row --gemm fpacc:acc=e8m5 --k 512 --seed 3) == $(row --gemm fpacc:acc=e8m5 --k 512 --seed 3) ]] \
  && ok || bad "same seed, same row"
[[ $(row --gemm fpacc:acc=e8m5 --k 512 --seed 3) != $(row --gemm fpacc:acc=e8m5 --k 512 --seed 4) ]] \
  && ok || bad "another seed, another row"
# operands quantized: FP8 E4M3 values (a product of two is exact in double: no error in fp64)
q=$("$lb" gemm-err --gemm fp64 --m 2 --n 3 --k 64 --operands fp8_e4m3 --csv | tail -1)
[[ $q == *",normal,fp8_e4m3,"* ]] && ok || bad "operands column: $q"
"$lb" gemm-err --gemm fp64 --m 2 --n 3 --k 4 | grep -q '^rel_err: ' && ok || bad "text output"

for args in "--gemm fp64 --m 0 --n 3 --k 4" "--gemm fp64 --m 2 --n 3" "--gemm nope --m 2 --n 3 --k 4" \
  "--gemm fpacc:acc=e1m5 --m 2 --n 3 --k 4" "--gemm fp64 --m 2 --n 3 --k 4 --dist cauchy" \
  "--gemm fp64 --m 2 --n 3 --k 4 --operands fp:e=99" "--gemm fp64 --m 2 --n 3 --k 4 --bogus 1" \
  "--m 2 --n 3 --k 4" "--gemm fp64 --m 4096 --n 4096 --k 1048576" "--gemm fp64 --m 2 --n 3 --k x"; do
  # shellcheck disable=SC2086
  "$lb" gemm-err $args > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "gemm-err $args"
done
summary test_gemm_err
