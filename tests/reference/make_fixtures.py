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


# ---- a tiny ResNet-8 and VGG-11 in lowbit's exact layout (convs with bias, BN after each conv,
# 1x1 projection shortcuts, global average pool, one linear layer); parameters flattened in
# lowbit's layer order (per layer: weight then bias; batchnorm: gamma then beta); train mode.
class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short, self.bns = nn.Conv2d(cin, cout, 1, stride, 0), nn.BatchNorm2d(cout)

    def ordered(self):
        mods = [self.conv1, self.bn1, self.conv2, self.bn2]
        return mods + ([self.short, self.bns] if self.short is not None else [])

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        s = self.bns(self.short(x)) if self.short is not None else x
        return F.relu(y + s)


class ResNet8(nn.Module):  # depth 8 = one block per stage; width 0.25: 4, 8, 16 channels
    def __init__(self, cin, classes):
        super().__init__()
        self.conv0, self.bn0 = nn.Conv2d(cin, 4, 3, 1, 1), nn.BatchNorm2d(4)
        self.blocks = nn.ModuleList([Block(4, 4, 1), Block(4, 8, 2), Block(8, 16, 2)])
        self.fc = nn.Linear(16, classes)

    def ordered(self):
        mods = [self.conv0, self.bn0]
        for b in self.blocks:
            mods += b.ordered()
        return mods + [self.fc]

    def forward(self, x):
        x = F.relu(self.bn0(self.conv0(x)))
        for b in self.blocks:
            x = b(x)
        return self.fc(x.mean((2, 3)))


class VGG11(nn.Module):  # width 1/16: 4, 8, 16, 16, 32, 32, 32, 32; 4 pools for < 32 pixels
    def __init__(self, cin, classes):
        super().__init__()
        cfg, mods, c = [4, "M", 8, "M", 16, 16, "M", 32, 32, "M", 32, 32], [], cin
        self.seq, self.convbn = [], []
        for v in cfg:
            if v == "M":
                self.seq.append("M")
            else:
                conv, bn = nn.Conv2d(c, v, 3, 1, 1), nn.BatchNorm2d(v)
                mods += [conv, bn]
                self.seq.append((conv, bn))
                c = v
        self.mods = nn.ModuleList(mods)
        self.fc = nn.Linear(c, classes)

    def ordered(self):
        return list(self.mods) + [self.fc]

    def forward(self, x):
        for s in self.seq:
            x = F.max_pool2d(x, 2) if s == "M" else F.relu(s[1](s[0](x)))
        return self.fc(x.mean((2, 3)))


for tag, net, shape in (("resnet8", ResNet8(3, 5), (4, 3, 8, 8)), ("vgg11", VGG11(1, 5), (4, 1, 16, 16))):
    params = [p for m in net.ordered() for p in (m.weight, m.bias)]
    save(f"{tag}_p0", torch.cat([p.detach().reshape(-1) for p in params]))
    x = torch.randn(*shape)
    lab = torch.randint(0, 5, (shape[0],))
    net.train()
    loss = F.cross_entropy(net(x), lab)
    loss.backward()
    save(f"{tag}_grad", torch.cat([p.grad.reshape(-1) for p in params]))
    save(f"{tag}_x", x), save(f"{tag}_y", lab), save(f"{tag}_loss", loss.reshape(1))
