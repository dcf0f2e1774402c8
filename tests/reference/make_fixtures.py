#!/usr/bin/env python3
"""Write PyTorch reference fixtures for tests/unit/test_torch_fixtures.c into OUTDIR.

    /usr/bin/python3 tests/reference/make_fixtures.py OUTDIR

Every tensor is a raw little-endian float32 file OUTDIR/<name>.f32 (labels: int32 .i32), in
PyTorch's own layout (NCHW, Linear weight (out, in), Conv2d weight (oc, c, kh, kw)), which is
lowbit's layout too. Inputs come from torch.manual_seed(1234); gradients use the loss
sum(out * R) with a fixed R, so dL/dout = R. The LeNet-5 step writes the initial parameters in
lowbit's flat order (per layer: weight then bias), one batch, the loss, and the parameters
after one SGD step (lr 0.1, momentum 0.9, weight decay 1e-4)."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(1234)
torch.set_num_threads(1)


def save(name, t):
    a = t.detach().cpu().numpy()
    a.astype("<i4" if a.dtype.kind in "iu" else "<f4").tofile(
        os.path.join(out, name + (".i32" if a.dtype.kind in "iu" else ".f32")))


# linear: in (4,7), w (5,7), b (5)
x = torch.randn(4, 7, requires_grad=True)
lin = nn.Linear(7, 5)
y = lin(x)
R = torch.randn_like(y)
(y * R).sum().backward()
for n, t in (("lin_x", x), ("lin_w", lin.weight), ("lin_b", lin.bias), ("lin_y", y), ("lin_R", R),
             ("lin_dx", x.grad), ("lin_dw", lin.weight.grad), ("lin_db", lin.bias.grad)):
    save(n, t)

# conv2d: in (2,3,8,8), w (4,3,3,3), stride 2, pad 1 -> out (2,4,4,4)
x = torch.randn(2, 3, 8, 8, requires_grad=True)
conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
y = conv(x)
R = torch.randn_like(y)
(y * R).sum().backward()
for n, t in (("conv_x", x), ("conv_w", conv.weight), ("conv_b", conv.bias), ("conv_y", y),
             ("conv_R", R), ("conv_dx", x.grad), ("conv_dw", conv.weight.grad),
             ("conv_db", conv.bias.grad)):
    save(n, t)

# maxpool 2x2 on (2,3,6,6)
x = torch.randn(2, 3, 6, 6, requires_grad=True)
y = F.max_pool2d(x, 2)
R = torch.randn_like(y)
(y * R).sum().backward()
for n, t in (("pool_x", x), ("pool_y", y), ("pool_R", R), ("pool_dx", x.grad)):
    save(n, t)

# softmax + cross-entropy (mean) on (6,10)
z = (3 * torch.randn(6, 10)).requires_grad_()
lab = torch.randint(0, 10, (6,))
loss = F.cross_entropy(z, lab)
loss.backward()
save("xent_z", z), save("xent_y", lab), save("xent_loss", loss.reshape(1)), save("xent_dz", z.grad)

# one LeNet-5 SGD step (lowbit's lenet5: conv 6@5 pad 2, pool, conv 16@5, pool, 120, 84, 10)
net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                    nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                    nn.Linear(84, 10))
flat = lambda: torch.cat([p.detach().reshape(-1) for p in net.parameters()])  # noqa: E731
save("lenet_p0", flat())
x = torch.randn(8, 1, 28, 28)
lab = torch.randint(0, 10, (8,))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
loss = F.cross_entropy(net(x), lab)
opt.zero_grad()
loss.backward()
save("lenet_grad", torch.cat([p.grad.reshape(-1) for p in net.parameters()]))
opt.step()
save("lenet_x", x), save("lenet_y", lab), save("lenet_loss", loss.reshape(1)), save("lenet_p1", flat())
print(f"make_fixtures: wrote {len(os.listdir(out))} tensors to {out}")
