#!/usr/bin/env bash
# tests/cli/test_bad_input_formats.sh LOWBIT — hostile but fair input to the format, PWL and
# cost commands (issue 18 items 3, 7, 9): each case must exit 2 with one line on stderr naming
# what was wrong (file, line, column or key) and write nothing, or, where the input is valid,
# succeed.
#   3  empty input to every format, block formats included (was SIGFPE): exit 0, no output;
#   7  PWL table CSVs: negative Δ+ shift, nan/inf/1e300 intercepts, NaN/negative/unsorted
#      breakpoints -> exit 2 naming file:line and the column;
#   9  quantize: 1e39 / -1e308 (beyond float32) -> exit 2 naming the line; --shape checked
#      against the number of values for every format; a write error (> /dev/full) -> one line,
#      non-zero exit; pwl-fit checks --out before annealing and rejects a --name the table
#      layout cannot hold; every table it writes is read back by lns-delta.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"

# ---- 3: empty input, every registered format ----
for f in $("$lb" formats --csv | tail -n +2 | cut -d, -f1); do
  if printf '' | "$lb" quantize --format "$f" > "$tmp/o" 2> "$tmp/e" && [[ ! -s "$tmp/o" && ! -s "$tmp/e" ]]; then ok
  else bad "empty input to $f: rc=$?, $(head -c 200 "$tmp/e")"; fi
  if printf '' | "$lb" quantize --format "$f" --raw > "$tmp/o" 2> "$tmp/e" && [[ ! -s "$tmp/o" ]]; then ok
  else bad "empty raw input to $f: $(head -c 200 "$tmp/e")"; fi
done

# ---- 9: numbers beyond float32, --shape vs data, write errors ----
for v in 1e39 -1e308 3.5e38; do
  printf '1\n%s\n' "$v" | "$lb" quantize --format bf16 > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "quantize of $v"
  grep -q "line 2" "$tmp/e" && ok || bad "quantize of $v: the line is not named: $(cat "$tmp/e")"
done
printf 'inf\n-inf\n3.4e38\n1e-45\n' | "$lb" quantize --format fp32 > "$tmp/o" 2> "$tmp/e" \
  && [[ $(tr '\n' ' ' < "$tmp/o") == "inf -inf 3.39999995e+38 1.40129846e-45 " ]] && ok \
  || bad "inf, FLT_MAX-range and subnormal inputs: $(tr '\n' ' ' < "$tmp/o") $(cat "$tmp/e")"
for f in bf16 int8 mxfp4_e2m1; do
  printf '1\n2\n3\n' | "$lb" quantize --format "$f" --shape 2,2 > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "--shape 2,2 with 3 values ($f)"
done
printf '1\n2\n3\n4\n' | "$lb" quantize --format bf16 --shape 2,2 > "$tmp/o" 2> "$tmp/e" && ok \
  || bad "--shape 2,2 with 4 values: $(cat "$tmp/e")"
if [[ -w /dev/full ]]; then
  printf '1\n' | "$lb" quantize --format bf16 > /dev/full 2> "$tmp/e"; rc=$?
  [[ $rc -ne 0 && $(wc -l < "$tmp/e") -eq 1 ]] && ok || bad "quantize > /dev/full: rc=$rc, $(cat "$tmp/e")"
  "$lb" formats --csv > /dev/full 2> "$tmp/e"; rc=$?
  [[ $rc -ne 0 && $(wc -l < "$tmp/e") -eq 1 ]] && ok || bad "formats > /dev/full: rc=$rc, $(cat "$tmp/e")"
fi

# ---- 7: PWL table CSVs ----
good() { # a valid two-segment table; $1 $2 $3 replace Δ+ segment 1's breakpoint, shift, intercept
  printf 'config,function,segment,breakpoint,shift,intercept\n'
  printf 't,delta_plus,0,1,1,1\n'
  printf 't,delta_plus,1,%s,%s,%s\n' "$1" "$2" "$3"
  printf 't,delta_minus,0,1,0,-1\n'
  printf 't,delta_minus,1,4,-2,-0.5\n'
}
good 4 2 1.5 > "$tmp/ok.csv"
"$lb" lns-delta --bits 13 --frac 5 --approx "pwl:$tmp/ok.csv" > /dev/null 2> "$tmp/e" && ok \
  || bad "valid PWL table rejected: $(cat "$tmp/e")"
n=0
while read -r bp sh ic col; do
  n=$((n + 1))
  good "$bp" "$sh" "$ic" > "$tmp/t$n.csv"
  "$lb" lns-delta --bits 13 --frac 5 --approx "pwl:$tmp/t$n.csv" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "PWL table with breakpoint $bp shift $sh intercept $ic"
  grep -q "t$n.csv:3:" "$tmp/e" && grep -q "$col" "$tmp/e" && ok \
    || bad "PWL bp=$bp shift=$sh intercept=$ic: file:line or column '$col' not named: $(cat "$tmp/e")"
done <<'CASES'
4 -3 1.5 shift
4 2 nan intercept
4 2 inf intercept
4 2 1e300 intercept
nan 2 1.5 breakpoint
-1 2 1.5 breakpoint
0.5 2 1.5 breakpoint
CASES

# ---- 9: pwl-fit: the output path before annealing; names the layout cannot hold ----
start=$(date +%s%N)
"$lb" pwl-fit --bits 13 --frac 5 --iters 100000000 --out "$tmp/nodir/t.csv" > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "pwl-fit --out in a missing directory" "$tmp/nodir/t.csv"
(( ($(date +%s%N) - start) / 1000000 < 2000 )) && ok || bad "pwl-fit annealed before checking --out"
mkdir "$tmp/adir"
"$lb" pwl-fit --bits 13 --frac 5 --iters 1000 --out "$tmp/adir" > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "pwl-fit --out a directory"
for nm in 'a,b' '#c' 'config' ''; do
  "$lb" pwl-fit --bits 13 --frac 5 --iters 1000 --name "$nm" --out "$tmp/n.csv" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "pwl-fit --name '$nm'" "$tmp/n.csv"
done
while read -r b f extra; do
  # shellcheck disable=SC2086
  if "$lb" pwl-fit --bits "$b" --frac "$f" $extra --iters 3000 --out "$tmp/f.csv" 2> /dev/null; then
    "$lb" lns-delta --bits "$b" --frac "$f" --approx "pwl:$tmp/f.csv" > /dev/null 2> "$tmp/e" && ok \
      || bad "lns-delta rejects the table pwl-fit --bits $b --frac $f $extra wrote: $(cat "$tmp/e")"
  else
    [[ ! -e "$tmp/f.csv" ]] && ok || bad "pwl-fit --bits $b --frac $f $extra failed but left a table"
  fi
  rm -f "$tmp/f.csv"
done <<'FITS'
13 5
16 10 --segments 2
10 2 --x-ub 16
8 4 --x-ub 0.001
FITS
summary test_bad_input_formats
