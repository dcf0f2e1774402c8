#!/usr/bin/env bash
# tests/cli/test_lns_delta.sh LOWBIT — `lowbit lns-delta`: one row per code d in [0, 16·2^F)
# with the header d,dplus,dminus; Δ+(0) of the exact adder is one (2^F codes) and Δ+ never
# increases with d; a PWL table given as a CSV file equals the same table given by name; bad
# input (missing option, bad approximation, unknown table, missing file, out-of-range frac)
# exits 2 with one line and nothing on stdout. `lowbit pwl-fit`: its table is accepted by
# lns-delta, the same seed gives the same file, the weighted cost reads a histogram, and bad
# input exits 2 with one line and no table file.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
"$lb" lns-delta --bits 13 --frac 5 --approx exact > "$tmp/ex.csv" && ok || bad "exact"
[[ $(head -1 "$tmp/ex.csv") == "d,dplus,dminus" ]] && ok || bad "header"
[[ $(($(wc -l < "$tmp/ex.csv") - 1)) -eq 512 ]] && ok || bad "rows: $(wc -l < "$tmp/ex.csv")"
[[ $(sed -n 2p "$tmp/ex.csv") == "0,32,0" ]] && ok || bad "exact d+(0): $(sed -n 2p "$tmp/ex.csv")"
awk -F, 'NR > 2 && $2 > prev { exit 1 } NR > 1 { prev = $2 }' "$tmp/ex.csv" && ok || bad "d+ increases"
# a one-table CSV file (the generic table under another name) gives the same codes as the name
{ echo "config,function,segment,breakpoint,shift,intercept"
  grep '^generic,' "$src/experiments/data/qaa_lns_pwl_tables.csv" | sed 's/^generic,/mine,/'
} > "$tmp/mine.csv"
"$lb" lns-delta --bits 16 --frac 8 --approx pwl:generic > "$tmp/g.csv" && ok || bad "pwl:generic"
"$lb" lns-delta --bits 16 --frac 8 --approx "pwl:$tmp/mine.csv" > "$tmp/m.csv" && ok || bad "pwl:FILE"
cmp -s "$tmp/g.csv" "$tmp/m.csv" && ok || bad "pwl:FILE differs from pwl:generic"
for args in "--bits 13 --frac 5" "--bits 13 --frac 5 --approx cubic" \
  "--bits 13 --frac 5 --approx pwl:12/4" "--bits 13 --frac 5 --approx pwl:/nonexistent.csv" \
  "--bits 13 --frac 11 --approx lut" "--bits 13 --frac 5 --approx lut --colour red"; do
  # shellcheck disable=SC2086
  "$lb" lns-delta $args > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "lns-delta $args"
done
# pwl-fit
"$lb" pwl-fit --bits 13 --frac 5 --iters 2000 --seed 3 --out "$tmp/a.csv" 2> "$tmp/log" && ok || bad "pwl-fit"
grep -q "move 2000/2000" "$tmp/log" && ok || bad "pwl-fit progress: $(head -2 "$tmp/log")"
"$lb" pwl-fit --bits 13 --frac 5 --iters 2000 --seed 3 --out "$tmp/b.csv" 2> /dev/null
cmp -s "$tmp/a.csv" "$tmp/b.csv" && ok || bad "pwl-fit not deterministic"
"$lb" lns-delta --bits 13 --frac 5 --approx "pwl:$tmp/a.csv" > /dev/null && ok || bad "fit not readable"
{ echo "d,count"; for d in 0 1 2 3 40 300; do echo "$d,$((d + 1))"; done; } > "$tmp/h.csv"
"$lb" pwl-fit --bits 13 --frac 5 --iters 500 --cost weighted --histogram "$tmp/h.csv" \
  --out "$tmp/w.csv" 2> /dev/null && ok || bad "pwl-fit weighted"
echo "d,count" > "$tmp/bad.csv"; echo "513,1" >> "$tmp/bad.csv"
for args in "--frac 5" "--bits 13 --frac 5 --cost median" "--bits 13 --frac 5 --cost weighted" \
  "--bits 13 --frac 5 --cost weighted --histogram $tmp/bad.csv" "--bits 13 --frac 5 --segments 1" \
  "--bits 13 --frac 5 --iters x" "--bits 8 --frac 5"; do
  # shellcheck disable=SC2086
  "$lb" pwl-fit $args --out "$tmp/no.csv" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "pwl-fit $args" "$tmp/no.csv"
done
summary test_lns_delta
