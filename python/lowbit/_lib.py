"""ctypes declarations of liblowbit's public C API (lib/include/lowbit/*.h) and how the library
is found.

Search order (the first that exists wins):
  1. the environment variable LOWBIT_LIBRARY: the path of liblowbit.so;
  2. the build tree beside the package: <repo>/build/lib/liblowbit.so when the package is
     python/lowbit/ of a source checkout built with CMake into build/;
  3. the system loader: liblowbit.so.0 on the usual library path (cmake --install, or
     LD_LIBRARY_PATH).
The data files the library reads by default (PWL tables, unit costs) are taken from
<library directory>/../share/lowbit/, which is where the build and `cmake --install` put them;
LOWBIT_PWL_TABLES and LOWBIT_UNITS override them as they do for the command.
"""
import ctypes as C
import os

SONAME = "liblowbit.so.0"


class Error(C.Structure):
    _fields_ = [("msg", C.c_char * 256)]


class Format(C.Structure):  # lb_format
    _fields_ = [("family", C.c_void_p), ("name", C.c_char * 96), ("bits", C.c_int),
                ("round", C.c_int), ("srbits", C.c_int), ("scale", C.c_int),
                ("p", C.c_uint64 * 8)]


class QCtx(C.Structure):  # lb_qctx
    _fields_ = [("seed", C.c_uint64), ("tensor_id", C.c_uint64), ("step", C.c_uint64),
                ("round_override", C.c_int), ("threads", C.c_int), ("ndim", C.c_int),
                ("axis", C.c_int), ("dims", C.c_int64 * 8),
                ("scales_in", C.POINTER(C.c_float)), ("scales_out", C.POINTER(C.c_float))]


class FormatInfo(C.Structure):  # lb_format_info
    _fields_ = [("bits", C.c_int), ("max", C.c_double), ("min_pos", C.c_double),
                ("min_normal", C.c_double), ("precision", C.c_double),
                ("precision_absolute", C.c_int), ("scaled", C.c_int), ("block", C.c_int),
                ("scale_bits", C.c_int), ("bits_per_element", C.c_double),
                ("has_inf", C.c_int), ("has_nan", C.c_int), ("signed_zero", C.c_int),
                ("overflow", C.c_int), ("next_above_max", C.c_double),
                ("log_rounding", C.c_int), ("encodable", C.c_int),
                ("description", C.c_char * 160)]


class RegistryEntry(C.Structure):  # lb_registry_entry
    _fields_ = [("name", C.c_char_p), ("family", C.c_void_p), ("params", C.c_char_p),
                ("description", C.c_char_p)]


class MacModel(C.Structure):  # lb_mac_model
    _fields_ = [("kind", C.c_int), ("e", C.c_int), ("m", C.c_int), ("bits", C.c_int),
                ("frac", C.c_int), ("group", C.c_int), ("gbits", C.c_int), ("acc", C.c_int),
                ("gacc", C.c_int), ("table", C.c_int), ("acc_e", C.c_int), ("acc_m", C.c_int),
                ("promote", C.c_int), ("kahan", C.c_int)]


class Mac(C.Structure):  # lb_mac
    _fields_ = [("kind", C.c_int), ("e", C.c_int), ("m", C.c_int), ("bits", C.c_int),
                ("frac", C.c_int), ("group", C.c_int), ("gbits", C.c_int),
                ("acc_bits", C.c_int), ("gacc", C.c_int), ("table", C.c_int),
                ("acc_e", C.c_int), ("acc_m", C.c_int), ("promote", C.c_int), ("kahan", C.c_int),
                ("k", C.c_int), ("name", C.c_char * 128)]


class MacCost(C.Structure):  # lb_mac_cost
    _fields_ = [("energy_pj", C.c_double), ("area_um2", C.c_double), ("mult_pj", C.c_double),
                ("add_pj", C.c_double), ("other_pj", C.c_double)]


class GemmCall(C.Structure):  # lb_gemm_call
    _fields_ = [("pass_", C.c_int), ("ta", C.c_int), ("tb", C.c_int), ("M", C.c_int),
                ("N", C.c_int), ("K", C.c_int), ("alpha", C.c_float),
                ("A", C.POINTER(C.c_float)), ("B", C.POINTER(C.c_float)), ("beta", C.c_float),
                ("C", C.POINTER(C.c_float))]


class GemmStats(C.Structure):  # lb_gemm_stats
    _fields_ = [("calls", C.c_uint64), ("macs", C.c_uint64), ("overflows", C.c_uint64),
                ("underflows", C.c_uint64)]


class LnsAdder(C.Structure):  # lb_lns_adder
    _fields_ = [("frac", C.c_int), ("n", C.c_int32), ("maxlog", C.c_int32), ("approx", C.c_int),
                ("dp", C.POINTER(C.c_int32)), ("dm", C.POINTER(C.c_int32))]


class OpRow(C.Structure):  # lb_op_row
    _fields_ = [("layer", C.c_char * 48), ("pass_", C.c_char * 24), ("macs", C.c_int64),
                ("fmt_a", C.c_char * 96), ("fmt_b", C.c_char * 96), ("bytes_a", C.c_int64),
                ("bytes_b", C.c_int64), ("bytes_out", C.c_int64), ("batch", C.c_int64)]


class EnergyRow(C.Structure):  # lb_energy_row
    _fields_ = [("layer", C.c_char * 48), ("pass_", C.c_char * 24), ("mac", C.c_char * 128),
                ("macs", C.c_double), ("mac_pj", C.c_double), ("compute_pj", C.c_double),
                ("memory_pj", C.c_double), ("m", C.c_int64), ("n", C.c_int64), ("k", C.c_int64),
                ("tile_m", C.c_int64), ("tile_n", C.c_int64), ("bits_a", C.c_double),
                ("bits_b", C.c_double)]


class EnergyOpts(C.Structure):  # lb_energy_opts
    _fields_ = [("w_fmt", C.c_char_p), ("a_fmt", C.c_char_p), ("e_fmt", C.c_char_p),
                ("datapath", C.POINTER(MacModel)), ("acc_bits", C.c_int), ("fp_acc", C.c_int),
                ("buffer_bytes", C.c_double)]


def _candidates():
    env = os.environ.get("LOWBIT_LIBRARY")
    if env:
        return [env]  # an explicit choice: no fallback that would hide a wrong path
    here = os.path.dirname(os.path.abspath(__file__))
    return [os.path.join(here, os.pardir, os.pardir, "build", "lib", SONAME), SONAME]


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            return C.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError("lowbit: cannot load liblowbit (build it with CMake, or set "
                      "LOWBIT_LIBRARY): tried " + "; ".join(tried))


lib = _load()

# The layouts above mirror the public headers; the library says its own sizes and every field's
# offset and size (lb_abi_field), so a header change that the mirror missed stops the import
# here, naming the struct and field, instead of corrupting memory later.
lib.lb_abi_sizeof.restype = C.c_size_t
lib.lb_abi_sizeof.argtypes = [C.c_char_p]
lib.lb_abi_field.restype = C.c_int
lib.lb_abi_field.argtypes = [C.c_char_p, C.c_char_p, C.POINTER(C.c_size_t), C.POINTER(C.c_size_t)]
lib.lb_abi_nfields.restype = C.c_int
lib.lb_abi_nfields.argtypes = [C.c_char_p]
for _name, _cls in (("lb_error", Error), ("lb_format", Format), ("lb_qctx", QCtx),
                    ("lb_format_info", FormatInfo), ("lb_registry_entry", RegistryEntry),
                    ("lb_mac_model", MacModel), ("lb_mac", Mac), ("lb_mac_cost", MacCost),
                    ("lb_gemm_call", GemmCall), ("lb_gemm_stats", GemmStats),
                    ("lb_lns_adder", LnsAdder), ("lb_op_row", OpRow),
                    ("lb_energy_row", EnergyRow), ("lb_energy_opts", EnergyOpts)):
    _c = lib.lb_abi_sizeof(_name.encode())
    if _c != C.sizeof(_cls):
        raise ImportError(f"lowbit: {_name} is {_c} bytes in the library, {C.sizeof(_cls)} in "
                          f"python/lowbit/_lib.py: update the mirror of the header")
    # every field: the same offset and size (a reorder or a resize that keeps the total size)
    if lib.lb_abi_nfields(_name.encode()) != len(_cls._fields_):
        raise ImportError(f"lowbit: {_name} has {lib.lb_abi_nfields(_name.encode())} fields in "
                          f"the library, {len(_cls._fields_)} in python/lowbit/_lib.py: update "
                          f"the mirror of the header")
    for _f, _t in _cls._fields_:
        _off, _sz = C.c_size_t(), C.c_size_t()
        _cf = _f.rstrip("_")  # pass_ mirrors the C field pass
        _d = getattr(_cls, _f)
        if lib.lb_abi_field(_name.encode(), _cf.encode(), C.byref(_off), C.byref(_sz)) != 0:
            raise ImportError(f"lowbit: {_name}.{_cf} is not a field of the library's {_name}: "
                              f"update the mirror in python/lowbit/_lib.py")
        if (_off.value, _sz.value) != (_d.offset, _d.size):
            raise ImportError(f"lowbit: {_name}.{_cf} is at offset {_off.value} ({_sz.value} "
                              f"bytes) in the library, {_d.offset} ({_d.size} bytes) in "
                              f"python/lowbit/_lib.py: update the mirror of the header")


def library_path():
    """The file the library was loaded from (read from /proc/self/maps)."""
    addr = C.cast(lib.lb_version, C.c_void_p).value
    with open("/proc/self/maps") as fp:
        for line in fp:
            parts = line.split()
            lo, hi = (int(v, 16) for v in parts[0].split("-"))
            if lo <= addr < hi and len(parts) >= 6:
                return os.path.realpath(parts[5])
    return None


def data_path(name):
    """<library directory>/../share/lowbit/<name>."""
    p = library_path()
    return os.path.normpath(os.path.join(os.path.dirname(p), os.pardir, "share", "lowbit", name))


def _sig(name, res, *args):
    f = getattr(lib, name)
    f.restype = res
    f.argtypes = list(args)


_P = C.POINTER
_sig("lb_status_str", C.c_char_p, C.c_int)
_sig("lb_version", C.c_char_p)
_sig("lb_git_sha", C.c_char_p)
_sig("lb_compiler", C.c_char_p)
_sig("lb_blis_arch_setup", C.c_char_p)
_sig("lb_registry", _P(RegistryEntry), _P(C.c_int))
_sig("lb_format_parse", C.c_int, _P(Format), C.c_char_p, _P(Error))
_sig("lb_format_info_get", None, _P(Format), _P(FormatInfo))
_sig("lb_format_mac", C.c_int, _P(Format), _P(MacModel), _P(Error))
_sig("lb_mac_model_spec", None, _P(MacModel), C.c_char_p, C.c_size_t)
_sig("lb_round_parse", C.c_int, _P(C.c_int), C.c_char_p)
_sig("lb_round_name", C.c_char_p, C.c_int)
_sig("lb_quantize", C.c_int, _P(Format), C.c_void_p, C.c_void_p, C.c_size_t, _P(QCtx))
_sig("lb_encode", C.c_int, _P(Format), C.c_void_p, C.c_void_p, C.c_size_t, _P(QCtx))
_sig("lb_decode", C.c_int, _P(Format), C.c_void_p, C.c_void_p, C.c_size_t, _P(QCtx))
_sig("lb_gemm_create", C.c_int, _P(C.c_void_p), C.c_char_p, _P(Error))
_sig("lb_gemm_destroy", None, C.c_void_p)
_sig("lb_gemm_spec", C.c_char_p, C.c_void_p)
_sig("lb_gemm_run", C.c_int, C.c_void_p, _P(GemmCall))
_sig("lb_gemm_get_stats", None, C.c_void_p, _P(GemmStats))
_sig("lb_gemm_reset_stats", None, C.c_void_p)
_sig("lb_gemm_names", _P(C.c_char_p))
_sig("lb_gemm_describe", C.c_char_p, C.c_char_p)
_sig("lb_gemm_keys_help", C.c_char_p, C.c_char_p)
_sig("lb_gemm_lns_set_tables", None, C.c_char_p)
_sig("lb_gemm_set_threads", None, C.c_int)
_sig("lb_lns_adder_from_spec", C.c_int, _P(LnsAdder), C.c_int, C.c_int, C.c_char_p, C.c_char_p,
     _P(Error))
_sig("lb_lns_adder_free", None, _P(LnsAdder))
_sig("lb_units_load", C.c_int, _P(C.c_void_p), C.c_char_p, _P(Error))
_sig("lb_units_free", None, C.c_void_p)
_sig("lb_mac_parse", C.c_int, _P(Mac), C.c_char_p, _P(Error))
_sig("lb_results_read_ops", C.c_int, C.c_char_p, _P(_P(OpRow)), _P(C.c_size_t), _P(Error))
_sig("lb_energy_rows", C.c_int, C.c_void_p, _P(OpRow), C.c_size_t, _P(EnergyOpts),
     _P(EnergyRow), _P(Error))
libc = C.CDLL(None)  # free() for the rows lb_results_read_ops allocates
libc.free.argtypes = [C.c_void_p]
_sig("lb_mac_cost_get", C.c_int, C.c_void_p, _P(Mac), _P(MacCost), _P(Error))

# Defaults the command sets from its environment, here from the same variables, else the data
# files shipped beside the library.
PWL_TABLES = os.environ.get("LOWBIT_PWL_TABLES") or data_path("qaa_lns_pwl_tables.csv")
UNITS = os.environ.get("LOWBIT_UNITS") or data_path("horowitz45.csv")
lib.lb_gemm_lns_set_tables(PWL_TABLES.encode())
BLIS_ARCH = lib.lb_blis_arch_setup().decode()
