"""Cross-validation of the C training engine (issue 20, item 3): one LeNet-5 training step with
the FP8 recipe's roles (W, A fp8_e4m3; E, G fp8_e5m2; all round to nearest even) in `lowbit
train` and in the PyTorch peer with lowbit's quantizers (experiments/peers/pytorch_baseline.py
--lowbit-roles), from the same initial weights (`lowbit train --save-weights`, read back by the
peer's --init-weights) on the same batch (the whole training subset is the one batch, so the
two shuffles do not matter). The trained weights must agree to float32 rounding of the sums;
and, so that the comparison can fail, dropping any one role on the PyTorch side must not."""
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")  # the peer needs Debian's python3-torch

from lowbit_build import CLI, LIB, ROOT, require  # noqa: E402

require(CLI)
DATA = "/usr/share/datasets/fashion-mnist"
if not os.path.exists(f"{DATA}/train-images-idx3-ubyte.gz"):
    pytest.skip(f"{DATA} missing (apt-get install dataset-fashion-mnist)", allow_module_level=True)
PEER = os.path.join(ROOT, "experiments", "peers", "pytorch_baseline.py")
FP8 = {"W": "fp8_e4m3", "A": "fp8_e4m3", "E": "fp8_e5m2", "G": "fp8_e5m2"}
N = 32  # examples: one batch, one step
COMMON = ["--model", "lenet5", "--epochs", "1", "--batch", str(N), "--train-subset", str(N),
          "--test-subset", str(N), "--threads", "1", "--lr", "0.05", "--momentum", "0.9",
          "--seed", "1", "--data-dir", DATA]
ATOL, RTOL = 1e-6, 1e-5  # float32: the weights are O(0.1), one step moves them by up to 4e-3


@pytest.fixture(scope="module")
def c_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("c")
    flags = [a for r in "WAEG" for a in (f"--{r.lower()}-format", FP8[r])]
    subprocess.run([CLI, "train"] + COMMON + flags + ["--out", str(d / "c.h5"),
                   "--save-weights", str(d / "c.npy")], check=True, stdout=subprocess.DEVNULL)
    return d / "c.npy", d / "c.h5"


def peer(c_npy, tmp_path, roles):
    out = tmp_path / "p.npy"
    env = dict(os.environ, LOWBIT_LIBRARY=LIB)
    subprocess.run([sys.executable, PEER] + COMMON + ["--lowbit-roles"] + roles +
                   ["--init-weights", str(c_npy), "--save-weights", str(out),
                    "--out", str(tmp_path / "p.csv")], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return np.load(out)


def test_one_fp8_step_matches(c_run, tmp_path):
    c_npy, c_h5 = c_run
    c = np.load(c_npy)
    p = peer(c_npy, tmp_path, [FP8[r] for r in "WAEG"])
    assert c.shape == p.shape == (2, 61706) and c.dtype == p.dtype == np.float32
    assert np.array_equal(c[0], p[0]), "the peer did not start from lowbit's weights"
    assert np.abs(c[1] - c[0]).max() > 1e-3, "the step moved nothing: the check would be empty"
    np.testing.assert_allclose(p[1], c[1], rtol=RTOL, atol=ATOL)
    import h5py  # noqa: E402 (the C run's training loss: the forward pass agrees too)
    loss_c = float(h5py.File(c_h5, "r")["epochs"]["train_loss"][0])
    loss_p = float(np.genfromtxt(tmp_path / "p.csv", delimiter=",", names=True)["train_loss"])
    assert abs(loss_c - loss_p) <= 1e-5 * abs(loss_c), (loss_c, loss_p)


@pytest.mark.parametrize("drop", list("WAEG"))
def test_one_role_dropped_is_detected(c_run, tmp_path, drop):
    c_npy, _ = c_run
    c = np.load(c_npy)
    p = peer(c_npy, tmp_path, ["fp32" if r == drop else FP8[r] for r in "WAEG"])
    diff = np.abs(p[1] - c[1]) - RTOL * np.abs(c[1])
    assert diff.max() > 10 * ATOL, f"role {drop} dropped in PyTorch went unnoticed"
