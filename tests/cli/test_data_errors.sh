#!/usr/bin/env bash
# tests/cli/test_data_errors.sh LOWBIT — `lowbit train` on data that a loader must refuse with
# exit 2, one stderr line naming the right thing, and no result file: IDX test images of
# another size than the training images (the model is built for the training size; the test
# pass used to read past the images), an IDX image path and a CIFAR batch that are directories
# (they used to be reported as "corrupt gzip data" and as a 2^63-1-byte truncated file), and
# synthetic:test=0 / n=0 (the key must be named: test=0 used to be reported as "n=0"); and
# `lowbit datasets --check` refusing what train refuses, with the same message.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"

be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
idx_images() { # PATH N ROWS COLS
  { be32 $((0x803)); be32 "$2"; be32 "$3"; be32 "$4"; head -c $(($2 * $3 * $4)) /dev/zero; } > "$1"
}
idx_labels() { # PATH N (labels all 0)
  { be32 $((0x801)); be32 "$2"; head -c "$2" /dev/zero; } > "$1"
}
train() { # DATASET DATA_DIR OUT: a one-epoch run; stdout in $tmp/o, stderr in $tmp/e
  "$lb" train --model mlp --dataset "$1" --data-dir "$2" --epochs 1 --batch 8 --out "$3" \
    > "$tmp/o" 2> "$tmp/e"
}
has() { grep -qF -- "$1" "$tmp/e" && ok || bad "$2: stderr lacks '$1': $(head -c 300 "$tmp/e")"; }
hasnt() { grep -qF -- "$1" "$tmp/e" && bad "$2: stderr says '$1': $(head -c 300 "$tmp/e")" || ok; }

# IDX: 28x28 training images, 12x12 test images
d=$tmp/mismatch
mkdir -p "$d"
idx_images "$d/train-images-idx3-ubyte" 16 28 28
idx_labels "$d/train-labels-idx1-ubyte" 16
idx_images "$d/t10k-images-idx3-ubyte" 8 12 12
idx_labels "$d/t10k-labels-idx1-ubyte" 8
train mnist "$d" "$tmp/m.h5"
check_usage_error $? "IDX train/test sizes" "$tmp/m.h5"
has "$d/t10k-images-idx3-ubyte" "IDX sizes: test file"
has "$d/train-images-idx3-ubyte" "IDX sizes: training file"
has "12x12" "IDX sizes: test size"
has "28x28" "IDX sizes: training size"

# IDX: the training image path is a directory
d=$tmp/idxdir
mkdir -p "$d/train-images-idx3-ubyte"
idx_labels "$d/train-labels-idx1-ubyte" 16
idx_images "$d/t10k-images-idx3-ubyte" 8 28 28
idx_labels "$d/t10k-labels-idx1-ubyte" 8
train mnist "$d" "$tmp/i.h5"
check_usage_error $? "IDX path is a directory" "$tmp/i.h5"
has "$d/train-images-idx3-ubyte: is a directory" "IDX directory"
hasnt "gzip" "IDX directory"

# CIFAR-10: data_batch_1.bin is a directory
d=$tmp/cifardir
mkdir -p "$d/data_batch_1.bin"
train cifar10 "$d" "$tmp/c.h5"
check_usage_error $? "CIFAR batch is a directory" "$tmp/c.h5"
has "$d/data_batch_1.bin: is a directory" "CIFAR directory"
hasnt "9223372036854775807" "CIFAR directory"

# synthetic: the key that is out of range is named
train synthetic:classes=3,n=64,test=0,size=8 "$tmp" "$tmp/s.h5"
check_usage_error $? "synthetic test=0" "$tmp/s.h5"
has "test=0" "synthetic test=0"
train synthetic:classes=3,n=0,size=8 "$tmp" "$tmp/s.h5"
check_usage_error $? "synthetic n=0" "$tmp/s.h5"
has "n=0" "synthetic n=0"

# `lowbit datasets --check` (what the workflow runs before any job): every name, parameter or
# path it rejects, train rejects with the same message; names train accepts, it accepts
reject_both() { # NAME DIR: exit 2 and one line from both, the check's message in train's
  "$lb" datasets --check "$1" --data-dir "$2" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "datasets --check $1"
  local msg
  msg=$(sed 's/^lowbit: datasets: //' "$tmp/e")
  [[ -n $msg ]] || bad "datasets --check $1: no message"
  train "$1" "$2" "$tmp/r.h5"
  check_usage_error $? "train --dataset $1" "$tmp/r.h5"
  has "$msg" "train --dataset $1 (the check's message)"
}
reject_both fashion-mnists "$tmp"
reject_both fashion-mnist-pairs:n=0 "$tmp"
reject_both synthetic:classes=1 "$tmp"
reject_both synthetic:clases=3 "$tmp"
reject_both cifar10 "$tmp/nodir"
reject_both mnist "$tmp/nodir"
reject_both "hdf5:$tmp/none.h5" "$tmp"
reject_both "hdf5:" "$tmp"
reject_both mnist-pairs:n=10 "$tmp/nodir"
# a directory without the IDX files: the first missing file is named
reject_both mnist "$tmp"
# --names-only: the same name and parameter errors, no path checked
"$lb" datasets --check cifar10 --data-dir "$tmp/nodir" --names-only > "$tmp/o" 2> "$tmp/e" \
  && grep -qx "cifar10: ok" "$tmp/o" && ok || bad "--names-only checked the path: $(cat "$tmp/e")"
"$lb" datasets --check synthetic:classes=1 --names-only > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "--names-only synthetic:classes=1"
"$lb" datasets --check mnist --names-only > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "--names-only mnist without a directory"
for name in synthetic synthetic:classes=3,n=50 fashion-mnist "fashion-mnist-pairs:n=100,test=50"; do
  [[ $name == fashion* && ! -e $data/train-images-idx3-ubyte.gz ]] && continue
  "$lb" datasets --check "$name" > "$tmp/o" 2> "$tmp/e" && grep -qxF "$name: ok" "$tmp/o" \
    && [[ ! -s "$tmp/e" ]] && ok || bad "datasets --check $name refused: $(cat "$tmp/e")"
done
"$lb" datasets > "$tmp/o" 2> "$tmp/e" && grep -q "fashion-mnist-pairs" "$tmp/o" && ok \
  || bad "datasets: no list"
"$lb" datasets --check > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "datasets --check without a name"
"$lb" datasets --data-dir /tmp > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "datasets --data-dir without --check"

summary test_data_errors
