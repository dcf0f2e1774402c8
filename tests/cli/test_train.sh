#!/usr/bin/env bash
# tests/cli/test_train.sh LOWBIT — `lowbit train` end to end on a Fashion-MNIST subset:
# the result file's layout, bit-identical reruns, a run killed after epoch 1 and resumed equal
# to an uninterrupted one, quantized roles, a bit-true --gemm kernel on its own (all role
# formats fp32) really running, and bad usage (exit 2, one line, nothing written).
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
need_fashion_mnist test_train
py=/usr/bin/python3
common=(--model lenet5 --train-subset 3000 --test-subset 500 --epochs 3 --batch 64 --lr 0.05
        --seed 7 --threads 2)

"$lb" train "${common[@]}" --out "$tmp/a.h5" --save-weights "$tmp/a.npy" > "$tmp/a.log" && ok || bad "train a"
"$lb" train "${common[@]}" --out "$tmp/b.h5" > "$tmp/b.log" && ok || bad "train b"
[[ $(grep -c '^epoch [0-9]/3 .*ETA' "$tmp/a.log") -eq 3 ]] && ok || bad "one progress line per epoch"
# killed right after epoch 1's checkpoint, then resumed
"$lb" train "${common[@]}" --out "$tmp/c.h5" --stop-after-epoch 1 > /dev/null
[[ $? -eq 3 && ! -e "$tmp/c.h5" && -e "$tmp/c.h5.ckpt" ]] && ok || bad "interrupted run left a result file or no checkpoint"
"$lb" train "${common[@]}" --out "$tmp/c.h5" --resume --save-weights "$tmp/c.npy" > "$tmp/c.log" && ok || bad "resume"
[[ $(grep -c '^epoch' "$tmp/c.log") -eq 2 ]] && ok || bad "resume did not continue at epoch 2"
[[ ! -e "$tmp/c.h5.ckpt" ]] && ok || bad "checkpoint left after a complete run"

$py - "$tmp" <<'PY' && ok || bad "result files"
import sys, h5py, numpy as np
d = sys.argv[1]
cols = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc"]
runs = {k: h5py.File(f"{d}/{k}.h5", "r") for k in "abc"}
a = runs["a"]
for k in ("model", "dataset", "seed", "threads", "git_sha", "compiler", "lowbit_version",
          "w_format", "a_format", "e_format", "g_format", "blis_arch", "batch", "lr"):
    assert k in a.attrs, f"attribute {k} missing"
assert a.attrs["model"] == "lenet5" and int(a.attrs["seed"]) == 7
for c in cols + ["seconds"]:
    assert a["epochs"][c].shape == (3,), c
assert list(a["epochs"]["epoch"][:]) == [1, 2, 3]
for k in "bc":
    for c in cols:
        x, y = a["epochs"][c][:], runs[k]["epochs"][c][:]
        assert np.array_equal(x, y), f"run {k} differs from run a in {c}: {x} vs {y}"
ops = a["ops"]
layers = [s.decode() if isinstance(s, bytes) else s for s in ops["layer"][:]]
passes = [s.decode() if isinstance(s, bytes) else s for s in ops["pass"][:]]
macs = dict(((l, p), int(m)) for l, p, m in zip(layers, passes, ops["macs"][:]))
# LeNet-5 forward MACs per example: conv1 6*25*28*28, conv2 16*150*10*10, fc 400*120, 120*84, 84*10
assert macs[("conv1", "forward")] == 64 * 6 * 25 * 784, macs[("conv1", "forward")]
assert macs[("conv2", "forward")] == 64 * 16 * 150 * 100
assert macs[("fc1", "forward")] == 64 * 400 * 120
assert ("conv1", "backward_data") not in macs
assert a["epochs"]["test_acc"][-1] > 0.6, "lenet5 did not learn"
# --save-weights: (2, parameters) float32, init then trained; a resumed run saves the same
w, wc = np.load(f"{d}/a.npy"), np.load(f"{d}/c.npy")
assert w.dtype == np.float32 and w.shape == (2, int(a.attrs["parameters"])), w.shape
assert np.array_equal(w, wc), "resumed run saved other weights"
assert not np.array_equal(w[0], w[1])
bound = 1 / np.sqrt(25)  # conv1 (6,1,5,5) first: U(+-1/sqrt(fan_in))
assert np.abs(w[0, :150]).max() <= bound and np.abs(w[0, :150]).max() > 0.9 * bound
PY

# quantized roles run and differ from fp32
"$lb" train "${common[@]}" --epochs 1 --w-format bf16 --a-format bf16 --e-format fp8_e5m2 \
  --g-format bf16 --out "$tmp/q.h5" > /dev/null && ok || bad "quantized training"
$py -c "import h5py,sys; f=h5py.File(sys.argv[1]); assert f.attrs['e_format']=='fp8_e5m2'" "$tmp/q.h5" && ok || bad "format attributes"

# bad usage: exit 2, one line on stderr, no result file
expect_usage_error() {
  "$lb" train "$@" --out "$tmp/bad.h5" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "train $*" "$tmp/bad.h5"
}
expect_usage_error --model nope
expect_usage_error --dataset cifar-7
expect_usage_error --data-dir /nonexistent
expect_usage_error --epochs 0
expect_usage_error --lr abc
expect_usage_error --w-format fp:e=9,m=1
expect_usage_error --optimizer lbfgs
expect_usage_error --optimizer adam --lr 0
expect_usage_error --schedule wavy
expect_usage_error --bogus 1
expect_usage_error --train-subset 64 --test-subset 64 --epochs 1 --save-weights /nonexistent/w.npy

# --gemm alone (roles fp32): the kernel runs (gemm_macs > 0) and changes the result
small=(--model mlp --train-subset 500 --test-subset 200 --epochs 1 --batch 50 --seed 3 --threads 1)
"$lb" train "${small[@]}" --out "$tmp/g0.h5" > /dev/null && ok || bad "train fp32 gemm"
"$lb" train "${small[@]}" --gemm lns-exactadd:bits=13,frac=5,dhist=1 --out "$tmp/g1.h5" > /dev/null \
  && ok || bad "train --gemm lns-exactadd"
# dhist=1: RUN.h5.dhist.csv, d = 0..512 (13/5: the last bin holds every larger d), usable by pwl-fit
[[ $(head -1 "$tmp/g1.h5.dhist.csv") == "d,count" && $(wc -l < "$tmp/g1.h5.dhist.csv") -eq 514 ]] \
  && ok || bad "dhist file"
"$lb" pwl-fit --bits 13 --frac 5 --cost weighted --histogram "$tmp/g1.h5.dhist.csv" --iters 200 \
  --out "$tmp/w.csv" 2> /dev/null && ok || bad "pwl-fit on a run's histogram"
$py - "$tmp" <<'PY' && ok || bad "--gemm alone did not run the kernel"
import sys, h5py
d = sys.argv[1]
a, b = h5py.File(f"{d}/g0.h5", "r"), h5py.File(f"{d}/g1.h5", "r")
assert int(b.attrs["gemm_macs"]) > 0 and int(a.attrs["gemm_macs"]) == 0
assert float(a["epochs"]["train_loss"][-1]) != float(b["epochs"]["train_loss"][-1])
PY

# vgg16: VGG-16 (13 conv layers) has more parameters than VGG-11 (8) at the same width
v=(--width 0.0625 --train-subset 64 --test-subset 32 --epochs 1 --batch 32)
"$lb" train --model vgg "${v[@]}" --out "$tmp/v11.h5" > /dev/null \
  && "$lb" train --model vgg16 "${v[@]}" --out "$tmp/v16.h5" > /dev/null && ok || bad "train vgg16"
$py - "$tmp" <<'PY' && ok || bad "vgg16 is not VGG-16"
import sys, h5py
d = sys.argv[1]
a, b = h5py.File(f"{d}/v11.h5", "r"), h5py.File(f"{d}/v16.h5", "r")
conv = lambda f: len({l for l in f["ops"]["layer"][:] if l.startswith(b"conv")})
assert conv(a) == 8 and conv(b) == 13, (conv(a), conv(b))
assert int(b.attrs["parameters"]) > int(a.attrs["parameters"])
PY

# --all-lns: needs an LNS-addition kernel, SGD, and no other weight format; a resnet (batchnorm,
# residual add, global average pool) trains with every element-wise operation in LNS, its
# weights and gradients on the 13/5 grid, bit-identical when repeated
expect_usage_error --all-lns
expect_usage_error --all-lns --gemm fp32
expect_usage_error --all-lns --gemm lns-lut:bits=13,frac=5 --optimizer adam
expect_usage_error --all-lns --gemm lns-lut:bits=13,frac=5 --weight-format lns:bits=16,frac=8
lns0=(--model resnet --depth 8 --width 0.25 --train-subset 128 --test-subset 64 --epochs 1
      --batch 32 --lr 0.05 --seed 5 --threads 2 --gemm lns-lut:bits=13,frac=5)
lns=("${lns0[@]}" --all-lns)
"$lb" train "${lns[@]}" --out "$tmp/l1.h5" > /dev/null && ok || bad "train --all-lns"
"$lb" train "${lns[@]}" --weight-format lns:bits=13,frac=5 --out "$tmp/l2.h5" > /dev/null \
  && ok || bad "train --all-lns with the same --weight-format"
"$lb" train "${lns0[@]}" --out "$tmp/l0.h5" > /dev/null && ok || bad "train lns gemm"
$py - "$tmp" <<'PY' && ok || bad "--all-lns result"
import sys, h5py, numpy as np
d = sys.argv[1]
a, b, c = (h5py.File(f"{d}/{n}.h5", "r") for n in ("l1", "l2", "l0"))
assert int(a.attrs["all_lns"]) == 1 and int(c.attrs["all_lns"]) == 0
assert a.attrs["weight_format"].startswith("lns:bits=13,frac=5")
la, lb_, lc = (float(f["epochs"]["train_loss"][-1]) for f in (a, b, c))
assert la == lb_ and np.isfinite(la) and la != lc, (la, lb_, lc)
PY
"$lb" train "${lns[@]}" --out "$tmp/l3.h5" > /dev/null
cmp <($py -c "import h5py,sys; print(h5py.File(sys.argv[1])['epochs']['test_loss'][:])" "$tmp/l1.h5") \
    <($py -c "import h5py,sys; print(h5py.File(sys.argv[1])['epochs']['test_loss'][:])" "$tmp/l3.h5") \
  && ok || bad "--all-lns not deterministic"

summary test_train
