#!/usr/bin/env bash
# tests/cli/test_train_lowprec.sh LOWBIT — stored low-precision weights (--weight-format) with
# madam, lns_madam, kahan_sgd, sgd and adam: every stored weight lies on the format's grid
# after training (checked by re-quantizing the final weights... through the checkpoint of a run
# stopped after epoch 1), kill-and-resume is bit-identical, the last-layer format is recorded,
# the bit-true GEMM option runs, and bad combinations are usage errors (exit 2, one line).
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
need_fashion_mnist test_train_lowprec
py=/usr/bin/python3
common=(--model mlp --hidden 64,32 --train-subset 2000 --test-subset 400 --epochs 2 --batch 64
        --seed 3 --threads 2)

run_pair() { # name, options...: uninterrupted vs killed after epoch 1 and resumed
  local n=$1
  shift
  "$lb" train "${common[@]}" "$@" --out "$tmp/$n.a.h5" > /dev/null && ok || bad "$n: train"
  "$lb" train "${common[@]}" "$@" --out "$tmp/$n.b.h5" --stop-after-epoch 1 > /dev/null
  "$lb" train "${common[@]}" "$@" --out "$tmp/$n.b.h5" --resume > /dev/null && ok || bad "$n: resume"
  $py - "$tmp/$n.a.h5" "$tmp/$n.b.h5" <<'PY' && ok || bad "$n: resumed run differs"
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
for c in ("train_loss", "train_acc", "test_loss", "test_acc", "update_rel_err", "update_zero_frac"):
    assert np.array_equal(a["epochs"][c][:], b["epochs"][c][:]), c
PY
}
run_pair madam --optimizer madam --lr 0.0078125 --weight-format lns8
run_pair lnsmadam --optimizer lns_madam --lr 0.125 --weight-format lns8
run_pair lnsmadamsr --optimizer lns_madam --lr 0.03 --madam-round sr --weight-format lns8
run_pair lnsmadamghat --optimizer lns_madam --lr 0.0078125 --madam-round ghat \
  --weight-format 'lns:bits=16,frac=10,scale=tensor'
run_pair kahan --optimizer kahan_sgd --lr 0.02 --weight-format bf16
run_pair kahanfx --optimizer kahan_sgd --lr 0.02 --weight-format fx:wl=10,fl=8 \
  --kahan-format int:bits=10
run_pair adamfx --optimizer adam --lr 0.002 --weight-format fx:wl=12,fl=10 \
  --last-layer-format fx:wl=16,fl=8

$py - "$tmp" <<'PY' && ok || bad "result attributes and statistics"
import sys, h5py
d = sys.argv[1]
f = h5py.File(f"{d}/lnsmadam.a.h5", "r")
assert f.attrs["optimizer"] == "lns_madam" and f.attrs["weight_format"] == "lns8"
assert f.attrs["madam_round"] == "nearest"
assert h5py.File(f"{d}/lnsmadamghat.a.h5", "r").attrs["madam_round"] == "ghat"
e = f["epochs"]
assert 0 <= e["update_zero_frac"][0] <= 1 and e["update_rel_err"][0] > 0
k = h5py.File(f"{d}/kahanfx.a.h5", "r")
assert k.attrs["kahan_format"] == "int:bits=10", k.attrs["kahan_format"]
a = h5py.File(f"{d}/adamfx.a.h5", "r")
assert a.attrs["last_layer_format"] == "fx:wl=16,fl=8"
ops = a["ops"]
fa = dict(zip([x.decode() if isinstance(x, bytes) else x for x in ops["layer"][:]],
              [x.decode() if isinstance(x, bytes) else x for x in ops["fmt_b"][:]]))
assert fa["fc3"] == "fx:wl=16,fl=8" and fa["fc1"] != fa["fc3"], fa
PY

# --last-layer-roles: the last layer's format on a subset of its roles (P4(b) quantizes E alone)
for r in E WAEG; do
  "$lb" train "${common[@]}" --epochs 1 --last-layer-format fx:wl=8,fl=2 --last-layer-roles $r \
    --out "$tmp/roles_$r.h5" > /dev/null && ok || bad "last-layer roles $r"
done
"$lb" train "${common[@]}" --epochs 1 --out "$tmp/roles_none.h5" > /dev/null && ok || bad "no last-layer format"
$py - "$tmp" <<'PY' && ok || bad "last-layer roles: attributes, operand formats, distinct results"
import sys, h5py, numpy as np
d = sys.argv[1]
f = {r: h5py.File(f"{d}/roles_{r}.h5", "r") for r in ("E", "WAEG", "none")}
assert f["E"].attrs["last_layer_roles"] == "E" and f["WAEG"].attrs["last_layer_roles"] == "WAEG"
assert f["none"].attrs["last_layer_roles"] == "-" and f["E"].attrs["last_layer_format"] == "fx:wl=8,fl=2"
def fmts(h):
    o = h["ops"]
    dec = lambda a: [x.decode() if isinstance(x, bytes) else x for x in a[:]]
    return {(l, p): (a, b) for l, p, a, b in zip(dec(o["layer"]), dec(o["pass"]), dec(o["fmt_a"]), dec(o["fmt_b"]))}
e, w = fmts(f["E"]), fmts(f["WAEG"])
assert e[("fc3", "forward")] == ("fp32", "fp32"), e[("fc3", "forward")]   # W and A untouched
assert w[("fc3", "forward")] == ("fx:wl=8,fl=2", "fx:wl=8,fl=2"), w[("fc3", "forward")]
assert "fx:wl=8,fl=2" in e[("fc3", "backward_data")], e[("fc3", "backward_data")]  # E quantized
acc = {r: h["epochs"]["test_loss"][-1] for r, h in f.items()}
assert len(set(acc.values())) == 3, acc
PY

# --loss-scale 2^k: float32 training unchanged bit for bit; the E of a quantized last layer is not
"$lb" train "${common[@]}" --epochs 1 --loss-scale 64 --out "$tmp/ls64.h5" > /dev/null && ok || bad "loss scale run"
"$lb" train "${common[@]}" --epochs 1 --last-layer-format fx:wl=8,fl=2 --last-layer-roles E \
  --loss-scale 64 --out "$tmp/ls64_E.h5" > /dev/null && ok || bad "loss scale + E run"
$py - "$tmp" <<'PY' && ok || bad "loss scale: fp32 identical, quantized E changed, attribute"
import sys, h5py, numpy as np
d = sys.argv[1]
a, b = h5py.File(f"{d}/roles_none.h5", "r"), h5py.File(f"{d}/ls64.h5", "r")
for c in ("train_loss", "train_acc", "test_loss", "test_acc"):
    assert np.array_equal(a["epochs"][c][:], b["epochs"][c][:]), c
assert b.attrs["loss_scale"] == 64 and a.attrs["loss_scale"] == 1
e, es = h5py.File(f"{d}/roles_E.h5", "r"), h5py.File(f"{d}/ls64_E.h5", "r")
assert e["epochs"]["test_loss"][-1] != es["epochs"]["test_loss"][-1]
PY

# the bit-true LNS-Madam datapath trains (every GEMM through lns-binned) and records its spec
"$lb" train "${common[@]}" --epochs 1 --w-format lns8 --a-format lns8 --e-format lns8 \
  --g-format lns8 --weight-format lns8 --optimizer lns_madam --lr 0.0625 --madam-round sr \
  --gemm lns-binned --out "$tmp/bt.h5" > /dev/null && ok || bad "bit-true run"
$py -c "
import h5py, sys
f = h5py.File(sys.argv[1])
assert f.attrs['gemm'] == 'lns-binned:frac=3,table=8,acc=40,hybrid=0', f.attrs['gemm']
assert f['epochs']['test_acc'][0] > 0.3, f['epochs']['test_acc'][0]" "$tmp/bt.h5" && ok || bad "bit-true run result"

# a plain-SGD run on a coarse fixed-point grid stalls (most updates vanish); Kahan does not
"$lb" train "${common[@]}" --epochs 1 --optimizer sgd --momentum 0 --lr 0.01 \
  --weight-format fx:wl=8,fl=6 --out "$tmp/stall.h5" > /dev/null && ok || bad "stall run"
$py -c "
import h5py, sys
z = h5py.File(sys.argv[1])['epochs']['update_zero_frac'][0]
assert z > 0.5, z" "$tmp/stall.h5" && ok || bad "plain SGD on fx8 weights did not stall"

expect_usage_error() {
  "$lb" train "${common[@]}" "$@" --out "$tmp/bad.h5" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "train $*" "$tmp/bad.h5"
}
expect_usage_error --optimizer lns_madam
expect_usage_error --optimizer lns_madam --weight-format bf16
expect_usage_error --weight-format lns:bits=99
expect_usage_error --optimizer sgd --kahan-format bf16
expect_usage_error --madam-round up
expect_usage_error --optimizer madam --madam-round sr
expect_usage_error --last-layer-format fx:fl=x
expect_usage_error --last-layer-format fp16 --last-layer-roles EE
expect_usage_error --last-layer-format fp16 --last-layer-roles X
expect_usage_error --last-layer-roles E
expect_usage_error --loss-scale 3
expect_usage_error --loss-scale -2
expect_usage_error --dataset fashion-mnist-pairs:n=0
expect_usage_error --dataset fashion-mnist-pairs:n=5,,test=2
expect_usage_error --gemm nosuch

summary test_train_lowprec
