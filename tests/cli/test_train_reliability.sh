#!/usr/bin/env bash
# tests/cli/test_train_reliability.sh LOWBIT — `lowbit train` on the inputs of issue 18 (items
# 1, 2, 5, 6, 8, 9): deep ResNets, block formats as stored weights, output paths that alias or
# cannot be written (rejected before the first epoch: exit 2, one line, no progress line, nothing
# written), corrupt, patched or foreign checkpoints (rejected naming the file), and GEMM counters
# that survive a kill and --resume. Run in the Release and the sanitizer builds.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
syn=(--dataset synthetic:classes=3,n=64,test=32,size=12 --epochs 1 --batch 32 --seed 4)

# item 1: every documented ResNet depth up to 110 builds and trains
for d in 44 110; do
  "$lb" train --model resnet --depth $d --width 0.125 "${syn[@]}" --out "$tmp/r$d.h5" > /dev/null 2> "$tmp/e" \
    && [[ -s "$tmp/r$d.h5" ]] && ok || bad "resnet depth $d: $(head -c 300 "$tmp/e")"
done

# item 2: block formats (MX, MLS) as stored weights train to a finite result
for wf in mxfp4_e2m1 mxfp8_e4m3 'mls:e=2,m=1,gbits=8,group=16'; do
  n=${wf%%:*}
  "$lb" train --model mlp --hidden 16,16 "${syn[@]}" --epochs 2 --weight-format "$wf" --lr 0.01 \
    --out "$tmp/w_$n.h5" > /dev/null 2> "$tmp/e" && ok || bad "--weight-format $wf: $(head -c 300 "$tmp/e")"
  $py -c "
import sys, h5py, numpy as np
e = h5py.File(sys.argv[1], 'r')['epochs']
assert np.isfinite(e['train_loss'][:]).all() and (e['update_rel_err'][:] > 0).all(), e['update_rel_err'][:]
" "$tmp/w_$n.h5" 2> /dev/null && ok || bad "--weight-format $wf: no finite result"
done

# items 5 and 9: output paths checked before the first epoch
usage() { # WHAT FILE-THAT-MUST-NOT-EXIST ARGS...: exit 2, one stderr line, no stdout
  local what=$1 file=$2
  shift 2
  "$lb" train --model mlp --hidden 8,8 "${syn[@]}" "$@" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "$what" "$file"
}
usage "--checkpoint equal to --out" "$tmp/same.h5" --out "$tmp/same.h5" --checkpoint "$tmp/same.h5"
mkdir -p "$tmp/sub"
usage "--checkpoint aliasing --out" "$tmp/sub/a.h5" --out "$tmp/sub/a.h5" --checkpoint "$tmp/sub/../sub/./a.h5"
usage "--out in a missing directory" "$tmp/nodir/x.h5" --out "$tmp/nodir/x.h5"
usage "--out in an unwritable directory" /proc/lowbit_x.h5 --out /proc/lowbit_x.h5
usage "--out is a directory" "$tmp/sub/none" --out "$tmp/sub"
usage "--checkpoint in a missing directory" "$tmp/nodir/c" --out "$tmp/ok.h5" --checkpoint "$tmp/nodir/c"
[[ -z $(ls -A "$tmp/sub") ]] && ok || bad "a rejected run left files: $(ls "$tmp/sub")"
# ... before the data are read: with a missing data directory the error is still the output's
"$lb" train --model mlp --dataset fashion-mnist --data-dir "$tmp/nodata" --out "$tmp/nodir/x.h5" \
  > /dev/null 2> "$tmp/e"
grep -q -- "--out" "$tmp/e" && ok || bad "the output path is not checked first: $(cat "$tmp/e")"

# item 6: checkpoints are verified (checksum, ranges, configuration and data identity)
mkdir -p "$tmp/data"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  gzip -dc "$data/$f.gz" > "$tmp/data/$f"
done
fm=(--model mlp --hidden 16,16 --dataset fashion-mnist --data-dir "$tmp/data" --train-subset 300
    --test-subset 100 --epochs 3 --batch 50 --seed 5 --gemm mls:e=2,m=1)
fresh() { # a checkpoint after epoch 1 at $tmp/c.h5.ckpt
  rm -f "$tmp/c.h5" "$tmp/c.h5.ckpt"
  "$lb" train "${fm[@]}" --out "$tmp/c.h5" --stop-after-epoch 1 > /dev/null 2>&1
  [[ -s "$tmp/c.h5.ckpt" ]] || bad "no checkpoint after epoch 1"
}
resume_rejected() { # WHAT [ARGS...]: --resume exits 2 with one line naming the checkpoint
  local what=$1
  shift
  "$lb" train "${fm[@]}" "$@" --out "$tmp/c.h5" --resume > "$tmp/o" 2> "$tmp/e"
  local rc=$?
  if [[ $rc -eq 2 && $(wc -l < "$tmp/e") -eq 1 ]] && grep -q "c.h5.ckpt" "$tmp/e" && [[ ! -e "$tmp/c.h5" ]]; then
    ok
  else
    bad "$what: exit $rc: $(head -c 300 "$tmp/e")"
  fi
}
# flip one byte: in the parameters (middle of the file), and in the header
for at in middle 20; do
  fresh
  $py - "$tmp/c.h5.ckpt" "$at" <<'PY'
import sys, os
p, at = sys.argv[1], sys.argv[2]
n = os.path.getsize(p)
i = n // 2 if at == "middle" else int(at)
b = bytearray(open(p, "rb").read())
b[i] ^= 0x10
open(p, "wb").write(bytes(b))
PY
  resume_rejected "flipped byte ($at)"
done
# epochs_done patched to -5, 2000 and INT_MAX with a valid checksum (CRC-32C recomputed here)
for v in -5 2000 2147483647; do
  fresh
  $py - "$tmp/c.h5.ckpt" "$v" <<'PY'
import sys, struct
p, v = sys.argv[1], int(sys.argv[2])
def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
b = bytearray(open(p, "rb").read()[:-4])
assert b[:8] == b"LBCKPT02", b[:8]
(fl,) = struct.unpack_from("<I", b, 8)
struct.pack_into("<i", b, 12 + fl, v)  # epochs_done follows the fingerprint
open(p, "wb").write(bytes(b) + struct.pack("<I", crc32c(bytes(b))))
PY
  resume_rejected "epochs_done $v"
done
# truncated file
fresh
head -c 200 "$tmp/c.h5.ckpt" > "$tmp/t" && mv "$tmp/t" "$tmp/c.h5.ckpt"
resume_rejected "truncated checkpoint"
# another configuration, and the same configuration on changed data (one pixel of image 0)
fresh
resume_rejected "different --lr" --lr 0.07
fresh
$py -c "
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[16 + 400] ^= 0xff; open(p, 'wb').write(bytes(b))
" "$tmp/data/train-images-idx3-ubyte"
resume_rejected "changed training data"

# item 8: a run killed after epoch 1 and resumed records the same GEMM counters as one that was not
rm -f "$tmp/c.h5" "$tmp/c.h5.ckpt"
"$lb" train "${fm[@]}" --out "$tmp/u.h5" > /dev/null 2>&1 && ok || bad "uninterrupted run"
"$lb" train "${fm[@]}" --out "$tmp/k.h5" --stop-after-epoch 1 > /dev/null 2>&1
"$lb" train "${fm[@]}" --out "$tmp/k.h5" --stop-after-epoch 2 --resume > /dev/null 2>&1
"$lb" train "${fm[@]}" --out "$tmp/k.h5" --resume > /dev/null 2>&1 && ok || bad "resumed run"
$py - "$tmp/u.h5" "$tmp/k.h5" <<'PY' && ok || bad "counters differ after --resume"
import sys, h5py, numpy as np
u, k = (h5py.File(p, "r") for p in sys.argv[1:3])
for a in ("gemm_macs", "gemm_overflows", "gemm_underflows"):
    assert u.attrs[a] == k.attrs[a], (a, u.attrs[a], k.attrs[a])
assert u.attrs["gemm_macs"] > 0
for c in ("train_loss", "test_acc"):
    assert np.array_equal(u["epochs"][c][:], k["epochs"][c][:]), c
PY
summary test_train_reliability
