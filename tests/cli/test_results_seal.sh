#!/usr/bin/env bash
# tests/cli/test_results_seal.sh LOWBIT — the seal of a result file (lowbit/results.h): the
# 512-byte HDF5 user block says "lowbit-results 1", the CRC-32 and the size of the bytes after
# it, as computed here independently with Python's zlib; h5py reads the file as before; a
# flipped byte, a truncation or a damaged seal makes `lowbit energy` and the workflow's reader
# (experiments/scripts/lbio.py open_results) refuse the file with exit 2 and one line before
# they parse it; an unsealed HDF5 file (another program's /ops table) is still costed by
# `lowbit energy`, but the workflow's reader refuses it.
set -u
lb=$1
source "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
src=${LOWBIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
run=$tmp/r.h5
"$lb" train --model mlp --hidden 8 --dataset synthetic:classes=3,n=64,test=32,size=8 \
  --epochs 2 --batch 16 --threads 1 --out "$run" > /dev/null 2> "$tmp/e" && ok \
  || bad "train: $(cat "$tmp/e")"

# the seal, recomputed here
$py - "$run" <<'PY' && ok || bad "the seal does not match the file (recomputed with zlib)"
import sys, zlib
b = open(sys.argv[1], "rb").read()
head = b[:512].rstrip(b"\0").decode()
lines = head.split("\n")
assert lines[0] == "lowbit-results 1", lines
f = dict(l.split(" ", 1) for l in lines[1:] if l)
assert int(f["size"]) == len(b) - 512, (f, len(b))
assert int(f["crc32"], 16) == zlib.crc32(b[512:]), f
assert b[512:520] == b"\x89HDF\r\n\x1a\n", b[512:520]  # the HDF5 signature after the block
PY
$py -c "
import sys, h5py
f = h5py.File(sys.argv[1], 'r')
assert f.userblock_size == 512 and len(f['epochs/test_acc']) == 2" "$run" && ok \
  || bad "h5py does not read the sealed file"
"$lb" energy "$run" > "$tmp/o" 2> "$tmp/e" && ok || bad "energy on the sealed file: $(cat "$tmp/e")"
PYTHONPATH=$src/experiments/scripts $py -c "
import sys, lbio
with lbio.open_results(sys.argv[1]) as f:
    assert len(f['epochs/test_acc']) == 2" "$run" && ok || bad "lbio.open_results on the sealed file"

refused() { # FILE WHAT MESSAGE: energy and lbio.open_results exit 2 with one line naming FILE
  "$lb" energy "$1" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "energy: $2"
  grep -qF -- "$1: $3" "$tmp/e" && ok || bad "energy: $2: $(cat "$tmp/e")"
  PYTHONPATH=$src/experiments/scripts $py -c "import sys, lbio; lbio.open_results(sys.argv[1])" \
    "$1" > "$tmp/o" 2> "$tmp/e"
  check_usage_error $? "open_results: $2"
  grep -qF -- "$1: $3" "$tmp/e" && ok || bad "open_results: $2: $(cat "$tmp/e")"
}
flip() { # SRC DST OFFSET: a copy with the byte at OFFSET inverted
  $py -c "
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); o = int(sys.argv[3]) % len(b)
b[o] ^= 0xff; open(sys.argv[2], 'wb').write(b)" "$1" "$2" "$3"
}
size=$(stat -c %s "$run")
flip "$run" "$tmp/flip_mid.h5" $((512 + (size - 512) / 2))
refused "$tmp/flip_mid.h5" "a byte flipped in the middle" "checksum mismatch"
flip "$run" "$tmp/flip_end.h5" $((size - 1))
refused "$tmp/flip_end.h5" "the last byte flipped" "checksum mismatch"
head -c $((size - 100)) "$run" > "$tmp/short.h5"
refused "$tmp/short.h5" "truncated" "checksum mismatch"
cp "$run" "$tmp/grown.h5" && printf 'x' >> "$tmp/grown.h5"
refused "$tmp/grown.h5" "a byte appended" "checksum mismatch"
$py -c "
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[17:23] = b'crc33 '
open(sys.argv[2], 'wb').write(b)" "$run" "$tmp/seal.h5"
refused "$tmp/seal.h5" "a damaged seal" "damaged seal"
# the same numbers in another form: only the block lowbit writes is a seal (a lenient parse
# took these), each refused by the C and the Python reader
reseal() { # DST PYTHON-EXPR: a copy whose user block is EXPR of (crc, size) of the bytes after it
  $py -c "
import sys, zlib
b = bytearray(open(sys.argv[1], 'rb').read()); crc, size = zlib.crc32(b[512:]), len(b) - 512
blk = eval(sys.argv[3]); b[:512] = blk.ljust(512, b'\0')[:512]
open(sys.argv[2], 'wb').write(b)" "$run" "$1" "$2"
}
reseal "$tmp/same.h5" "b'lowbit-results 1\\ncrc32 %08x\\nsize %d\\n' % (crc, size)"
"$lb" energy "$tmp/same.h5" > "$tmp/o" 2> "$tmp/e" && ok || bad "the block rewritten as lowbit writes it was refused: $(cat "$tmp/e")"
reseal "$tmp/upper.h5" "b'lowbit-results 1\\ncrc32 %08X\\nsize %d\\n' % (crc, size)"
refused "$tmp/upper.h5" "upper-case hex digits" "damaged seal"
reseal "$tmp/space.h5" "b'lowbit-results 1\\ncrc32  %08x\\nsize %d\\n' % (crc, size)"
refused "$tmp/space.h5" "a second space" "damaged seal"
reseal "$tmp/short_crc.h5" "b'lowbit-results 1\\ncrc32 %x\\nsize +%d\\n' % (crc, size)"
refused "$tmp/short_crc.h5" "a sign before the size" "damaged seal"
reseal "$tmp/pad.h5" "(b'lowbit-results 1\\ncrc32 %08x\\nsize %d\\n' % (crc, size)).ljust(300, b'\\0') + b'x'"
refused "$tmp/pad.h5" "a byte in the padding" "damaged seal"

# no seal (the user block zeroed): libhdf5 still reads it; energy costs it as another
# program's /ops table, the workflow's reader refuses it
$py -c "
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[:512] = bytes(512)
open(sys.argv[2], 'wb').write(b)" "$run" "$tmp/unsealed.h5"
"$lb" energy "$tmp/unsealed.h5" > "$tmp/o" 2> "$tmp/e" && ok \
  || bad "energy refused an unsealed file: $(cat "$tmp/e")"
PYTHONPATH=$src/experiments/scripts $py -c "import sys, lbio; lbio.open_results(sys.argv[1])" \
  "$tmp/unsealed.h5" > "$tmp/o" 2> "$tmp/e"
check_usage_error $? "open_results: unsealed"
grep -qF "not a sealed lowbit result file" "$tmp/e" && ok || bad "open_results unsealed: $(cat "$tmp/e")"

summary test_results_seal
