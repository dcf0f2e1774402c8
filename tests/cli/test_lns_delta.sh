#!/usr/bin/env bash
# tests/cli/test_lns_delta.sh LOWBIT — `lowbit lns-delta`: one row per code d in [0, 16·2^F)
# with the header d,dplus,dminus; Δ+(0) of the exact adder is one (2^F codes) and Δ+ never
# increases with d; a PWL table given as a CSV file equals the same table given by name; bad
# input (missing option, bad approximation, unknown table, missing file, out-of-range frac)
# exits 2 with one line and nothing on stdout.
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
summary test_lns_delta
