#!/usr/bin/env bash
# tests/cli/test_formats_cli.sh LOWBIT — the format side of the command's contract:
#   `lowbit formats` lists every name in lib/src/formats/formats.def;
#   `lowbit quantize --format SPEC [--round R] [--seed N] [--raw]` prints %.9g values (known
#   results checked), and --raw float32 round-trips (fp32 is the identity bit for bit, bf16
#   output has zero low halves, raw and text agree, quantizing twice changes nothing);
#   bad specs, bad options and bad input lines exit 2 with exactly one line on stderr and
#   nothing on stdout.
# Needs LOWBIT_SOURCE_DIR (set by tests/tests.cmake) and python3 for the binary files.
set -u
lb=$1
src=${LOWBIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$(dirname "$0")/lib.sh"

# ---- lowbit formats: every registry name, once, at the start of a line ----
names=$(grep -oE '^LB_FORMAT\(([a-z0-9_]+)' "$src/lib/src/formats/formats.def" | cut -d'(' -f2)
[[ -n "$names" ]] && ok || bad "no LB_FORMAT lines found in formats.def"
if "$1" formats > "$tmp/formats.txt" 2> "$tmp/err"; then ok; else bad "lowbit formats failed: $(cat "$tmp/err")"; fi
for n in $names; do
  c=$(grep -c "^$n[[:space:]]" "$tmp/formats.txt")
  [[ $c -eq 1 ]] && ok || bad "lowbit formats lists '$n' $c times"
done

# ---- quantize: known values (text in, %.9g out) ----
check_q() { # spec round input expected
  local got
  if ! got=$(printf '%s\n' "$3" | "$lb" quantize --format "$1" --round "$2" 2> "$tmp/err"); then
    bad "quantize --format $1 --round $2 <<< $3 failed: $(cat "$tmp/err")"
    return
  fi
  [[ "$got" == "$4" ]] && ok || bad "quantize --format $1 --round $2: $3 -> '$got', expected '$4'"
}
# bf16 (8 significant bits): 1 + 2^-8 is the midpoint of 1 and 1 + 2^-7
check_q bf16 rne 1.00390625 1
check_q bf16 rna 1.00390625 1.0078125
check_q bf16 rtz 1.00781238 1
check_q bf16 rne 1.01171875 1.015625
check_q bf16 rne -1.00390625 -1
check_q bf16 rne 3.14159265 3.140625
check_q bf16 rne 0.1 0.100097656
check_q bf16 rne -0 -0
check_q bf16 rne 3.4e38 inf
check_q bf16 rtz 3.4e38 3.38953139e+38
# the default rounding is rne
got=$(printf '1.00390625\n' | "$lb" quantize --format bf16)
[[ "$got" == "1" ]] && ok || bad "bf16 default rounding: 1.00390625 -> '$got', expected 1"
# several lines keep their order; blank lines are skipped
got=$(printf '1\n\n2.5\n-7\n' | "$lb" quantize --format fp4_e2m1 | tr '\n' ' ')
[[ "$got" == "1 2 -6 " ]] && ok || bad "fp4_e2m1 on 1,2.5,-7: '$got', expected '1 2 -6 '"
check_q fp8_e4m3 rne 464 448
check_q fp8_e4m3 rne 465 nan
check_q fp8_e4m3_sat rne 1e9 448
check_q fp8_e5m2 rne 1e9 inf
check_q fp16 rne 65520 inf
check_q fp16 rne 65519.99 65504
check_q fx8 rne 5 1.984375
check_q fx8 rne -5 -2
check_q fx8 rne 0.0078125 0
check_q fx8 rne 0.0234375 0.03125

# ---- --raw: float32 little-endian in and out ----
python3 - "$tmp" <<'EOF' || bad "python3 could not write the raw test data"
import random, struct, sys
random.seed(5)
vals = [0.0, -0.0, 1.0, -1.5, 3.4e38, -3.4e38, 1e-45, -1e-40, 1.17549435e-38, float("inf"),
        float("-inf")]
vals += [random.uniform(-1, 1) * 10 ** random.uniform(-40, 38) for _ in range(5000)]
data = struct.pack("<%df" % len(vals), *vals)
open(sys.argv[1] + "/in.f32", "wb").write(data)
with open(sys.argv[1] + "/in.txt", "w") as t:  # the same floats as text
    for v in struct.unpack("<%df" % len(vals), data):
        print("%.9g" % v, file=t)
EOF
nbytes=$(stat -c %s "$tmp/in.f32")
# fp32: quantizing is the identity, so the bytes come back unchanged
"$lb" quantize --format fp32 --raw < "$tmp/in.f32" > "$tmp/fp32.f32" && ok || bad "raw fp32 quantize failed"
cmp -s "$tmp/in.f32" "$tmp/fp32.f32" && ok || bad "--format fp32 --raw changed the bytes"
# bf16: same size, the low 16 bits of every float32 are zero, text output agrees, idempotent
"$lb" quantize --format bf16 --raw < "$tmp/in.f32" > "$tmp/bf16.f32" && ok || bad "raw bf16 quantize failed"
[[ $(stat -c %s "$tmp/bf16.f32") -eq $nbytes ]] && ok || bad "raw bf16 output size differs from input"
"$lb" quantize --format bf16 --raw < "$tmp/bf16.f32" > "$tmp/bf16b.f32" && ok || bad "raw bf16 requantize failed"
cmp -s "$tmp/bf16.f32" "$tmp/bf16b.f32" && ok || bad "raw bf16 is not idempotent"
"$lb" quantize --format bf16 < "$tmp/in.txt" > "$tmp/bf16.txt" && ok || bad "text bf16 quantize failed"
python3 - "$tmp" <<'EOF' && ok || bad "raw and text bf16 outputs differ, or low halves are not zero"
import math, struct, sys
d = open(sys.argv[1] + "/bf16.f32", "rb").read()
raw = struct.unpack("<%df" % (len(d) // 4), d)
words = struct.unpack("<%dI" % (len(d) // 4), d)
f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]  # text -> float32, as strtof
txt = [f32(float(s)) for s in open(sys.argv[1] + "/bf16.txt").read().split()]
assert len(raw) == len(txt), (len(raw), len(txt))
for r, t, w in zip(raw, txt, words):
    assert (math.isnan(r) and math.isnan(t)) or (r == t and math.copysign(1, r) == math.copysign(1, t)), (r, t)
    assert math.isnan(r) or w & 0xFFFF == 0, hex(w)
EOF

# ---- SR: reproducible for a seed, and the seed matters ----
sr() { yes 0.3 | head -n 2000 | "$lb" quantize --format fp8_e5m2 --round sr --seed "$1" | md5sum; }
[[ "$(sr 3)" == "$(sr 3)" ]] && ok || bad "SR output not reproducible for --seed 3"
[[ "$(sr 3)" != "$(sr 4)" ]] && ok || bad "SR output identical for --seed 3 and 4"

# ---- bad usage and input: exit 2, exactly one line on stderr, nothing on stdout ----
expect_usage_error() { # input args...
  local input=$1
  shift
  printf '%b' "$input" | "$lb" "$@" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "lowbit $* (input '$input')"
}
for spec in '' bf17 nosuchfamily:x=1 fp:e=9,m=2 fp:e=5 fp:e=5,m=2,bogus=1 fp:e=5,m=2, \
  fp:e=abc,m=2 fp:e=5,m=2,round=up fx:wl=0,fl=0 lns:bits=8,frac=9 int:bits=8,scale=row; do
  expect_usage_error '1\n' quantize --format "$spec"
done
expect_usage_error '1\n' quantize
expect_usage_error '1\n' quantize --round rne
expect_usage_error '1\n' quantize --format
expect_usage_error '1\n' quantize --format bf16 --bogus
expect_usage_error '1\n' quantize --format bf16 -x
expect_usage_error '1\n' quantize --format bf16 --round up
expect_usage_error '1\n' quantize --format bf16 --round
expect_usage_error '1\n' quantize --format bf16 --seed abc
expect_usage_error '1\n' quantize --format bf16 --seed -1
expect_usage_error 'abc\n' quantize --format bf16
expect_usage_error '1\nabc\n2\n' quantize --format bf16
expect_usage_error '1\n2\n3x\n' quantize --format bf16
expect_usage_error '1 2\n' quantize --format bf16
expect_usage_error '1\n' quantize --format bf16 extra
expect_usage_error 'abc' quantize --format bf16 --raw
expect_usage_error '' formats --bogus

summary test_formats_cli
