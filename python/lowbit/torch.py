"""lowbit roles in PyTorch (CPU, float32): fake quantization with a straight-through gradient,
and layers that quantize the four operand roles as the C training engine does
(lib/include/lowbit/nn.h):
    forward          y   = Q_A(x) · Q_W(W)^T
    backward data    dx  = Q_E(dy) · Q_W(W)
    backward weight  dW  = Q_G(Q_E(dy)^T · Q_A(x))
A role given as None stays float32. Stochastic rounding is keyed by (seed, tensor id, step):
each layer has its own tensor ids (4·layer_id + role), and `step` is the layer attribute the
training loop sets (or set_step(model, step) for every lowbit layer of a model), so a run is
reproducible for any thread count. Tensors cross to C without copies (contiguous CPU float32).

    import torch, lowbit.torch as lt
    layer = lt.QuantLinear(784, 100, w="fp8_e4m3", a="fp8_e4m3", e="fp8_e5m2", g="bf16",
                           round_e="sr", layer_id=0)
"""
import torch
import torch.nn.functional as F

import lowbit as _lb

ROLES = ("w", "a", "e", "g")


def _q(t, fmt, rnd, seed, tid, step):
    x = t.detach().to(torch.float32).contiguous()
    out = torch.empty_like(x)
    _lb.quantize(x.numpy(), fmt, round=rnd, seed=seed, tensor=tid, step=step, out=out.numpy())
    return out


class _RoleQuant(torch.autograd.Function):
    """Forward: Q_fwd(x) (identity if None); backward: Q_bwd(grad) (straight through if None)."""

    @staticmethod
    def forward(ctx, x, fwd, bwd, key_f, key_b):
        ctx.bwd, ctx.key_b = bwd, key_b
        return _q(x, fwd, *key_f) if fwd is not None else x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return (_q(g, ctx.bwd, *ctx.key_b) if ctx.bwd is not None else g), None, None, None, None


def fake_quant(x, fmt, round=None, seed=0, tensor=0, step=0):
    """Q(x) in the forward pass, the gradient unchanged in the backward (straight through)."""
    return _RoleQuant.apply(x, _lb.Format(fmt), None, (round, seed, tensor, step), None)


def grad_quant(x, fmt, round=None, seed=0, tensor=0, step=0):
    """x unchanged in the forward pass, the gradient quantized in the backward."""
    return _RoleQuant.apply(x, None, _lb.Format(fmt), None, (round, seed, tensor, step))


class _Roles:
    """Role formats and SR keys shared by the layers."""

    def _init_roles(self, w, a, e, g, round_w, round_a, round_e, round_g, seed, layer_id):
        fm = {r: (_lb.Format(v) if v is not None else None)
              for r, v in zip(ROLES, (w, a, e, g))}
        self.roles = fm
        self.rounds = dict(zip(ROLES, (round_w, round_a, round_e, round_g)))
        self.seed, self.layer_id, self.step = seed, layer_id, 0

    def _key(self, role):
        return (self.rounds[role], self.seed, 4 * self.layer_id + ROLES.index(role), self.step)

    def _operands(self, x, weight):
        r = self.roles
        xq = _RoleQuant.apply(x, r["a"], None, self._key("a"), None) if r["a"] else x
        wq = (_RoleQuant.apply(weight, r["w"], r["g"], self._key("w"), self._key("g"))
              if r["w"] or r["g"] else weight)
        return xq, wq

    def _output(self, y):
        r = self.roles
        return _RoleQuant.apply(y, None, r["e"], None, self._key("e")) if r["e"] else y

    def extra_repr(self):
        return super().extra_repr() + ", " + ", ".join(
            f"{k}={v.spec if v else None}" for k, v in self.roles.items())


class QuantLinear(_Roles, torch.nn.Linear):
    def __init__(self, in_features, out_features, bias=True, *, w=None, a=None, e=None, g=None,
                 round_w=None, round_a=None, round_e=None, round_g=None, seed=0, layer_id=0):
        torch.nn.Linear.__init__(self, in_features, out_features, bias)
        self._init_roles(w, a, e, g, round_w, round_a, round_e, round_g, seed, layer_id)

    def forward(self, x):
        xq, wq = self._operands(x, self.weight)
        return self._output(F.linear(xq, wq, self.bias))


class QuantConv2d(_Roles, torch.nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 *, w=None, a=None, e=None, g=None, round_w=None, round_a=None, round_e=None,
                 round_g=None, seed=0, layer_id=0):
        torch.nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride, padding,
                                 bias=bias)
        self._init_roles(w, a, e, g, round_w, round_a, round_e, round_g, seed, layer_id)

    def forward(self, x):
        xq, wq = self._operands(x, self.weight)
        return self._output(self._conv_forward(xq, wq, self.bias))


class _KernelLinear(torch.autograd.Function):
    """y = x · W^T + b with all three GEMMs computed by a lowbit kernel."""

    @staticmethod
    def forward(ctx, x, weight, bias, kernel):
        ctx.save_for_backward(x, weight)
        ctx.kernel, ctx.has_bias = kernel, bias is not None
        xn = x.detach().contiguous().numpy()
        wn = weight.detach().contiguous().numpy()
        y = torch.from_numpy(kernel(xn, wn, tb=True, pass_="forward"))
        return y + bias if bias is not None else y

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        g = gy.detach().contiguous().numpy()
        k = ctx.kernel
        gx = torch.from_numpy(k(g, weight.detach().contiguous().numpy(), pass_="backward_data"))
        gw = torch.from_numpy(k(g, x.detach().contiguous().numpy(), ta=True,
                                pass_="backward_weight"))
        gb = gy.sum(0) if ctx.has_bias else None
        return gx, gw, gb, None


class BitTrueLinear(QuantLinear):
    """QuantLinear whose forward and both backward GEMMs run the lowbit kernel `gemm` (e.g.
    "mls:e=2,m=1", "lns-pwl:bits=13,frac=5,table=13/5"); 2-D inputs (batch, features)."""

    def __init__(self, in_features, out_features, bias=True, *, gemm="fp32", **roles):
        super().__init__(in_features, out_features, bias, **roles)
        self.kernel = _lb.Kernel(gemm)

    def forward(self, x):
        xq, wq = self._operands(x, self.weight)
        return self._output(_KernelLinear.apply(xq, wq, self.bias, self.kernel))


def set_step(model, step):
    """Set the SR step of every lowbit layer of a model (call once per training step)."""
    for m in model.modules():
        if isinstance(m, _Roles):
            m.step = step


__all__ = ["fake_quant", "grad_quant", "QuantLinear", "QuantConv2d", "BitTrueLinear",
           "set_step", "ROLES"]
