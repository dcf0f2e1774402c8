"""The Python binding (python/lowbit) against the command built from the same sources: every
registered format quantized through `lowbit quantize --raw` and through lowbit.quantize gives
the same bits (flat and per axis, RNE and SR); the format and kernel tables equal the command's
CSV; C errors become ValueError with the command's message; SR is identical for any thread
count; encode/decode, gemm, lns_delta and energy each checked against the command or an
independent computation."""
import csv
import io
import os
import subprocess

import numpy as np
import pytest

from lowbit_build import CLI, LIB, require

require(CLI)
import lowbit  # noqa: E402

FORMATS = [r["name"] for r in lowbit.formats()]


def cli(*args, stdin=b""):
    return subprocess.run([CLI, *args], input=stdin, capture_output=True)


def cli_ok(*args, stdin=b""):
    r = cli(*args, stdin=stdin)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def cli_error(*args):
    r = cli(*args)
    assert r.returncode == 2
    return r.stderr.decode().strip()


def sample(fmt, n=4096, seed=0):
    """Values across the format's range: normal draws at several magnitudes, the largest
    magnitude and beyond, the smallest and below, zeros and non-finite values."""
    f = lowbit.Format(fmt)
    rng = np.random.default_rng(seed)
    big = min(f.max, 3e38) if not f.scaled else 1.0
    tiny = f.min_pos if not f.scaled else 1e-3
    mags = np.minimum(np.exp(rng.uniform(np.log(max(tiny, 1e-44)) - 1, np.log(big) + 1, n)), 3e38)
    x = (np.sign(rng.standard_normal(n)) * mags).astype(np.float32)
    x[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, big, -big, tiny]
    x[8:16] = rng.standard_normal(8)
    return x


def bits(a):
    return np.ascontiguousarray(a, np.float32).view(np.uint32)


def same_values(a, b):
    """Bit-identical, NaN signs included (format.h: decode(encode(x)) == quantize(x) bit for bit;
    -inf and -1e30 quantize to -NaN in fp8_e4m3, and decode keeps the NaN code's sign)."""
    return np.array_equal(bits(a), bits(b))


# ---- tables --------------------------------------------------------------------------------
def test_formats_equal_cli_csv():
    rows = list(csv.DictReader(io.StringIO(cli_ok("formats", "--csv").decode())))
    py = lowbit.formats()
    assert [r["name"] for r in rows] == [r["name"] for r in py] and len(py) >= 20
    for c, p in zip(rows, py):
        assert list(c) == list(p)
        for k, v in p.items():
            if isinstance(v, float):
                assert float(c[k]) == float(f"{v:.9g}"), (p["name"], k)
            else:
                assert c[k] == str(v), (p["name"], k)


def test_kernels_equal_cli_csv():
    rows = list(csv.DictReader(io.StringIO(cli_ok("kernels", "--csv").decode())))
    py = lowbit.kernels()
    assert len(py) == len(rows) >= 3
    for c, p in zip(rows, py):
        assert {k: c[k] for k in ("name", "ref", "description", "keys")} == \
            {k: str(v) for k, v in p.items()}


def test_format_properties():
    f = lowbit.Format("fp:e=5,m=2")
    assert (f.family, f.bits, f.max, f.min_pos, f.block) == ("fp", 8, 57344.0, 2.0**-16, 0)
    assert f.has_inf and f.has_nan and f.signed_zero and f.encodable and not f.scaled
    assert f.round == "rne" and f.precision == 0.25 and f.precision_kind == "relative"
    assert f.mac_model == "mac:fp,e=5,m=2"
    e4 = lowbit.Format("fp8_e4m3")
    assert (e4.max, e4.has_inf, e4.bits) == (448.0, False, 8)
    mx = lowbit.Format("mxfp8_e4m3")
    assert mx.block == 32 and mx.scale_bits == 8 and mx.bits_per_element == 8.25
    assert lowbit.Format("fx:wl=8,fl=6").precision_kind == "absolute"
    row = {r["name"]: r for r in lowbit.formats()}["bf16"]
    assert row["bits"] == lowbit.Format("bf16").bits == 16
    assert lowbit.Format(e4).name == e4.name


# ---- errors: ValueError with the command's message -----------------------------------------
@pytest.mark.parametrize("spec", ["fp:e=9,m=2", "nosuch", "fp:e=4,m=3,bogus", ""])
def test_bad_spec_message_equals_cli(spec):
    with pytest.raises(ValueError) as e:
        lowbit.Format(spec)
    assert cli_error("quantize", "--format", spec) == f"lowbit: --format: {e.value}"


def test_bad_kernel_message_equals_cli():
    for spec in ("nosuch", "mls:e=2,m=1,zz=3"):
        with pytest.raises(ValueError) as e:
            lowbit.Kernel(spec)
        assert cli_error("kernels", "--spec", spec) == f"lowbit: --spec: {e.value}"


def test_other_errors():
    x = np.ones(8, np.float32)
    with pytest.raises(ValueError, match="round 'up'"):
        lowbit.quantize(x, "bf16", round="up")
    with pytest.raises(ValueError, match="unsupported"):
        lowbit.encode(x, "fp32")
    with pytest.raises(ValueError, match="axis 2"):
        lowbit.quantize(x.reshape(2, 4), "int8", axis=2)
    with pytest.raises(ValueError, match="out"):
        lowbit.quantize(x, "bf16", out=np.empty(8, np.float64))
    with pytest.raises(ValueError, match="inner dimensions"):
        lowbit.gemm(np.ones((2, 3), np.float32), np.ones((4, 2), np.float32))
    with pytest.raises(ValueError):
        lowbit.lns_delta(13, 12)
    with pytest.raises(ValueError):
        lowbit.lns_delta(13, 5, "pwl:nosuch")
    with pytest.raises(ValueError):
        lowbit.energy("mac:fp,e=99")


# ---- numpy vs command: bit-identical on every registered format ---------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rnd", ["rne", "sr"])
def test_quantize_equals_cli_flat(fmt, rnd):
    x = sample(fmt)
    want = np.frombuffer(cli_ok("quantize", "--format", fmt, "--round", rnd, "--seed", "11",
                                "--raw", stdin=x.tobytes()), np.float32)
    got = lowbit.quantize(x, fmt, round=rnd, seed=11)
    assert got.dtype == np.float32 and got.shape == x.shape
    assert np.array_equal(bits(got), bits(want))


@pytest.mark.parametrize("fmt", FORMATS)
def test_quantize_equals_cli_axis(fmt):
    x = sample(fmt, 24 * 64, seed=1).reshape(24, 64)
    x[3] = x[3] * np.float32(1000) if lowbit.Format(fmt).scaled else x[3]  # channels of different magnitude: per-channel scales differ
    for axis in (0, 1):
        want = np.frombuffer(cli_ok("quantize", "--format", fmt, "--shape", "24,64", "--axis",
                                    str(axis), "--raw", stdin=x.tobytes()), np.float32)
        got = lowbit.quantize(x, fmt, axis=axis)
        assert np.array_equal(bits(got).ravel(), bits(want)), axis


# ---- encode / decode -----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", [f for f in FORMATS if lowbit.Format(f).encodable])
def test_decode_encode_is_quantize(fmt):
    x = sample(fmt, 96 * 4, seed=2).reshape(96, 4)
    for axis in (None, 0):
        codes, sc = lowbit.encode(x, fmt, axis=axis, return_scales=True)
        assert codes.dtype == np.uint16 and codes.shape == x.shape
        assert int(codes.max()) < 2 ** lowbit.Format(fmt).bits
        q, sq = lowbit.quantize(x, fmt, axis=axis, return_scales=True)
        assert np.array_equal(sc, sq)
        back = lowbit.decode(codes, fmt, scales=sc if sc.size else None, axis=axis)
        assert same_values(back, q), axis


def test_fixed_scales_and_counts():
    x = np.arange(1, 65, dtype=np.float32).reshape(2, 32)
    q, sc = lowbit.quantize(x, "mxfp8_e4m3", axis=1, return_scales=True)
    assert sc.shape == (2,)  # one block of 32 per row
    q2 = lowbit.quantize(x, "mxfp8_e4m3", axis=1, scales=sc)
    assert np.array_equal(bits(q), bits(q2))
    _, sc = lowbit.quantize(x, "int8", return_scales=True)
    assert sc.shape == (1,) and sc[0] > 0


def test_no_copy_and_layouts():
    x = np.linspace(-4, 4, 1001, dtype=np.float32)
    want = lowbit.quantize(x, "fp8_e5m2")
    y = x.copy()
    r = lowbit.quantize(y, "fp8_e5m2", out=y)  # in place: the result is the caller's buffer
    assert r is y and np.array_equal(bits(y), bits(want))
    assert np.array_equal(bits(lowbit.quantize(x.astype(np.float64), "fp8_e5m2")), bits(want))
    z = np.zeros(2002, np.float32)
    z[::2] = x  # a strided view is copied to contiguous first
    assert np.array_equal(bits(lowbit.quantize(z[::2], "fp8_e5m2")), bits(want))
    assert not np.array_equal(bits(want), bits(x))


# ---- stochastic rounding through the binding -------------------------------------------------
@pytest.mark.parametrize("fmt", ["bf16", "fp8_e4m3", "int8", "mxfp4_e2m1", "fx:wl=8,fl=4"])
def test_sr_independent_of_threads(fmt):
    x = np.random.default_rng(3).standard_normal(1 << 18).astype(np.float32)
    one = lowbit.quantize(x, fmt, round="sr", seed=5, tensor=2, step=9, threads=1)
    for t in (2, 3, 8):
        assert np.array_equal(bits(lowbit.quantize(x, fmt, round="sr", seed=5, tensor=2, step=9,
                                                   threads=t)), bits(one)), t
    # the key matters: another seed, tensor or step changes some elements; RNE differs too
    for kw in (dict(seed=6, tensor=2, step=9), dict(seed=5, tensor=3, step=9),
               dict(seed=5, tensor=2, step=10)):
        assert not np.array_equal(bits(lowbit.quantize(x, fmt, round="sr", **kw)), bits(one))
    assert not np.array_equal(bits(lowbit.quantize(x, fmt, round="rne")), bits(one))


def test_sr_is_unbiased_on_a_midpoint():
    x = np.full(1 << 16, 1.0 + 2.0**-8, np.float32)  # between bf16 1 and 1 + 2^-7: p = 1/2
    q = lowbit.quantize(x, "bf16", round="sr", seed=1)
    assert set(np.unique(q)) == {1.0, 1.0 + 2.0**-7}
    assert abs(np.mean(q == 1.0) - 0.5) < 0.01


# ---- gemm ------------------------------------------------------------------------------------
def test_gemm_fp32_and_counters():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((7, 33)).astype(np.float32)
    b = rng.standard_normal((33, 5)).astype(np.float32)
    c, st = lowbit.gemm(a, b, kernel="fp32")
    assert np.allclose(c, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
    assert st["calls"] == 1 and st["macs"] == 7 * 5 * 33


def test_gemm_mls_transposes_and_accumulates():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((8, 64)).astype(np.float32)
    b = rng.standard_normal((64, 6)).astype(np.float32)
    c, st = lowbit.gemm(a, b)  # mls:e=2,m=1
    assert st["macs"] == 8 * 6 * 64 and st["calls"] == 1
    exact = a.astype(np.float64) @ b
    assert not np.allclose(c, exact, rtol=1e-4)  # 4-bit elements: far from exact ...
    assert np.corrcoef(c.ravel(), exact.ravel())[0, 1] > 0.9  # ... but the same product
    k = lowbit.Kernel("mls:e=2,m=1")
    assert k.spec.startswith("mls:") and "e=2" in k.spec
    ct = k(np.ascontiguousarray(a.T), np.ascontiguousarray(b.T), ta=True, tb=True)
    assert np.array_equal(bits(ct), bits(c))
    acc = np.ones((8, 6), np.float32)
    k(a, b, c=acc, beta=1.0)
    assert np.allclose(acc, c + 1, rtol=1e-6, atol=1e-6)
    assert k.stats["calls"] == 2
    k.reset()
    assert k.stats == dict(calls=0, macs=0, overflows=0, underflows=0)


# ---- lns_delta, energy -------------------------------------------------------------------------
@pytest.mark.parametrize("approx", ["exact", "lut", "pwl:13/5"])
def test_lns_delta_equals_cli(approx):
    bits_, frac = 13, 5
    dp, dm = lowbit.lns_delta(bits_, frac, approx)
    rows = np.loadtxt(io.StringIO(cli_ok("lns-delta", "--bits", str(bits_), "--frac", str(frac),
                                         "--approx", approx).decode()),
                      delimiter=",", skiprows=1, dtype=np.int64)
    assert dp.shape == (16 << frac,) and np.array_equal(rows[:, 0], np.arange(16 << frac))
    assert np.array_equal(dp, rows[:, 1]) and np.array_equal(dm, rows[:, 2])
    if approx == "exact":  # Δ+(0) = round(2^F log2 2) = 2^F
        assert dp[0] == 1 << frac


@pytest.mark.parametrize("mac", ["fp8_e4m3", "bf16", "int8", "mxfp4_e2m1", "mac:lns-pwl,bits=13,frac=5"])
def test_energy_equals_cli(mac, tmp_path):
    out = tmp_path / "e.csv"
    cli_ok("energy", "--mac", mac, "--csv", str(out))
    row = next(csv.DictReader(open(out)))
    e = lowbit.energy(mac)
    assert e["model"] == row["model"]
    for k in ("multiply_pj", "accumulate_pj", "other_pj", "energy_pj", "area_um2"):
        assert float(row[k]) == float(f"{e[k]:.9g}"), k
    assert e["energy_pj"] > 0


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    """A tiny real LeNet-5 run (its /ops table is what energy costs)."""
    path = tmp_path_factory.mktemp("run") / "r.h5"
    cli_ok("train", "--model", "lenet5", "--epochs", "1", "--train-subset", "256",
           "--test-subset", "128", "--batch", "32", "--threads", "2", "--out", str(path))
    return str(path)


@pytest.mark.parametrize("override", [None, "w=fp8_e4m3,a=fp8_e4m3,e=bf16"])
def test_energy_of_a_run_equals_cli(run_file, tmp_path, override):
    out = tmp_path / "e.csv"
    cli_ok("energy", run_file, "--csv", str(out), *(["--formats", override] if override else []))
    rows = list(csv.DictReader(open(out)))
    kw = dict(kv.split("=") for kv in override.split(",")) if override else {}
    got = lowbit.energy(run_file, **kw)
    assert len(got["rows"]) == len(rows) - 1 >= 8 and rows[-1]["layer"] == "total"
    for c, p in zip(rows, got["rows"]):
        assert (c["layer"], c["pass"], c["mac"]) == (p["layer"], p["pass"], p["mac"])
        assert float(c["macs"]) == p["macs"] > 0
        for k in ("mac_pj", "compute_pj", "memory_pj"):
            assert float(c[k]) == float(f"{p[k]:.9g}"), k
    assert float(rows[-1]["compute_pj"]) == pytest.approx(got["compute_pj"], rel=1e-8)
    assert float(rows[-1]["memory_pj"]) == pytest.approx(got["memory_pj"], rel=1e-8)
    if override:
        assert got["total_pj"] < lowbit.energy(run_file)["total_pj"]
    missing = str(tmp_path / "none.h5")
    with pytest.raises(ValueError) as e:
        lowbit.energy(missing)
    assert cli_error("energy", missing) == f"lowbit: energy: {e.value}"


def test_library_found_and_versioned():
    assert os.path.samefile(lowbit.library_path(), os.path.realpath(LIB))
    v, sha, comp = lowbit.version()
    assert v.count(".") == 2 and sha and comp
    out = cli_ok("info").decode()
    assert v in out
