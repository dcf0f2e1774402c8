#!/usr/bin/env bash
# tests/cli/test_cli.sh LOWBIT — the command's contract: listing, quantize text and raw, and
# bad usage/input: exit status 2, exactly one line on stderr, nothing on stdout.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"

# every registry name is listed (names from formats.def)
names=$(grep -oE '^LB_FORMAT\(([a-z0-9_]+)' "$LOWBIT_SOURCE_DIR/lib/src/formats/formats.def" | cut -d'(' -f2)
"$lb" formats > "$tmp/formats.txt" || bad "lowbit formats failed"
"$lb" formats --csv > "$tmp/formats.csv" || bad "lowbit formats --csv failed"
for n in $names; do
  grep -q "^$n " "$tmp/formats.txt" && grep -q "^$n," "$tmp/formats.csv" && ok || bad "format $n not listed"
done

# quantize: known values (bf16 ties to even; E4M3 464 -> 448, 465 -> NaN; E5M2 overflow -> inf)
check_q() { # spec round input expected
  local got
  got=$(printf '%s\n' "$3" | "$lb" quantize --format "$1" --round "$2") || { bad "quantize $1 $3 failed"; return; }
  [[ "$got" == "$4" ]] && ok || bad "quantize --format $1 --round $2: $3 -> $got, expected $4"
}
check_q bf16 rne 1.00390625 1
check_q bf16 rne 1.01171875 1.015625
check_q bf16 rna 1.00390625 1.0078125
check_q bf16 rtz 1.0078124 1
check_q fp8_e4m3 rne 464 448
check_q fp8_e4m3 rne 465 nan
check_q fp8_e4m3_sat rne 1e9 448
check_q fp8_e5m2 rne 1e9 inf
check_q fp8_e5m2 rne -0 -0
check_q fx8 rne 5 1.984375
check_q fx8 rne -5 -2
check_q fp4_e2m1 rne 2.5 2
check_q fp4_e2m1 rne 3.5 4
check_q lns13_5 rne 0 0

# raw float32 in and out, same as text
printf '0.1\n-3.3\n1e-9\n' > "$tmp/in.txt"
/usr/bin/python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<3f',0.1,-3.3,1e-9))" > "$tmp/in.f32" 2>/dev/null || \
  printf '\xcd\xcc\xcc\x3d\x33\x33\x53\xc0\x5f\x70\x89\x30' > "$tmp/in.f32"
"$lb" quantize --format fp16 --raw < "$tmp/in.f32" > "$tmp/out.f32" && ok || bad "raw quantize failed"
[[ $(stat -c %s "$tmp/out.f32") -eq 12 ]] && ok || bad "raw output is not 12 bytes"
"$lb" quantize --format fp16 < "$tmp/in.txt" > "$tmp/out.txt" && ok || bad "text quantize failed"
/usr/bin/python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(); [print('%.9g' % v) for v in struct.unpack('<%df' % (len(d)//4), d)]" "$tmp/out.f32" > "$tmp/out_raw.txt"
diff -q "$tmp/out_raw.txt" "$tmp/out.txt" >/dev/null && ok || bad "raw and text outputs differ"

# SR is reproducible for a seed
a=$(printf '0.3\n0.3\n0.3\n0.3\n' | "$lb" quantize --format fp8_e5m2 --round sr --seed 3)
b=$(printf '0.3\n0.3\n0.3\n0.3\n' | "$lb" quantize --format fp8_e5m2 --round sr --seed 3)
[[ "$a" == "$b" ]] && ok || bad "SR not reproducible"

# bad usage / input: exit 2, one stderr line, empty stdout
expect_usage_error() { # input args...
  local input=$1
  shift
  printf '%b' "$input" | "$lb" "$@" > "$tmp/o" 2> "$tmp/e"
  local rc=$?
  local lines
  lines=$(wc -l < "$tmp/e")
  if [[ $rc -eq 2 && $lines -eq 1 && ! -s "$tmp/o" ]]; then ok; else
    bad "lowbit $* (input '$input'): rc=$rc, $lines stderr lines, stdout $(wc -c < "$tmp/o") bytes: $(cat "$tmp/e")"; fi
}
expect_usage_error '1\n' quantize --format fp:e=9,m=2
expect_usage_error '1\n' quantize --format nope
expect_usage_error '1\n' quantize
expect_usage_error '1\n' quantize --format bf16 --round up
expect_usage_error '1\n' quantize --format bf16 --seed -3
expect_usage_error '1\n' quantize --format bf16 --bogus
expect_usage_error '1\nabc\n2\n' quantize --format bf16
expect_usage_error '1\n2x\n' quantize --format bf16
expect_usage_error 'abc' quantize --format bf16 --raw
expect_usage_error '1\n2\n3\n' quantize --format int8_channel --shape 2,2
expect_usage_error '1\n' quantize --format bf16 --axis 1
expect_usage_error '' frobnicate
expect_usage_error '' formats --bogus
expect_usage_error '' info extra
"$lb" help > /dev/null && ok || bad "lowbit help failed"
for c in train quantize energy lns-delta pwl-fit gemm-err; do # `lowbit CMD --help`: usage, exit 0
  "$lb" $c --help > "$tmp/o" 2> "$tmp/e" && grep -q "^usage: lowbit $c" "$tmp/o" && [[ ! -s "$tmp/e" ]] \
    && ok || bad "lowbit $c --help: $(head -c 200 "$tmp/e")"
done

summary test_cli
