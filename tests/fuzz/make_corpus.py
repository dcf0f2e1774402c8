#!/usr/bin/python3
"""tests/fuzz/make_corpus.py [HARNESS...] — write the seed corpus tests/fuzz/corpus/<harness>/
deterministically (no randomness, fixed gzip mtime): small valid inputs and one of each kind
of invalid input per harness. Files found by fuzzing (crash-*, and other inputs kept by hand)
live beside the seeds and are left alone; seeds are named seed-*. Run with Debian's python3
(h5py, numpy) after changing a layout; the output is committed so that `make test` replays it
without Python or clang."""
import gzip
import io
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
SRC = os.path.dirname(os.path.dirname(HERE))


def gz(b):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as f:
        f.write(b)
    return out.getvalue()


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# ---- IDX ---------------------------------------------------------------------------------
def idx_images(n, r, c, magic=0x803):
    return struct.pack(">IIII", magic, n, r, c) + bytes((i * 7) % 256 for i in range(n * r * c))


def idx_labels(n, magic=0x801, classes=10):
    return struct.pack(">II", magic, n) + bytes(i % classes for i in range(n))


def corpus_idx():
    S = b"IDX~"
    img, lab = idx_images(4, 3, 2), idx_labels(4)
    put("idx", "one-part", b"\x00" + img)
    put("idx", "pair", b"\x00" + img + S + lab)
    put("idx", "pair-gzflags", b"\x03" + img + S + lab)
    put("idx", "pair-gzdata", b"\x00" + gz(img) + S + gz(lab))
    put("idx", "bad-magic", b"\x00" + idx_images(4, 3, 2, magic=0x802) + S + lab)
    put("idx", "truncated", b"\x00" + img[:-3] + S + lab)
    put("idx", "trailing", b"\x00" + img + b"xyz" + S + lab)
    put("idx", "count-mismatch", b"\x00" + img + S + idx_labels(3))
    put("idx", "huge-n", b"\x00" + struct.pack(">IIII", 0x803, 0x7FFFFFFF, 28, 28) + S + lab)
    put("idx", "zero-rows", b"\x00" + struct.pack(">IIII", 0x803, 4, 0, 2) + S + lab)
    put("idx", "label-range", b"\x00" + img + S + struct.pack(">II", 0x801, 4) + b"\x00\x01\x02\x0a")
    put("idx", "classes-16", b"\x10" + img + S + idx_labels(4, classes=16))
    put("idx", "short-header", b"\x00" + img[:10] + S + lab)
    put("idx", "corrupt-gz", b"\x00" + gz(img)[:-6] + b"\x00\x01\x02\x03\x04\x05" + S + lab)
    four = [idx_images(4, 3, 2), idx_labels(4), idx_images(2, 3, 2), idx_labels(2)]
    put("idx", "mnist-pair", b"\x00" + S.join(four))
    put("idx", "mnist-pair-gz", b"\x0f" + S.join(four))
    four[2] = idx_images(2, 2, 2)
    put("idx", "mnist-size-mismatch", b"\x00" + S.join(four))


# ---- CIFAR -------------------------------------------------------------------------------
def cifar_records(n, label_bytes=1, bad_label=None):
    out = b""
    for i in range(n):
        lab = bytes([i % 20, i % 100]) if label_bytes == 2 else bytes([i % 10])
        if bad_label is not None and i == n - 1:
            lab = lab[:-1] + bytes([bad_label])
        out += lab + bytes((i + k) % 256 for k in range(3072))
    return out


def corpus_cifar():
    S = b"CIF~"
    c10 = [cifar_records(1) for _ in range(6)]
    put("cifar", "c10", b"\x00" + S.join(c10))
    put("cifar", "c10-subdir", b"\x02" + S.join(c10))
    put("cifar", "c10-truncated", b"\x00" + S.join(c10[:5] + [c10[5][:-1]]))
    put("cifar", "c10-empty", b"\x00" + S.join(c10[:2] + [b""] + c10[3:]))
    put("cifar", "c10-missing", b"\x00" + S.join(c10[:3]))
    put("cifar", "c10-label", b"\x00" + S.join(c10[:5] + [cifar_records(2, bad_label=10)]))
    put("cifar", "c10-dir", b"\x00" + S.join([b"DIR"] + c10[1:]))
    put("cifar", "c100", b"\x01" + S.join([cifar_records(2, 2), cifar_records(1, 2)]))
    put("cifar", "c100-coarse", b"\x01" + S.join([bytes([20, 5]) + bytes(3072), cifar_records(1, 2)]))
    put("cifar", "c100-fine", b"\x01" + S.join([cifar_records(1, 2, bad_label=100), cifar_records(1, 2)]))


# ---- HDF5 data set -----------------------------------------------------------------------
def h5bytes(build):
    import h5py
    buf = io.BytesIO()
    with h5py.File(buf, "w", libver="earliest") as f:
        build(f)
    return buf.getvalue()


def h5_dataset(n=3, m=2, shape=(1, 4, 4), test_shape=None, classes=3, labels=None,
               ltype="i8", itype="u1", attr=True, rank4=True):
    import numpy as np

    def build(f):
        if attr is not None and attr is not False:
            f.attrs["num_classes"] = classes if attr is True else attr
        for split, k, shp in (("train", n, shape), ("test", m, test_shape or shape)):
            g = f.create_group(split)
            x = (np.arange(k * int(np.prod(shp))) % 256).astype(itype).reshape((k,) + shp)
            g["images"] = x if rank4 else x.reshape(k, -1)
            y = np.arange(k) % classes if labels is None else np.array(labels[:k])
            g["labels"] = y.astype(ltype)
    return h5bytes(build)


def corpus_hdf5():
    import numpy as np
    put("hdf5", "good", h5_dataset())
    put("hdf5", "good-rgb-u8labels", h5_dataset(shape=(3, 2, 2), ltype="u1"))
    put("hdf5", "no-attr", h5_dataset(attr=None))
    put("hdf5", "attr-float", h5_dataset(attr=np.float64(3.5)))
    put("hdf5", "classes-1", h5_dataset(classes=1, attr=1))
    put("hdf5", "shape-mismatch", h5_dataset(test_shape=(1, 2, 2)))
    put("hdf5", "rank2", h5_dataset(rank4=False))
    put("hdf5", "float-pixels", h5_dataset(itype="f4"))
    put("hdf5", "label-range", h5_dataset(labels=[0, 1, 7]))
    put("hdf5", "label-negative", h5_dataset(labels=[0, -1, 2], ltype="i4"))
    put("hdf5", "channels-5", h5_dataset(shape=(5, 1, 1)))

    def count_mismatch(f):
        f.attrs["num_classes"] = 3
        for split in ("train", "test"):
            f[split + "/images"] = np.zeros((2, 1, 2, 2), "u1")
            f[split + "/labels"] = np.zeros(3, "i8")
    put("hdf5", "count-mismatch", h5bytes(count_mismatch))
    put("hdf5", "not-hdf5", b"\x89HDF\r\n\x1a\nnot really")


# ---- format, MAC and GEMM spec strings ----------------------------------------------------
def corpus_format_spec():
    specs = ["fp32", "bf16", "fp16", "fp8_e4m3", "fp8_e5m2", "fp:e=4,m=3,bias=7",
             "fp:e=5,m=2,inf=no,nan=no", "fx8", "fx:bits=8,frac=4", "int8", "int:bits=4",
             "lns8", "lns:bits=13,frac=5", "lns:bits=16,frac=10,zero=flag", "mxfp4_e2m1",
             "mxfp8_e4m3", "mls:e=2,m=1,group=8", "fp8_e4m3:round=sr", "int8:scale=channel",
             "mac:fp,e=4,m=3", "mac:int,bits=8", "mac:lns-binned,bits=8,frac=3",
             "mac:lns-pwl,bits=16,frac=10", "mac:lns-lut,bits=12,frac=4",
             "mac:mls,e=2,m=1,group=8,gbits=8", "mac:mls,e=2,m=1,group=0,gbits=8", "mac:mx,e=2,m=1",
             "", "fp:", "fp:e=0,m=0", "fp:e=99,m=99", "int:bits=-1", "lns:bits=13,frac=13",
             "fp8_e4m3:round=bogus", "fp:e=4,m=3,e=5", "rne", "sr"]
    for i, sp in enumerate(specs):
        put("format_spec", "%02d" % i, sp)


def corpus_dataset_name():
    names = ["fashion-mnist", "mnist", "cifar10", "cifar100", "hdf5:data.h5", "hdf5:",
             "hdf5:/abs/path.h5", "fashion-mnist-pairs", "fashion-mnist-pairs:n=100,test=50,seed=3",
             "mnist-pairs:n=0", "fashion-mnist-pairs:n=1,,test=2", "fashion-mnist-pairsx",
             "synthetic", "synthetic:classes=100,n=5000,test=100,size=8,noise=1.5,seed=2",
             "synthetic:clases=3", "synthetic:noise=1e999", "synthetic:classes=-1", "synthetic:",
             "nope", ""]
    for i, n in enumerate(names):
        put("dataset_name", "%02d" % i, n)


def corpus_gemm_spec():
    specs = ["fp32", "lns-pwl", "lns-lut", "lns-exactadd", "lns-pwl:bits=13,frac=5",
             "lns-pwl-ref", "lns-madam", "lns-madam:bits=8,gamma=8", "mls", "mls:e=2,m=1",
             "lns-pwl:dhist=1", "lns-pwl:table=generic", "fp32:x=1", "nosuch", "", "lns-pwl:bits=99",
             "lns-lut:frac=0", "mls:group=0"]
    for i, sp in enumerate(specs):
        put("gemm_spec", "%02d" % i, sp)


# ---- quantize's text input ----------------------------------------------------------------
def corpus_quantize_text():
    texts = ["1\n2.5\n-3e-2\n", "0\n", "  7  \n\n\t-0\n", "1e39\n-1e39\n1e-50\n",
             "inf\n-inf\nnan\n", "0x1p-3\n", "abc\n", "1.5x\n", "", "\n\n", "3.4028235e38",
             "1\r\n2\r\n"]
    for i, t in enumerate(texts):
        for fmt in ("fp8_e4m3", "int8", "mxfp4_e2m1", "lns:bits=13,frac=5"):
            put("quantize_text", "%02d-%s" % (i, fmt.split(":")[0]), fmt + "\n" + t)


# ---- energy unit table, PWL tables, /ops --------------------------------------------------
def corpus_units():
    good = open(os.path.join(SRC, "energy_model/units/horowitz45.csv"), "rb").read()
    put("units", "horowitz45", good)
    lines = good.decode().splitlines()
    put("units", "header-only", lines[0] + "\n")
    put("units", "bad-header", "prim,bits\n" + "\n".join(lines[1:]) + "\n")
    put("units", "missing-required", "\n".join(l for l in lines if not l.startswith("mux2")) + "\n")
    put("units", "nan-energy", "\n".join(lines) + "\nint_add,64,nan,1,45,x\n")
    put("units", "negative-energy", "\n".join(lines) + "\nint_mult,64,-5,1,45,x\n")
    put("units", "zero-bits", "\n".join(lines) + "\nint_add,0,1,1,45,x\n")
    put("units", "short-row", "\n".join(lines) + "\nreg,1\n")
    put("units", "empty", "")
    put("units", "inf-energy", "\n".join(lines) + "\nint_add,64,inf,1,45,x\n")
    put("units", "negative-area", "\n".join(lines) + "\nint_mult,64,5,-1,45,x\n")
    put("units", "inf-bits", "\n".join(lines) + "\nreg,inf,1,1,45,x\n")
    put("units", "empty-energy", "\n".join(lines) + "\nint_add,64,,36,45,x\n")


def corpus_pwl():
    src = open(os.path.join(SRC, "experiments/data/qaa_lns_pwl_tables.csv")).read().splitlines()
    header = "config,function,segment,breakpoint,shift,intercept"
    body = [l for l in src if l and not l.startswith("#") and l != header]
    cfgs = []
    for l in body:
        c = l.split(",")[0]
        if c not in cfgs:
            cfgs.append(c)
    for c in cfgs:
        rows = [l for l in body if l.split(",")[0] == c]
        put("pwl", "table-" + c.replace("/", "_"), header + "\n" + "\n".join(rows) + "\n")
    one = [l for l in body if l.split(",")[0] == cfgs[0]]

    def patch(col, value, row=0):
        r = one[row].split(",")
        r[col] = value
        return header + "\n" + "\n".join([",".join(r)] + one[:row] + one[row + 1:]) + "\n"
    put("pwl", "negative-shift", patch(4, "-40"))
    put("pwl", "nan-intercept", patch(5, "nan"))
    put("pwl", "inf-intercept", patch(5, "inf"))
    put("pwl", "huge-intercept", patch(5, "1e300"))
    put("pwl", "nan-breakpoint", patch(3, "nan"))
    put("pwl", "negative-breakpoint", patch(3, "-1"))
    put("pwl", "no-minus", header + "\n" + "\n".join(l for l in one if "delta_plus" in l) + "\n")
    put("pwl", "bad-header", "config,function\n" + "\n".join(one) + "\n")


def corpus_ops():
    rows = ["fc1,forward,200704,fp32,fp32,1024,802816,1024,1",
            "fc1,backward_data,200704,fp32,fp32,1024,802816,3136,1",
            "fc1,backward_weight,200704,fp32,fp32,3136,1024,802816,1"]
    put("ops", "fp32", "\n".join(rows) + "\n")
    put("ops", "overrides", "!bf16,fp8_e4m3,fp8_e5m2,24\n" + "\n".join(rows) + "\n")
    put("ops", "lns", "!lns:bits=16,frac=10,zero=flag,lns:bits=16,frac=10,zero=flag,,0\n" + rows[0] + "\n")
    put("ops", "mx", "\n".join(r.replace("fp32,fp32", "mxfp4_e2m1,mxfp8_e4m3") for r in rows) + "\n")
    put("ops", "bad-format", "fc1,forward,10,nosuch,fp32,4,4,4,1\n")
    put("ops", "negative-macs", "fc1,forward,-10,fp32,fp32,4,4,4,1\n")
    put("ops", "negative-bytes", "fc1,forward,10,fp32,fp32,-4,4,4,1\n")
    put("ops", "bad-pass", "fc1,sideways,10,fp32,fp32,4,4,4,1\n")
    import numpy as np
    import h5py

    def build(f, n=3, drop=None):
        s = h5py.string_dtype()
        cols = {"layer": ["fc1"] * n, "pass": ["forward", "backward_data", "backward_weight"][:n],
                "fmt_a": ["fp32"] * n, "fmt_b": ["bf16"] * n}
        for k, v in cols.items():
            if k != drop:
                f.create_dataset("ops/" + k, data=np.array(v, dtype=object), dtype=s)
        for k in ("macs", "bytes_a", "bytes_b", "bytes_out", "batch"):
            if k != drop:
                f["ops/" + k] = np.arange(1, n + 1, dtype="i8") * 100
    put("ops", "h5-good", h5bytes(build))
    put("ops", "h5-no-macs", h5bytes(lambda f: build(f, drop="macs")))
    put("ops", "h5-empty", h5bytes(lambda f: build(f, n=0)))


# ---- checkpoints (lib/src/io/checkpoint.h) --------------------------------------------------
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def ckpt_payload(fp=b"fuzz-run", done=2, first=0, step=None, rows=None, counters=(5, 6, 7),
                 arrays=(16, 5)):
    """The checkpoint layout without its trailing CRC, for fuzz_checkpoint's expectations
    (4 epochs of 3 steps, 3 counters, arrays of 16 and 5 floats)."""
    step = (3 * done if step is None else step) % 2**64
    rows = [[i + 1, 0.5, 0.9, 0.6, 0.8, 1.5, 0, 0] for i in range(done)] if rows is None else rows
    out = b"LBCKPT02" + struct.pack("<I", len(fp)) + fp + struct.pack("<iiQI", done, first, step, len(rows))
    for r in rows:
        out += struct.pack("<8d", *r)
    out += struct.pack("<Q", len(counters)) + struct.pack("<%dQ" % len(counters), *counters)
    out += struct.pack("<I", len(arrays))
    for n in arrays:
        out += struct.pack("<Q", n) + struct.pack("<%df" % n, *[0.25 * k for k in range(n)])
    return out


def corpus_checkpoint():
    good = ckpt_payload()
    put("checkpoint", "good", b"\x00" + good + struct.pack("<I", crc32c(good)))
    put("checkpoint", "good-fixcrc", b"\x01" + good)
    put("checkpoint", "zero-epochs", b"\x01" + ckpt_payload(done=0))
    put("checkpoint", "all-epochs", b"\x01" + ckpt_payload(done=4))
    put("checkpoint", "bad-crc", b"\x00" + good + struct.pack("<I", crc32c(good) ^ 1))
    put("checkpoint", "other-fingerprint", b"\x01" + ckpt_payload(fp=b"other-run"))
    put("checkpoint", "epochs-negative", b"\x01" + ckpt_payload(done=-5, rows=[]))
    put("checkpoint", "epochs-2000", b"\x01" + ckpt_payload(done=2000, rows=[]))
    put("checkpoint", "epochs-intmax", b"\x01" + ckpt_payload(done=2**31 - 1, rows=[]))
    put("checkpoint", "step-mismatch", b"\x01" + ckpt_payload(step=5))
    put("checkpoint", "nan-row", b"\x01" + ckpt_payload(rows=[[1, float("nan"), 0, 0, 0, 0, 0, 0], [2] + [0] * 7]))
    put("checkpoint", "rows-out-of-order", b"\x01" + ckpt_payload(rows=[[2] + [0] * 7, [1] + [0] * 7]))
    put("checkpoint", "counters-4", b"\x01" + ckpt_payload(counters=(1, 2, 3, 4)))
    put("checkpoint", "array-size", b"\x01" + ckpt_payload(arrays=(16, 6)))
    put("checkpoint", "truncated", b"\x01" + good[:-7])
    put("checkpoint", "trailing", b"\x01" + good + b"xyz")
    put("checkpoint", "empty", b"\x00")


# ---- result-file seals (lowbit/results.h) --------------------------------------------------
def corpus_seal():
    import zlib

    def sealed(body, form=b"lowbit-results 1\ncrc32 %08x\nsize %d\n", pad=b""):
        """body after a 512-byte block: form filled with the body's CRC-32 and size, then pad"""
        return (form % (zlib.crc32(body), len(body)) + pad).ljust(512, b"\0")[:512] + body

    body = h5bytes(lambda f: f.create_dataset("epochs/test_acc", data=[0.5, 0.75]))
    put("seal", "good", sealed(body))
    put("seal", "good-empty-body", sealed(b""))
    put("seal", "bad-crc", sealed(body)[:600] + bytes([body[88] ^ 1]) + sealed(body)[601:])
    put("seal", "truncated", sealed(body)[:-1])
    put("seal", "appended", sealed(body) + b"x")
    put("seal", "upper-hex", sealed(body, b"lowbit-results 1\ncrc32 %08X\nsize %d\n"))
    put("seal", "two-spaces", sealed(body, b"lowbit-results 1\ncrc32  %08x\nsize %d\n"))
    put("seal", "signed-size", sealed(body, b"lowbit-results 1\ncrc32 %08x\nsize +%d\n"))
    put("seal", "padding-byte", sealed(body, pad=b"\0" * 100 + b"x"))
    put("seal", "crc33", sealed(body).replace(b"crc32 ", b"crc33 ", 1))
    put("seal", "no-seal", body)
    put("seal", "short-magic", b"lowbit-results 1\ncrc32 00000000\nsize 0\n")
    put("seal", "empty", b"")


CORPORA = {"checkpoint": corpus_checkpoint, "idx": corpus_idx, "cifar": corpus_cifar, "hdf5": corpus_hdf5,
           "format_spec": corpus_format_spec, "gemm_spec": corpus_gemm_spec,
           "quantize_text": corpus_quantize_text, "units": corpus_units, "pwl": corpus_pwl,
           "ops": corpus_ops, "dataset_name": corpus_dataset_name, "seal": corpus_seal}

if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(CORPORA):
        CORPORA[name]()
