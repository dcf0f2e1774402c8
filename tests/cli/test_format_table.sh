#!/usr/bin/env bash
# tests/cli/test_format_table.sh LOWBIT — what scripts read from the binary instead of parsing
# C source or spec strings:
#   `lowbit formats --csv` has a row per formats.def entry with block, scale_bits,
#   bits_per_element and mac_model; values checked against the OCP MX v1.0 and MLS definitions
#   worked out by hand (MXFP4: 4-bit elements, an 8-bit E8M0 scale per 32 -> 4.25 bits; MLS
#   E2M1: 1+2+1 bits, an 8-bit group exponent per 16 -> 4.5); `--spec NAME` gives family:params;
#   every mac_model is accepted by `lowbit energy --mac` and costs the same as the format name
#   (a family owns its cost: every registered format has one);
#   `lowbit kernels --csv` lists every LB_GEMM line of kernels.def, ref = 1 exactly for -ref;
#   `--spec` of a bad kernel or format exits 2 with one line.
set -u
lb=$1
src=${LOWBIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

"$lb" formats --csv > "$tmp/f.csv" && ok || bad "formats --csv"
"$lb" kernels --csv > "$tmp/k.csv" && ok || bad "kernels --csv"
"$lb" formats --csv --spec mxfp4_e2m1 --spec 'mls:e=2,m=1' > "$tmp/s.csv" && ok || bad "--spec"
"$py" - "$tmp" "$src" <<'PY' && ok || bad "format/kernel tables"
import csv, re, sys
d, src = sys.argv[1], sys.argv[2]
f = {r["name"]: r for r in csv.DictReader(open(f"{d}/f.csv"))}
names = re.findall(r"^LB_FORMAT\((\w+),", open(f"{src}/lib/src/formats/formats.def").read(), re.M)
assert list(f) == names, (list(f), names)
exp = {  # name: block, scale_bits, bits_per_element, mac_model
    "fp8_e4m3": ("0", "0", 8.0, "mac:fp,e=4,m=3"),
    "bf16": ("0", "0", 16.0, "mac:fp,e=8,m=7"),
    "fx8": ("0", "0", 8.0, "mac:int,bits=8"),
    "int8": ("0", "32", 8.0, "mac:int,bits=8"),
    "lns8": ("0", "32", 8.0, "mac:lns-binned,bits=8,frac=3"),
    "lns13_5": ("0", "0", 13.0, "mac:lns-pwl,bits=13,frac=5"),
    "mxfp4_e2m1": ("32", "8", 4.25, "mac:mls,e=2,m=1,group=32,gbits=8"),
    "mxfp8_e4m3": ("32", "8", 8.25, "mac:mls,e=4,m=3,group=32,gbits=8"),
    "mls_e2m1": ("16", "8", 4.5, "mac:mls,e=2,m=1,group=16,gbits=8"),
}
for n, (blk, sb, bpe, mac) in exp.items():
    r = f[n]
    got = (r["block"], r["scale_bits"], float(r["bits_per_element"]), r["mac_model"])
    assert got == (blk, sb, bpe, mac), (n, got)
for n, r in f.items():
    assert r["mac_model"].startswith("mac:"), (n, r["mac_model"])
s = list(csv.DictReader(open(f"{d}/s.csv")))
assert s[0]["spec"] == "mx:e=2,m=1" and s[1]["spec"] == "mls:e=2,m=1", s
k = list(csv.DictReader(open(f"{d}/k.csv")))
defs = re.findall(r"^LB_GEMM\((\w+)\)", open(f"{src}/lib/src/gemm/kernels.def").read(), re.M)
assert len(k) == len(defs) and len(k) > 0, (len(k), defs)
for r in k:
    assert r["ref"] == ("1" if r["name"].endswith("-ref") else "0"), r
PY
# every registered format's MAC model costs the same as the format itself
tail -n +2 "$tmp/f.csv" | "$py" -c "import csv,sys; [print(r[0], r[-2]) for r in csv.reader(sys.stdin)]" > "$tmp/macs"
while read -r name mac; do
  a=$("$lb" energy --mac "$name" --csv - | tail -1 | rev | cut -d, -f1-5 | rev)
  b=$("$lb" energy --mac "$mac" --csv - | tail -1 | rev | cut -d, -f1-5 | rev)
  [[ -n "$a" && "$a" == "$b" ]] && ok || bad "energy --mac $name ($a) vs $mac ($b)"
done < "$tmp/macs"
"$lb" kernels --csv --spec 'lns-nope:frac=3' > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "kernels --spec of an unknown kernel"
"$lb" energy --mac 'mac:mls,e=2,m=1,group=0,gbits=8' > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "energy --mac group=0"
grep -q "'group'" "$tmp/e" && ok || bad "group=0 error does not name the key: $(cat "$tmp/e")"
summary test_format_table
