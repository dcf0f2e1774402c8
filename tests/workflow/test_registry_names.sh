#!/usr/bin/env bash
# tests/workflow/test_registry_names.sh BUILD_DIR — the workflow and the binary's registries:
# a recipe's optimizer reaches `lowbit train` (the command of the workflow's train job, taken
# from a dry run and run here, gives a result whose `optimizer` attribute says adam), and an unknown model, optimizer or schedule in the config stops the workflow at start
# (before any job) with a message naming the key and the accepted names from the binary; so
# does a data set name, parameter or directory that `lowbit datasets --check` rejects.
set -u
build=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.."
export PYENV_VERSION=system
source tests/cli/lib.sh
sm=(snakemake --nolock --cores 1 --configfile experiments/smoke.yaml)

overlay() { # extra YAML lines on top of a small one-run configuration
  { printf 'build_dir: %s\nresults_dir: %s/results\n' "$build" "$tmp"
    printf 'recipes:\n  adam_rec: {W: fp32, A: fp32, E: fp32, G: fp32, optimizer: adam}\n'
    printf 'training:\n  models: [mlp]\n  recipes: [adam_rec]\n  train_subset: 500\n  test_subset: 200\n'
    cat; } > "$tmp/over.yaml"
}

echo -n | overlay
# the command the workflow would run for the adam recipe (a dry run: no job, no rebuild), run here
out=$tmp/results/train/mlp_adam_rec.h5
"${sm[@]}" "$tmp/over.yaml" -n -p --forcerun train -- "$out" > "$tmp/log" 2>&1 \
  && ok || { bad "dry run of the adam recipe"; tail -5 "$tmp/log" >&2; }
cmd=$(grep -m1 "/bin/lowbit train --model mlp" "$tmp/log")
[[ -n $cmd ]] && ok || bad "no lowbit train command in the dry run: $(tail -3 "$tmp/log")"
mkdir -p "$tmp/results/train" logs/train
bash -c "$cmd" && ok || bad "the workflow's command failed: $cmd"
/usr/bin/python3 -c "
import sys, h5py
f = h5py.File(sys.argv[1], 'r')
assert f.attrs['optimizer'] == 'adam', f.attrs['optimizer']" "$out" \
  && ok || bad "the recipe's optimizer did not reach the run: $cmd"
rejected() { # WHAT YAML...: the dry run fails at start naming WHAT and listing accepted names
  local what=$1
  shift
  printf '%s\n' "$@" | overlay
  if "${sm[@]}" "$tmp/over.yaml" -n -- "$tmp/results/train/mlp_adam_rec.h5" > "$tmp/log" 2>&1; then
    bad "$what accepted"
  elif grep -qF -- "$what" "$tmp/log" && { [[ -n ${no_list:-} ]] || grep -q "accepted: " "$tmp/log"; }; then
    ok
  else
    bad "$what: no message naming it: $(grep -m1 -i error "$tmp/log")"
  fi
}
rejected "unknown optimizer 'adamx'" 'recipes:' '  adam_rec: {W: fp32, A: fp32, E: fp32, G: fp32, optimizer: adamx}'
rejected "unknown model 'mlp9'" 'training:' '  models: [mlp9]'
rejected "unknown schedule 'linear'" 'mls:' '  schedule: linear'
# names that refer to another list of the config
rejected "unknown model 'lenet9'" 'pwl:' '  train:' '    headline_models: [lenet9]'
rejected "unknown model 'vgg9'" 'pwl:' '  train:' '    seed_models: [vgg9]'
rejected "unknown model 'resnet9'" 'mls:' '  difficulty: {model: resnet9, dataset: fashion-mnist}'
# data sets: checked by `lowbit datasets --check` at start (name, parameters, files present)
rejected "mls.dataset: unknown data set 'fashion-mnists'" 'mls:' '  dataset: fashion-mnists'
no_list=1 rejected "mls.difficulty.dataset: pairs: n=0 out of range" \
  'mls:' '  difficulty: {model: mlp, dataset: "fashion-mnist-pairs:n=0"}'
no_list=1 rejected "lowprec.p4.last_layer.datasets.10: synthetic: unknown key 'clases'" \
  'lowprec:' '  p4:' '    last_layer:' '      datasets: {10: "synthetic:clases=10"}'
no_list=1 rejected "pwl.train.dataset: $tmp/nodir: no such data directory for cifar100" \
  'pwl:' '  train:' '    dataset: cifar100' "    data_dir: $tmp/nodir"
no_list=1 rejected "data.fashion_mnist: $tmp/nodir: no such data directory for fashion-mnist" \
  'data:' "  fashion_mnist: $tmp/nodir"
# with data.check_files false only names and parameters are checked (a dry run of a config on a
# machine without its data)
printf '%s\n' 'pwl:' '  train:' '    dataset: cifar100' "    data_dir: $tmp/nodir" \
  'data:' '  check_files: false' | overlay
"${sm[@]}" "$tmp/over.yaml" -n -- "$tmp/results/train/mlp_adam_rec.h5" > "$tmp/log" 2>&1 \
  && ok || bad "data.check_files false: the dry run failed: $(grep -m1 Error "$tmp/log")"
no_list=1 rejected "accum.train.dataset: synthetic: classes=1 out of range" \
  'data:' '  check_files: false' 'accum:' '  train:' '    dataset: "synthetic:classes=1"'
# a value of another type is refused by the schema, naming the key ("maybe" is a string in YAML,
# unlike yes/no)
no_list=1 rejected "check_files" 'data:' '  check_files: "maybe"'
summary test_registry_names
