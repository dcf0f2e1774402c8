#!/usr/bin/env python3
"""PyTorch peer of `lowbit train`: the same model, data, normalisation, batch, optimizer,
schedule and number of threads, for side-by-side timing and accuracy (Debian python3-torch).

    /usr/bin/python3 experiments/peers/pytorch_baseline.py --model lenet5 --epochs 3 \
        --threads 2 --out peer.csv

Prints one line per epoch like lowbit and writes a CSV (epoch, train_loss, train_acc,
test_loss, test_acc, seconds). Timing covers the same work as lowbit's epoch: one pass of
training and the test-set evaluation. BLIS (PyTorch's BLAS on Debian) gets the same
BLIS_ARCH_TYPE lowbit chooses and BLIS_NUM_THREADS = --threads, so the comparison is fair."""
import argparse
import csv
import gzip
import os
import struct
import sys
import time


def blis_arch_from_cpu():
    """The kernel choice lowbit makes (lib/src/core/info.c), from /proc/cpuinfo flags."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return None
    if " avx512f" in flags:
        return "0"
    if " avx2" in flags and " fma" in flags:
        return "3"
    return None


def parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="mlp", choices=["mlp", "lenet5"])
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--schedule", default="constant", choices=["constant", "step", "cosine"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hidden", default="256,256")
    ap.add_argument("--train-subset", type=int, default=0)
    ap.add_argument("--test-subset", type=int, default=0)
    ap.add_argument("--out", help="CSV of per-epoch results")
    return ap.parse_args()


args = parse()
# Before torch (and BLIS) load: same kernels and threads as lowbit.
if "BLIS_ARCH_TYPE" not in os.environ and blis_arch_from_cpu() is not None:
    os.environ["BLIS_ARCH_TYPE"] = blis_arch_from_cpu()
os.environ.setdefault("BLIS_NUM_THREADS", str(args.threads))
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def read_idx(path, magic):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            with (gzip.open if p.endswith(".gz") else open)(p, "rb") as fh:
                data = fh.read()
            break
    else:
        sys.exit(f"pytorch_baseline: {path}[.gz]: no such file")
    m = struct.unpack(">I", data[:4])[0]
    if m != magic:
        sys.exit(f"pytorch_baseline: {path}: bad IDX magic")
    if magic == 0x803:
        n, h, w = struct.unpack(">III", data[4:16])
        return np.frombuffer(data[16:], np.uint8).reshape(n, 1, h, w)
    return np.frombuffer(data[8:], np.uint8).astype(np.int64)


def load(split):
    x = read_idx(f"{args.data_dir}/{split}-images-idx3-ubyte", 0x803).astype(np.float32) / 255
    y = read_idx(f"{args.data_dir}/{split}-labels-idx1-ubyte", 0x801)
    return x, y


xtr, ytr = load("train")
xte, yte = load("t10k")
if args.train_subset:
    xtr, ytr = xtr[: args.train_subset], ytr[: args.train_subset]
if args.test_subset:
    xte, yte = xte[: args.test_subset], yte[: args.test_subset]
mean, std = float(xtr.mean(dtype=np.float64)), float(xtr.std(dtype=np.float64))
xtr = torch.from_numpy((xtr - mean) / std)
xte = torch.from_numpy((xte - mean) / std)
ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)

torch.manual_seed(args.seed)
torch.set_num_threads(args.threads)
h1, h2 = (int(v) for v in (args.hidden.split(",") * 2)[:2])
if args.model == "mlp":
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, h1), nn.ReLU(), nn.Linear(h1, h2),
                          nn.ReLU(), nn.Linear(h2, 10))
else:
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                      weight_decay=args.weight_decay)
lossf = nn.CrossEntropyLoss()


def lr_at(e):
    if args.schedule == "step":
        return args.lr * (0.01 if e >= 3 * args.epochs // 4 else 0.1 if e >= args.epochs // 2 else 1)
    if args.schedule == "cosine":
        return 0.5 * args.lr * (1 + np.cos(np.pi * e / args.epochs))
    return args.lr


rows = []
g = torch.Generator().manual_seed(args.seed)
for epoch in range(args.epochs):
    t0 = time.perf_counter()
    for group in opt.param_groups:
        group["lr"] = lr_at(epoch)
    model.train()
    perm = torch.randperm(len(ytr), generator=g)
    tot, hits = 0.0, 0
    for i in range(0, len(ytr), args.batch):
        idx = perm[i: i + args.batch]
        xb, yb = xtr[idx], ytr[idx]
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = lossf(out, yb)
        loss.backward()
        opt.step()
        tot += loss.item() * len(idx)
        hits += (out.argmax(1) == yb).sum().item()
    model.eval()
    with torch.no_grad():
        tl, th = 0.0, 0
        for i in range(0, len(yte), args.batch):
            out = model(xte[i: i + args.batch])
            tl += lossf(out, yte[i: i + args.batch]).item() * len(out)
            th += (out.argmax(1) == yte[i: i + args.batch]).sum().item()
    secs = time.perf_counter() - t0
    row = {"epoch": epoch + 1, "train_loss": tot / len(ytr), "train_acc": hits / len(ytr),
           "test_loss": tl / len(yte), "test_acc": th / len(yte), "seconds": secs}
    rows.append(row)
    print(f"epoch {epoch + 1}/{args.epochs}  train loss {row['train_loss']:.4f} acc "
          f"{100 * row['train_acc']:.2f}%  test loss {row['test_loss']:.4f} acc "
          f"{100 * row['test_acc']:.2f}%  {secs:.2f} s/epoch", flush=True)
if args.out:
    with open(args.out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
