#!/usr/bin/env python3
"""PyTorch peer of `lowbit train`: the same model, data, normalisation, batch, optimizer,
schedule and number of threads, for side-by-side timing and accuracy (Debian python3-torch).

    /usr/bin/python3 experiments/peers/pytorch_baseline.py --model lenet5 --epochs 3 \
        --threads 2 --out peer.csv

Prints one line per epoch like lowbit and writes a CSV (epoch, train_loss, train_acc,
test_loss, test_acc, seconds). Timing covers the same work as lowbit's epoch: one pass of
training and the test-set evaluation. BLIS (PyTorch's BLAS on Debian) gets the same
BLIS_ARCH_TYPE lowbit chooses and BLIS_NUM_THREADS = --threads, so the comparison is fair.
The data are scaled and normalised as lowbit does (bytes x float32(1/255), then
(x - float32(mean)) x float32(1/std)), so the inputs are bit-identical.

Cross-validation of lowbit's training engine (--lowbit-roles W A E G: four format specs of
`lowbit formats`, fp32 = off; the workflow passes a recipe's W, A, E, G): every Conv2d and
Linear becomes lowbit.torch's QuantConv2d / QuantLinear (python/lowbit, which loads liblowbit:
LOWBIT_LIBRARY, else <repo>/build/lib) with the placement of `lowbit train`
(lib/src/nn/linear.c, conv2d.c, train.c):
    W  the weight before the forward GEMM (and the same Q_W(W) in the backward-data GEMM)
    A  the layer input (for the network's first layer, the images) before the forward GEMM,
       and the same Q_A(x) in the weight-gradient GEMM
    E  the gradient of the layer output (GEMM + bias) before both backward GEMMs and the bias
       gradient
    G  the summed weight gradient and the bias gradient of each layer, before the optimizer
       (the bias gradient by a tensor hook: QuantLinear leaves the bias in float32)
Rounding is each format's own (as `lowbit train`); stochastic rounding is keyed as in the C
engine: seed = --seed, tensor 4·(lowbit layer index) + role (lowbit counts ReLU and pooling
layers, not Flatten), step = the global training step (the evaluation after an epoch uses the
step count reached). What does not match bit for bit: every float32 sum (PyTorch's convolution
and GEMM kernels against lowbit's im2col and BLIS loops), so an operand that lands within
rounding error of a midpoint of the low-precision grid can round the other way; the shuffle
(torch.randperm against lowbit's counter-based shuffle) and the initial weights (torch's
generator against lowbit's; --init-weights takes lowbit's from `lowbit train --save-weights`),
so multi-epoch runs agree in distribution, not per step; block formats (MX, MLS), whose blocks
lowbit lays along the channel axis while lowbit.torch quantizes flat, are refused.
--init-weights W.npy and --save-weights W.npy use the layout of `lowbit train --save-weights`:
float32 (2, parameters), initial then trained, each layer's weight then bias in layer order."""
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
    ap.add_argument("--lowbit-roles", nargs=4, metavar=("W", "A", "E", "G"),
                    help="quantize the four roles with lowbit formats (fp32 = off)")
    ap.add_argument("--init-weights", help="start from row 0 of a `lowbit train "
                    "--save-weights` file (the same model)")
    ap.add_argument("--save-weights", help="write the initial and trained parameters (.npy)")
    return ap.parse_args()


def die(msg):
    """Bad input: one line naming what and where, exit 2."""
    print(f"pytorch_baseline: {msg}", file=sys.stderr)
    sys.exit(2)


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
        die(f"{path}[.gz]: no such file")
    m = struct.unpack(">I", data[:4])[0]
    if m != magic:
        die(f"{path}: bad IDX magic")
    if magic == 0x803:
        n, h, w = struct.unpack(">III", data[4:16])
        return np.frombuffer(data[16:], np.uint8).reshape(n, 1, h, w)
    return np.frombuffer(data[8:], np.uint8).astype(np.int64)


def load(split):
    x = read_idx(f"{args.data_dir}/{split}-images-idx3-ubyte", 0x803) * np.float32(1 / 255)
    y = read_idx(f"{args.data_dir}/{split}-labels-idx1-ubyte", 0x801)
    return x, y


xtr, ytr = load("train")
xte, yte = load("t10k")
if args.train_subset:
    xtr, ytr = xtr[: args.train_subset], ytr[: args.train_subset]
if args.test_subset:
    xte, yte = xte[: args.test_subset], yte[: args.test_subset]
mean, std = float(xtr.mean(dtype=np.float64)), float(xtr.std(dtype=np.float64))
m32, inv32 = np.float32(mean), np.float32(1 / std)
xtr = torch.from_numpy((xtr - m32) * inv32)
xte = torch.from_numpy((xte - m32) * inv32)
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


def lowbit_roles(model, specs, seed):
    """model with each Conv2d / Linear replaced by lowbit.torch's layer quantizing the roles
    (module docstring); the same parameters."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "python"))
    try:
        import lowbit
        import lowbit.torch as lt
    except (ImportError, OSError) as e:
        die(f"--lowbit-roles: the lowbit Python package: {e}")
    fmts = {}
    for role, spec in zip("WAEG", specs):
        try:
            f = lowbit.Format(spec)
        except Exception as e:
            die(f"--lowbit-roles {role} '{spec}': {e}")
        if f.block:
            die(f"--lowbit-roles {role} '{spec}': block formats are not supported here")
        fmts[role.lower()] = None if spec == "fp32" else spec
    layers, skipped = [], 0
    for i, m in enumerate(model):
        if isinstance(m, nn.Flatten):  # lowbit's layers read the flattened input directly
            skipped += 1
        lid = i - skipped  # the layer's index in lowbit's model (its SR tensor ids)
        kw = dict(fmts, seed=seed, layer_id=lid)
        if isinstance(m, nn.Linear):
            q = lt.QuantLinear(m.in_features, m.out_features, **kw)
        elif isinstance(m, nn.Conv2d):
            q = lt.QuantConv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                               **kw)
        else:
            layers.append(m)
            continue
        with torch.no_grad():
            q.weight.copy_(m.weight), q.bias.copy_(m.bias)
        if fmts["g"]:  # G on the bias gradient too, keyed as lowbit keys it (the weight's key)
            q.bias.register_hook(lambda g, q=q: lt._q(g, q.roles["g"], *q._key("g")))
        layers.append(q)
    return nn.Sequential(*layers), lt.set_step


def params_of(model):
    return [p for m in model if isinstance(m, (nn.Linear, nn.Conv2d)) for p in (m.weight, m.bias)]


def flat(model):
    return torch.cat([p.detach().reshape(-1) for p in params_of(model)]).numpy()


set_step = None
if args.lowbit_roles:
    model, set_step = lowbit_roles(model, args.lowbit_roles, args.seed)
if args.init_weights:
    try:
        w = np.load(args.init_weights)
    except (OSError, ValueError) as e:
        die(f"--init-weights {args.init_weights}: {e}")
    n = sum(p.numel() for p in params_of(model))
    if w.dtype != np.float32 or w.ndim not in (1, 2) or w.shape[-1] != n:
        die(f"--init-weights {args.init_weights}: {w.dtype} {w.shape}, not float32 (2, {n}) "
            f"of {args.model}")
    w = torch.from_numpy(np.ascontiguousarray(w.reshape(-1, n)[0]))
    with torch.no_grad():
        k = 0
        for p in params_of(model):
            p.copy_(w[k: k + p.numel()].view_as(p))
            k += p.numel()
init = flat(model)
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
step = 0
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
        if set_step:
            set_step(model, step)
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = lossf(out, yb)
        loss.backward()
        opt.step()
        tot += loss.item() * len(idx)
        hits += (out.argmax(1) == yb).sum().item()
        step += 1
    model.eval()
    if set_step:
        set_step(model, step)
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
if args.save_weights:
    np.save(args.save_weights, np.stack([init, flat(model)]))
if args.out:
    with open(args.out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
