"""lowbit.torch (python/lowbit/torch.py): the straight-through fake quantizer, the W/A/E/G roles
of QuantLinear / QuantConv2d checked against lowbit.quantize applied by hand to the operands
and gradients the roles act on, SR keyed by step, BitTrueLinear's three GEMMs through a lowbit
kernel, and a short training loop that learns."""
import pytest

torch = pytest.importorskip("torch")  # optional dependency of the binding (Debian python3-torch)

from lowbit_build import require  # noqa: E402

require()
import lowbit  # noqa: E402
import lowbit.torch as lt  # noqa: E402


def Q(t, fmt, **kw):
    return torch.from_numpy(lowbit.quantize(t.detach().numpy(), fmt, **kw))


def same(a, b):
    return torch.equal(a.view(torch.int32), b.view(torch.int32))


def test_fake_quant_forward_and_straight_through():
    x = torch.linspace(-3, 3, 101, requires_grad=True)
    y = lt.fake_quant(x, "fp8_e4m3")
    assert same(y.detach(), Q(x, "fp8_e4m3")) and not same(y.detach(), x.detach())
    gy = torch.randn(101)
    y.backward(gy)
    assert same(x.grad, gy)  # straight through: the gradient is not touched


def test_grad_quant_backward_only():
    x = torch.randn(64, requires_grad=True)
    y = lt.grad_quant(x, "fp8_e5m2", round="sr", seed=3, tensor=1, step=2)
    assert same(y.detach(), x.detach())
    gy = torch.randn(64)
    y.backward(gy)
    assert same(x.grad, Q(gy, "fp8_e5m2", round="sr", seed=3, tensor=1, step=2))


def test_quant_linear_roles_match_by_hand():
    torch.manual_seed(0)
    layer = lt.QuantLinear(16, 8, w="fp8_e4m3", a="fp8_e4m3", e="fp8_e5m2", g="bf16",
                           round_e="sr", seed=4, layer_id=2)
    layer.step = 7
    x = torch.randn(5, 16, requires_grad=True)
    y = layer(x)
    gy = torch.randn(5, 8)
    y.backward(gy)
    W, b = layer.weight.detach(), layer.bias.detach()
    xq, wq = Q(x, "fp8_e4m3"), Q(W, "fp8_e4m3")
    assert torch.allclose(y.detach(), xq @ wq.T + b, rtol=1e-6, atol=1e-6)
    eq = Q(gy, "fp8_e5m2", round="sr", seed=4, tensor=4 * 2 + 2, step=7)  # role e: id 4l+2
    assert torch.allclose(x.grad, eq @ wq, rtol=1e-6, atol=1e-6)
    gw = layer.weight.grad
    assert same(gw, Q(gw, "bf16"))  # G applied: the gradient is on bf16's grid ...
    assert torch.allclose(gw, Q(eq.T @ xq, "bf16"), rtol=2**-7, atol=1e-6)  # ... of Q_E^T Q_A
    assert torch.equal(layer.bias.grad, eq.sum(0))


def test_sr_keyed_by_step():
    torch.manual_seed(1)
    layer = lt.QuantLinear(32, 32, e="fp8_e5m2", round_e="sr")
    x = torch.randn(64, 32, requires_grad=True)
    gy = torch.randn(64, 32)

    def grad_at(step):
        x.grad = None
        lt.set_step(layer, step)
        layer(x).backward(gy)
        return x.grad.clone()

    g0 = grad_at(0)
    assert same(grad_at(0), g0) and not same(grad_at(1), g0)


def test_quant_conv2d_weight_and_activation_roles():
    torch.manual_seed(2)
    conv = lt.QuantConv2d(3, 4, 3, padding=1, w="int8", a="bf16")
    x = torch.randn(2, 3, 6, 6)
    want = torch.nn.functional.conv2d(Q(x, "bf16"), Q(conv.weight, "int8"), conv.bias,
                                      padding=1)
    assert torch.allclose(conv(x).detach(), want, rtol=1e-6, atol=1e-6)
    assert not torch.allclose(conv(x).detach(),
                              torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding=1),
                              rtol=1e-4, atol=1e-4)


def test_bit_true_linear_runs_the_kernel():
    torch.manual_seed(3)
    layer = lt.BitTrueLinear(64, 8, gemm="mls:e=2,m=1")
    x = torch.randn(4, 64, requires_grad=True)
    y = layer(x)
    k = lowbit.Kernel("mls:e=2,m=1")
    want = k(x.detach().numpy(), layer.weight.detach().numpy(), tb=True)
    assert same(y.detach(), torch.from_numpy(want) + layer.bias.detach())
    gy = torch.randn(4, 8)
    y.backward(gy)
    gx = k(gy.numpy(), layer.weight.detach().numpy(), pass_="backward_data")
    gw = k(gy.numpy(), x.detach().numpy(), ta=True, pass_="backward_weight")
    assert same(x.grad, torch.from_numpy(gx)) and same(layer.weight.grad, torch.from_numpy(gw))
    assert layer.kernel.stats["calls"] == 3
    assert layer.kernel.stats["macs"] == 3 * 4 * 64 * 8


def test_training_loop_learns():
    torch.manual_seed(4)
    n = 512
    x = torch.randn(n, 20)
    y = (x[:, :10].sum(1) > x[:, 10:].sum(1)).long()
    model = torch.nn.Sequential(
        lt.QuantLinear(20, 32, w="fp8_e4m3", a="fp8_e4m3", e="fp8_e5m2", g="bf16",
                       round_e="sr", layer_id=0),
        torch.nn.ReLU(),
        lt.QuantLinear(32, 2, w="fp8_e4m3", a="fp8_e4m3", e="fp8_e5m2", g="bf16",
                       round_e="sr", layer_id=1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    lossf = torch.nn.CrossEntropyLoss()
    first = lossf(model(x), y).item()
    for step in range(60):
        lt.set_step(model, step)
        opt.zero_grad()
        lossf(model(x), y).backward()
        opt.step()
    acc = (model(x).argmax(1) == y).float().mean().item()
    assert lossf(model(x), y).item() < 0.6 * first and acc > 0.85
