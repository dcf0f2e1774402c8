#!/usr/bin/env python3
"""Seconds per epoch of the mlp recipe's shape (784-256-256-10, batch 128, SGD, 60000 examples of
random data: the time does not depend on the values) in plain PyTorch FP32 and with
lowbit.torch.QuantLinear roles, in one process with the same threads (target: QuantLinear
within 1.5x of FP32).

  /usr/bin/python3 python/bench_torch.py [--threads 2] [--roles w=fp8_e4m3,a=fp8_e4m3,e=fp8_e5m2,g=bf16]
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--roles", default="w=fp8_e4m3,a=fp8_e4m3,e=fp8_e5m2,g=bf16")
    ap.add_argument("--round-e", default="sr")
    ap.add_argument("--examples", type=int, default=60000)
    ap.add_argument("--build", default=os.path.join(HERE, os.pardir, "build"))
    a = ap.parse_args()
    os.environ.setdefault("LOWBIT_LIBRARY", os.path.join(a.build, "lib", "liblowbit.so"))
    os.environ.setdefault("BLIS_NUM_THREADS", str(a.threads))
    import lowbit  # sets BLIS_ARCH_TYPE (as lowbit does) before torch's first BLAS call
    import torch
    import lowbit.torch as lt
    torch.set_num_threads(a.threads)
    roles = dict(kv.split("=", 1) for kv in a.roles.split(",") if kv)

    def mlp(quant):
        def lin(i, o, lid):
            if not quant:
                return torch.nn.Linear(i, o)
            return lt.QuantLinear(i, o, round_e=a.round_e, layer_id=lid, **roles)
        torch.manual_seed(0)
        return torch.nn.Sequential(lin(784, 256, 0), torch.nn.ReLU(), lin(256, 256, 1),
                                   torch.nn.ReLU(), lin(256, 10, 2))

    g = torch.Generator().manual_seed(1)
    x = torch.randn(a.examples, 784, generator=g)
    y = torch.randint(0, 10, (a.examples,), generator=g)

    def epoch(model):
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        lossf = torch.nn.CrossEntropyLoss()
        t0 = time.perf_counter()
        for step, i in enumerate(range(0, a.examples, 128)):
            lt.set_step(model, step)
            opt.zero_grad()
            lossf(model(x[i:i + 128]), y[i:i + 128]).backward()
            opt.step()
        return time.perf_counter() - t0

    print(f"# lowbit {lowbit.version()[0]}, BLIS arch {lowbit._lib.BLIS_ARCH}, "
          f"torch {torch.__version__}, {a.threads} threads, roles {a.roles}")
    fp32, quant = mlp(False), mlp(True)
    epoch(fp32), epoch(quant)  # warm up
    t_fp32 = min(epoch(fp32) for _ in range(2))
    t_q = min(epoch(quant) for _ in range(2))
    print("model,s_per_epoch")
    print(f"fp32,{t_fp32:.3f}")
    print(f"quantlinear,{t_q:.3f}")
    print(f"# ratio quantlinear / fp32: {t_q / t_fp32:.3f}")


if __name__ == "__main__":
    main()
