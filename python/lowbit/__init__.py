"""lowbit for Python: the bit-true number formats, GEMM kernels, LNS addition and cost model of
liblowbit (the C library behind the `lowbit` command), over ctypes and numpy.

    import numpy as np, lowbit
    x = np.random.default_rng(0).standard_normal(1000, dtype=np.float32)
    q = lowbit.quantize(x, "fp8_e4m3")                 # float32, bit-identical to the command
    q = lowbit.quantize(x, "bf16", round="sr", seed=1)  # stochastic, any thread count
    c, stats = lowbit.gemm(a, b, kernel="mls:e=2,m=1")

Arrays: float32 (codes: uint16); a C-contiguous float32 array is passed to C without a copy,
anything else is converted first. Errors from the C side raise ValueError with its message.
How the library is found: see lowbit._lib (LOWBIT_LIBRARY, then <repo>/build/lib, then the
system loader).
"""
import ctypes as _C

import numpy as _np

from . import _lib
from ._lib import lib as _l

__all__ = ["Format", "Kernel", "formats", "kernels", "quantize", "encode", "decode", "gemm",
           "lns_delta", "energy", "version", "library_path"]

library_path = _lib.library_path


def version():
    """(version, git SHA, compiler) of the loaded library."""
    return (_l.lb_version().decode(), _l.lb_git_sha().decode(), _l.lb_compiler().decode())


def _status(st):
    return _l.lb_status_str(st).decode()


def _addr(a):
    """Address of an array's first element (a buffer export is ~4x cheaper than a.ctypes, but
    needs a writeable, non-empty array)."""
    try:
        return _C.addressof(_C.c_char.from_buffer(a))
    except (TypeError, ValueError):
        return a.ctypes.data


def _fptr(a):
    return a.ctypes.data_as(_C.POINTER(_C.c_float))


class Format:
    """A parsed format spec: a registered name ("bf16") or "family:key=value,..."."""

    def __init__(self, spec):
        if isinstance(spec, Format):
            self._f, self.spec = spec._f, spec.spec
            return
        self.spec = str(spec)
        self._f = _lib.Format()
        err = _lib.Error()
        if _l.lb_format_parse(_C.byref(self._f), self.spec.encode(), _C.byref(err)):
            raise ValueError(err.msg.decode())
        self._i = None

    @property
    def _info(self):
        if getattr(self, "_i", None) is None:
            self._i = _lib.FormatInfo()
            _l.lb_format_info_get(_C.byref(self._f), _C.byref(self._i))
        return self._i

    name = property(lambda s: s._f.name.decode(), doc="canonical spec")
    family = property(lambda s: _C.cast(s._f.family, _C.POINTER(_C.c_char_p))[0].decode())
    round = property(lambda s: _l.lb_round_name(s._f.round).decode(), doc="default rounding")
    bits = property(lambda s: s._info.bits)
    block = property(lambda s: s._info.block)
    scale_bits = property(lambda s: s._info.scale_bits)
    bits_per_element = property(lambda s: s._info.bits_per_element)
    max = property(lambda s: s._info.max)
    min_pos = property(lambda s: s._info.min_pos)
    min_normal = property(lambda s: s._info.min_normal)
    precision = property(lambda s: s._info.precision)
    precision_kind = property(
        lambda s: "absolute" if s._info.precision_absolute else "relative")
    scaled = property(lambda s: bool(s._info.scaled))
    has_inf = property(lambda s: bool(s._info.has_inf))
    has_nan = property(lambda s: bool(s._info.has_nan))
    signed_zero = property(lambda s: bool(s._info.signed_zero))
    encodable = property(lambda s: bool(s._info.encodable))
    log_rounding = property(lambda s: bool(s._info.log_rounding))
    description = property(lambda s: s._info.description.decode())

    @property
    def mac_model(self):
        """The explicit `lowbit energy --mac` model of the format ("" if it has none)."""
        m, err = _lib.MacModel(), _lib.Error()
        if _l.lb_format_mac(_C.byref(self._f), _C.byref(m), _C.byref(err)):
            return ""
        buf = _C.create_string_buffer(128)
        _l.lb_mac_model_spec(_C.byref(m), buf, 128)
        return buf.value.decode()

    def __repr__(self):
        return f"lowbit.Format({self.spec!r})"


def _fmt(f):
    return f if isinstance(f, Format) else Format(f)


def formats():
    """The registered formats: one dict per format with the columns of `lowbit formats --csv`
    (name, family, spec, bits, block, scale_bits, bits_per_element, max, min_pos, min_normal,
    scaled, has_inf, has_nan, encodable, precision, precision_kind, mac_model, description)."""
    n = _C.c_int()
    reg = _l.lb_registry(_C.byref(n))
    rows = []
    for i in range(n.value):
        e = reg[i]
        f = Format(e.name.decode())
        rows.append(dict(
            name=f.spec, family=f.family, spec=f"{f.family}:{e.params.decode()}", bits=f.bits,
            block=f.block, scale_bits=f.scale_bits, bits_per_element=f.bits_per_element,
            max=f.max, min_pos=f.min_pos, min_normal=f.min_normal, scaled=int(f.scaled),
            has_inf=int(f.has_inf), has_nan=int(f.has_nan), encodable=int(f.encodable),
            precision=f.precision, precision_kind=f.precision_kind, mac_model=f.mac_model,
            description=e.description.decode()))
    return rows


def kernels():
    """The GEMM kernels (the rows of `lowbit kernels --csv`: name, ref, description, keys)."""
    names = _l.lb_gemm_names()
    rows, i = [], 0
    while names[i]:
        nm = names[i]
        keys = _l.lb_gemm_keys_help(nm)
        rows.append(dict(name=nm.decode(), ref=int(nm.endswith(b"-ref")),
                         description=_l.lb_gemm_describe(nm).decode(),
                         keys=keys.decode() if keys else ""))
        i += 1
    return rows


_ROUND_CODES = {}


def _round_code(name):
    """lb_round of a rounding name (parsed by the library once per name)."""
    code = _ROUND_CODES.get(name)
    if code is None:
        r = _C.c_int()
        if _l.lb_round_parse(_C.byref(r), str(name).encode()):
            raise ValueError(f"round '{name}' is not one of rne, rna, rtz, sr")
        code = _ROUND_CODES[name] = r.value
    return code


def _ctx(x, f, round, seed, tensor, step, axis, threads):
    ctx = _lib.QCtx(int(seed), int(tensor), int(step), 0, int(threads))
    if round is not None:
        ctx.round_override = 1 + _round_code(round)
    if axis is not None:
        if x.ndim > 8:
            raise ValueError(f"axis: an array of {x.ndim} dimensions (at most 8)")
        a = axis + x.ndim if axis < 0 else axis
        if not 0 <= a < x.ndim:
            raise ValueError(f"axis {axis} is beyond the {x.ndim} dimensions of the array")
        ctx.ndim, ctx.axis = x.ndim, a
        for d, s in enumerate(x.shape):
            ctx.dims[d] = s
    return ctx


def _nscales(x, f, axis):
    """Scales a call computes: one per block (block formats), per channel along axis, or one."""
    if f.block:
        if axis is None:
            return -(-x.size // f.block) if f.block > 0 else 1
        a = axis % x.ndim
        A = x.shape[a]
        return (x.size // A) * (-(-A // f.block) if f.block > 0 else 1)
    if not f.scaled:
        return 0
    return x.shape[axis % x.ndim] if axis is not None and f._f.scale == 2 else 1


def _as_f32(x):
    return _np.ascontiguousarray(x, dtype=_np.float32)  # no copy when already so


def _scales_in(ctx, scales):
    if scales is None:
        return None
    s = _as_f32(scales).reshape(-1)
    ctx.scales_in = _fptr(s)
    return s  # keep it alive for the call


def _run(cfn, what, f, dst, x, round, seed, tensor, step, axis, threads, scales,
         return_scales):
    ctx = _ctx(x, f, round, seed, tensor, step, axis, threads)
    keep = _scales_in(ctx, scales) if scales is not None else None
    if return_scales:
        n = _nscales(x, f, axis)
        sc = _np.zeros(max(n, 1), _np.float32)
        ctx.scales_out = _fptr(sc)
    st = cfn(_C.byref(f._f), _addr(dst), _addr(x), x.size, _C.byref(ctx))
    del keep
    if st:
        raise ValueError(f"{what}: {f.spec}: {_status(st)}")
    return (dst, sc[:n]) if return_scales else dst


def quantize(x, fmt, round=None, seed=0, tensor=0, step=0, axis=None, *, out=None, threads=1,
             scales=None, return_scales=False):
    """Fake quantization: float32 values of the format's grid, same shape as x.

    round overrides the format's rounding (rne, rna, rtz, sr); seed, tensor and step key
    stochastic rounding (counter-based: identical for any `threads`). axis: the channel or
    block axis of scaled and block formats (None: the array is flat, as the command without
    --shape). out: a float32 C-contiguous array to write into (may be x itself). scales: fix
    the scale(s) instead of computing them; return_scales: also return the computed ones."""
    f = _fmt(fmt)
    x = _as_f32(x)
    if out is None:
        out = _np.empty_like(x)
    elif (out.dtype != _np.float32 or out.shape != x.shape
          or not out.flags.c_contiguous or not out.flags.writeable):
        raise ValueError("out: needs a writeable C-contiguous float32 array of x's shape")
    return _run(_l.lb_quantize, "quantize", f, out, x, round, seed, tensor, step, axis, threads,
                scales, return_scales)


def encode(x, fmt, round=None, seed=0, tensor=0, step=0, axis=None, *, threads=1, scales=None,
           return_scales=False):
    """Integer codes (uint16, the low `bits` bits) of a format of at most 16 bits; the same
    arguments as quantize. decode(encode(x)) == quantize(x) bit for bit."""
    f = _fmt(fmt)
    x = _as_f32(x)
    return _run(_l.lb_encode, "encode", f, _np.empty(x.shape, _np.uint16), x, round, seed,
                tensor, step, axis, threads, scales, return_scales)


def decode(codes, fmt, scales=None, axis=None):
    """float32 values of integer codes (scaled and block formats need the scales encode
    returned, and the same axis)."""
    f = _fmt(fmt)
    c = _np.ascontiguousarray(codes, dtype=_np.uint16)
    out = _np.empty(c.shape, _np.float32)
    ctx = _ctx(c, f, None, 0, 0, 0, axis, 1)
    keep = _scales_in(ctx, scales)
    st = _l.lb_decode(_C.byref(f._f), out.ctypes.data, c.ctypes.data, c.size, _C.byref(ctx))
    del keep
    if st:
        raise ValueError(f"decode: {f.spec}: {_status(st)}")
    return out


_PASSES = {"forward": 0, "backward_data": 1, "backward_weight": 2}


class Kernel:
    """A GEMM kernel (`lowbit kernels`): Kernel("lns-pwl:bits=13,frac=5,table=...")."""

    def __init__(self, spec="fp32"):
        self._k = _C.c_void_p()
        err = _lib.Error()
        if _l.lb_gemm_create(_C.byref(self._k), str(spec).encode(), _C.byref(err)):
            raise ValueError(err.msg.decode())

    def __del__(self):
        if getattr(self, "_k", None):
            _l.lb_gemm_destroy(self._k)
            self._k = None

    @property
    def spec(self):
        """Canonical spec with every parameter."""
        return _l.lb_gemm_spec(self._k).decode()

    @property
    def stats(self):
        """Counters since creation or reset(): calls, macs, overflows, underflows."""
        s = _lib.GemmStats()
        _l.lb_gemm_get_stats(self._k, _C.byref(s))
        return dict(calls=s.calls, macs=s.macs, overflows=s.overflows, underflows=s.underflows)

    def reset(self):
        _l.lb_gemm_reset_stats(self._k)

    def __call__(self, a, b, *, ta=False, tb=False, alpha=1.0, beta=0.0, c=None,
                 pass_="forward"):
        """C = alpha·op(A)·op(B) + beta·C (float32, row-major; op transposes when ta/tb)."""
        a, b = _as_f32(a), _as_f32(b)
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError("gemm: a and b must be 2-D")
        M, K = (a.shape[1], a.shape[0]) if ta else a.shape
        Kb, N = (b.shape[1], b.shape[0]) if tb else b.shape
        if K != Kb:
            raise ValueError(f"gemm: inner dimensions differ ({K} and {Kb})")
        if pass_ not in _PASSES:
            raise ValueError(f"gemm: pass_ '{pass_}' is not one of {', '.join(_PASSES)}")
        if c is None:
            c = _np.zeros((M, N), _np.float32)
        elif (c.dtype != _np.float32 or c.shape != (M, N) or not c.flags.c_contiguous
              or not c.flags.writeable):
            raise ValueError(f"gemm: c needs a writeable C-contiguous float32 ({M}, {N}) array")
        call = _lib.GemmCall(_PASSES[pass_], int(bool(ta)), int(bool(tb)), M, N, K, alpha,
                             _fptr(a), _fptr(b), beta, _fptr(c))
        st = _l.lb_gemm_run(self._k, _C.byref(call))
        if st:
            raise ValueError(f"gemm: {self.spec}: {_status(st)}")
        return c


def gemm(a, b, kernel="mls:e=2,m=1", **kw):
    """(A @ B computed by a lowbit kernel, the kernel's counters as a dict). Keywords as
    Kernel.__call__ (ta, tb, alpha, beta, c, pass_)."""
    k = kernel if isinstance(kernel, Kernel) else Kernel(kernel)
    k.reset()
    c = k(a, b, **kw)
    return c, k.stats


def lns_delta(bits, frac, approx="exact", tables=None):
    """Δ+ and Δ- of LNS addition (lowbit/lnsadd.h) as int32 arrays over every code d in
    [0, 16·2^F), as `lowbit lns-delta` prints them (Δ- at d = 0, the cancellation, is 0).
    approx: "exact", "lut" or "pwl:NAME" (NAME a config of `tables`, default the published
    tables, or a CSV file of one table)."""
    ad, err = _lib.LnsAdder(), _lib.Error()
    st = _l.lb_lns_adder_from_spec(_C.byref(ad), int(bits), int(frac), str(approx).encode(),
                                   (tables or _lib.PWL_TABLES).encode(), _C.byref(err))
    if st:
        raise ValueError(err.msg.decode())
    try:
        dp = _np.ctypeslib.as_array(ad.dp, (ad.n,)).copy()
        dm = _np.ctypeslib.as_array(ad.dm, (ad.n,)).copy()
    finally:
        _l.lb_lns_adder_free(_C.byref(ad))
    dm[0] = 0
    return dp, dm


def _units(path):
    err, u = _lib.Error(), _C.c_void_p()
    if _l.lb_units_load(_C.byref(u), (path or _lib.UNITS).encode(), _C.byref(err)):
        raise ValueError(err.msg.decode())
    return u


def energy(run_or_mac, units=None, k=256, acc_bits=0, w=None, a=None, e=None):
    """The cost model (`lowbit energy`). With a format spec or an explicit "mac:KIND,..."
    model: one multiply-accumulate, a dict of model, multiply_pj, accumulate_pj, other_pj,
    energy_pj, area_um2 (k: dot-product length for amortised work). With a run file (*.h5 of
    `lowbit train`): its /ops rows costed, optionally with the W, A, E formats overridden
    (`--formats w=,a=,e=`), as a dict of rows (layer, pass, mac, macs, mac_pj, compute_pj,
    memory_pj), compute_pj, memory_pj, total_pj. units: a unit-cost CSV (default LOWBIT_UNITS,
    else the shipped horowitz45.csv); acc_bits 0: each model's default accumulator."""
    spec = str(run_or_mac)
    if spec.endswith(".h5"):
        return _energy_run(spec, units, acc_bits, w, a, e)
    u, err = _units(units), _lib.Error()
    try:
        m, c = _lib.Mac(), _lib.MacCost()
        if _l.lb_mac_parse(_C.byref(m), spec.encode(), _C.byref(err)):
            raise ValueError(err.msg.decode())
        m.k, m.acc_bits = int(k), int(acc_bits)
        if _l.lb_mac_cost_get(u, _C.byref(m), _C.byref(c), _C.byref(err)):
            raise ValueError(err.msg.decode())
    finally:
        _l.lb_units_free(u)
    mm = _lib.MacModel(m.kind, m.e, m.m, m.bits, m.frac, m.group, m.gbits, m.acc_bits, m.gacc,
                       m.table)
    buf = _C.create_string_buffer(128)
    _l.lb_mac_model_spec(_C.byref(mm), buf, 128)
    return dict(model=buf.value.decode(), multiply_pj=c.mult_pj, accumulate_pj=c.add_pj,
                other_pj=c.other_pj, energy_pj=c.energy_pj, area_um2=c.area_um2)


def _energy_run(run, units, acc_bits, w, a, e):
    err, ops, n = _lib.Error(), _C.POINTER(_lib.OpRow)(), _C.c_size_t()
    if _l.lb_results_read_ops(run.encode(), _C.byref(ops), _C.byref(n), _C.byref(err)):
        raise ValueError(err.msg.decode())
    u = None
    try:
        u = _units(units)
        rows = (_lib.EnergyRow * max(n.value, 1))()
        enc = [f.encode() if f else None for f in (w, a, e)]
        opts = _lib.EnergyOpts(*enc, None, int(acc_bits), 0, 0.0)
        if _l.lb_energy_rows(u, ops, n.value, _C.byref(opts), rows, _C.byref(err)):
            raise ValueError(f"{run}: {err.msg.decode()}")
    finally:
        _lib.libc.free(_C.cast(ops, _C.c_void_p))
        if u:
            _l.lb_units_free(u)
    out = [{"layer": r.layer.decode(), "pass": r.pass_.decode(), "mac": r.mac.decode(),
            "macs": r.macs, "mac_pj": r.mac_pj, "compute_pj": r.compute_pj,
            "memory_pj": r.memory_pj} for r in rows[:n.value]]
    comp = sum(r["compute_pj"] for r in out)
    mem = sum(r["memory_pj"] for r in out)
    return dict(rows=out, compute_pj=comp, memory_pj=mem, total_pj=comp + mem)
