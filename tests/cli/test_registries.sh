#!/usr/bin/env bash
# tests/cli/test_registries.sh LOWBIT — `lowbit models|optimizers|schedules [--csv]`: the CSV
# columns, every .def entry listed, known option sets; every listed model, optimizer and
# schedule trains (rejected nowhere) and is recorded with its options; unknown names are usage
# errors that list the accepted names.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
src=${LOWBIT_SOURCE_DIR:-$(dirname "$0")/../..}
py=/usr/bin/python3

for kind in models optimizers schedules; do
  "$lb" $kind > "$tmp/$kind.txt" && ok || bad "lowbit $kind failed"
  "$lb" $kind --csv > "$tmp/$kind.csv" && ok || bad "lowbit $kind --csv failed"
  "$lb" $kind --json > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "$kind --json"
done
[[ $(head -1 "$tmp/models.csv") == "name,options,input,description" ]] && ok || bad "models --csv header"
[[ $(head -1 "$tmp/optimizers.csv") == "name,stored_weights,description" ]] && ok || bad "optimizers --csv header"
[[ $(head -1 "$tmp/schedules.csv") == "name,description" ]] && ok || bad "schedules --csv header"

# every entry of the .def files is listed, in both forms, and nothing else
for pair in "models:lib/src/nn/models.def:LB_MODEL" "optimizers:lib/src/optim/optimizers.def:LB_OPTIMIZER" \
            "schedules:lib/src/optim/schedules.def:LB_SCHEDULE"; do
  IFS=: read -r kind def macro <<< "$pair"
  names=$(grep -oE "^$macro\(([a-z0-9_]+)" "$src/$def" | cut -d'(' -f2)
  [[ -n $names ]] || bad "no entries found in $def"
  for n in $names; do
    grep -q "^$n " "$tmp/$kind.txt" && grep -q "^$n," "$tmp/$kind.csv" && ok || bad "$kind: $n not listed"
  done
  [[ $(($(wc -l < "$tmp/$kind.csv") - 1)) -eq $(wc -w <<< "$names") ]] && ok || bad "$kind: extra rows"
done

# options and stored weights of models and optimizers whose definition the README documents
$py - "$tmp" <<'PY' && ok || bad "registry columns"
import csv, sys
d = sys.argv[1]
m = {r["name"]: r for r in csv.DictReader(open(f"{d}/models.csv"))}
assert m["mlp"]["options"] == "hidden1;hidden2", m["mlp"]
assert m["lenet5"]["options"] == "", m["lenet5"]
assert m["vgg"]["options"] == "width" and m["vgg16"]["options"] == "width"
assert m["resnet"]["options"] == "width;depth", m["resnet"]
o = {r["name"]: r for r in csv.DictReader(open(f"{d}/optimizers.csv"))}
assert o["lns_madam"]["stored_weights"] == "lns-required", o["lns_madam"]
assert o["sgd"]["stored_weights"] == "any" and o["kahan_sgd"]["stored_weights"] == "any"
assert set(o) >= {"sgd", "adam", "adamw", "madam", "lns_madam", "kahan_sgd"}, set(o)
s = [r["name"] for r in csv.DictReader(open(f"{d}/schedules.csv"))]
assert set(s) >= {"constant", "step", "cosine"}, s
PY

# every listed model, optimizer and schedule trains; the result records it and its options
data=(--dataset synthetic:classes=3,n=64,test=32,size=16 --epochs 2 --batch 32 --seed 2
      --width 0.125 --depth 8 --hidden 8,8)
tail -n +2 "$tmp/models.csv" | cut -d, -f1 | while read -r n; do
  "$lb" train "${data[@]}" --model "$n" --out "$tmp/m_$n.h5" > /dev/null 2> "$tmp/e" || echo "$n: $(cat "$tmp/e")"
done > "$tmp/fails"
[[ ! -s "$tmp/fails" ]] && ok || bad "models that did not train: $(cat "$tmp/fails")"
tail -n +2 "$tmp/optimizers.csv" | cut -d, -f1,2 | while IFS=, read -r n sw; do
  wf=(); [[ $sw == lns-required ]] && wf=(--weight-format lns8)
  "$lb" train "${data[@]}" --model mlp --optimizer "$n" "${wf[@]}" --lr 0.01 --out "$tmp/o_$n.h5" \
    > /dev/null 2> "$tmp/e" || echo "$n: $(cat "$tmp/e")"
done > "$tmp/fails"
[[ ! -s "$tmp/fails" ]] && ok || bad "optimizers that did not train: $(cat "$tmp/fails")"
tail -n +2 "$tmp/schedules.csv" | cut -d, -f1 | while read -r n; do
  "$lb" train "${data[@]}" --model mlp --schedule "$n" --out "$tmp/s_$n.h5" > /dev/null 2> "$tmp/e" \
    || echo "$n: $(cat "$tmp/e")"
done > "$tmp/fails"
[[ ! -s "$tmp/fails" ]] && ok || bad "schedules that did not train: $(cat "$tmp/fails")"
$py - "$tmp" <<'PY' && ok || bad "recorded names and options"
import csv, sys, h5py
d = sys.argv[1]
given = {"hidden1": 8, "hidden2": 8, "width": 0.125, "depth": 8}
for r in csv.DictReader(open(f"{d}/models.csv")):
    a = h5py.File(f"{d}/m_{r['name']}.h5", "r").attrs
    assert a["model"] == r["name"], (a["model"], r["name"])
    opts = [o for o in r["options"].split(";") if o]
    for o in given:  # recorded exactly when the model takes the option
        assert (o in a) == (o in opts), (r["name"], o)
        if o in opts:
            assert a[o] == given[o], (r["name"], o, a[o])
for r in csv.DictReader(open(f"{d}/optimizers.csv")):
    a = h5py.File(f"{d}/o_{r['name']}.h5", "r").attrs
    assert a["optimizer"] == r["name"], (a["optimizer"], r["name"])
for r in csv.DictReader(open(f"{d}/schedules.csv")):
    a = h5py.File(f"{d}/s_{r['name']}.h5", "r").attrs
    assert a["schedule"] == r["name"]
PY

# unknown names: exit 2, one line, every accepted name in it
for pair in "--model:models" "--optimizer:optimizers" "--schedule:schedules"; do
  IFS=: read -r opt kind <<< "$pair"
  "$lb" train "${data[@]}" "$opt" nosuchname --out "$tmp/bad.h5" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "train $opt nosuchname" "$tmp/bad.h5"
  for n in $(tail -n +2 "$tmp/$kind.csv" | cut -d, -f1); do
    grep -q "[ ,]$n[,)]\?" "$tmp/e" || { bad "$opt error does not list $n: $(cat "$tmp/e")"; break; }
  done
done
summary test_registries
