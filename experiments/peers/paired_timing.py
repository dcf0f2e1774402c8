#!/usr/bin/env python3
"""Paired timing for the training targets: lowbit FP32, PyTorch and lowbit BF16 (all roles)
one-epoch runs of one model, taken in turn, ROUNDS times, so that each ratio compares runs
made seconds apart (this machine's speed drifts by up to 25 % over minutes; runs made apart
cannot be compared).

    /usr/bin/python3 experiments/peers/paired_timing.py --model lenet5 --lowbit build/bin/lowbit \
        --rounds 3 --train-subset 20000 --pytorch --out pairs.csv

Each round runs `lowbit train` (FP32), then the PyTorch peer (with --pytorch), then `lowbit
train` with BF16 for every role, each for one epoch, and writes one row: round,
lowbit_fp32_s, pytorch_s, lowbit_bf16_s (seconds of that epoch as each program reports it in
its result file: training plus the test-set evaluation, start-up excluded), and the two
ratios. Progress goes to stderr. A failing run stops the script with its command and exit
status (exit 2), and the output is written only when every round finished."""
import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import lbio  # noqa: E402


def parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--lowbit", required=True, help="the lowbit executable")
    ap.add_argument("--model-flags", default="", help="extra lowbit flags (vgg: --width ...)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pytorch", action="store_true", help="also time the PyTorch peer")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-subset", type=int, default=0)
    ap.add_argument("--test-subset", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.rounds < 1:
        ap.error(f"--rounds {a.rounds}: must be at least 1")
    return a


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode:
        tail = p.stderr.strip().splitlines()[-1:] or ["(no message)"]
        print(f"paired_timing: {' '.join(cmd)}: exit {p.returncode}: {tail[0]}", file=sys.stderr)
        sys.exit(2)


def seconds(value, what):
    """An epoch's seconds as a program reported them: finite and positive, else exit 2."""
    try:
        t = float(value)
    except (TypeError, ValueError):
        t = math.nan
    if not (math.isfinite(t) and t > 0):
        print(f"paired_timing: {what}: epoch seconds {value!r}, expected a finite number > 0",
              file=sys.stderr)
        sys.exit(2)
    return t


def last_epoch_seconds(h5):
    """The last epoch's seconds of a result file lowbit just wrote, read after its seal check."""
    with lbio.open_results(h5) as f:
        return seconds(f["epochs"]["seconds"][-1], f"{h5}: /epochs/seconds")


def main():
    a = parse()
    common = ["--batch", str(a.batch), "--lr", str(a.lr), "--momentum", str(a.momentum),
              "--seed", str(a.seed), "--threads", str(a.threads), "--epochs", "1",
              "--data-dir", a.data_dir]
    if a.train_subset:
        common += ["--train-subset", str(a.train_subset)]
    if a.test_subset:
        common += ["--test-subset", str(a.test_subset)]
    bf16 = [f"--{r}-format" for r in "waeg"]
    bf16 = [x for f in bf16 for x in (f, "bf16")]
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        h5, h5b, pcsv = (os.path.join(tmp, n) for n in ("fp32.h5", "bf16.h5", "pt.csv"))
        lb = [a.lowbit, "train", "--model", a.model, "--dataset", "fashion-mnist",
              *a.model_flags.split(), *common]
        for r in range(1, a.rounds + 1):
            run(lb + ["--out", h5])
            t32 = last_epoch_seconds(h5)
            tpt = float("nan")
            if a.pytorch:
                run([a.python, os.path.join(here, "pytorch_baseline.py"), "--model", a.model,
                     *common, "--out", pcsv])
                with open(pcsv) as fh:
                    rows_pt = list(csv.DictReader(fh))
                tpt = seconds(rows_pt[-1].get("seconds") if rows_pt else None,
                              f"{pcsv}: column seconds")
            run(lb + bf16 + ["--out", h5b])
            tbf = last_epoch_seconds(h5b)
            rows.append({"round": r, "lowbit_fp32_s": t32, "pytorch_s": tpt,
                         "lowbit_bf16_s": tbf, "vs_pytorch": t32 / tpt,
                         "bf16_vs_fp32": tbf / t32})
            print(f"round {r}/{a.rounds}  lowbit {t32:.2f} s  PyTorch {tpt:.2f} s  "
                  f"bf16 {tbf:.2f} s  lowbit/PyTorch {t32 / tpt:.3f}  bf16/fp32 {tbf / t32:.3f}",
                  file=sys.stderr, flush=True)
    tmp_out = a.out + ".tmp"
    with open(tmp_out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp_out, a.out)


if __name__ == "__main__":
    main()
