"""liblowbit.so (cmake/shared_library.cmake): versioned SONAME, and exactly the functions of the
public headers exported (nm -D): every exported symbol is declared in lib/include/lowbit/*.h,
and internal functions of the static library (the GEMM registry's packers, the families' vtables,
the model internals) are not visible."""
import os
import re
import subprocess

from lowbit_build import BUILD, LIB, ROOT, require

require()


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def exported():
    out = run("nm", "-D", "--defined-only", LIB)
    syms = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}
    return {s for s in syms if not s.startswith("LOWBIT_")}


def declared():
    names = set()
    hdir = os.path.join(ROOT, "lib", "include", "lowbit")
    for h in os.listdir(hdir):
        with open(os.path.join(hdir, h)) as fp:
            names |= set(re.findall(r"\b(lb_\w+)\s*\(", fp.read()))
    return names


def test_soname_is_versioned():
    out = run("readelf", "-d", LIB)
    m = re.search(r"SONAME\)\s+Library soname: \[(.*)\]", out)
    assert m and re.fullmatch(r"liblowbit\.so\.\d+", m.group(1)), out
    assert os.path.islink(LIB) and os.path.exists(os.path.join(BUILD, "lib", m.group(1)))


def test_only_public_functions_exported():
    exp = exported()
    extra = exp - declared()
    assert not extra, f"exported but not in a public header: {sorted(extra)}"
    for f in ("lb_format_parse", "lb_quantize", "lb_encode", "lb_decode", "lb_registry",
              "lb_gemm_create", "lb_gemm_run", "lb_lns_adder_from_spec", "lb_mac_cost_get"):
        assert f in exp


def test_internal_symbols_hidden():
    static = run("nm", "--defined-only", os.path.join(BUILD, "liblowbit.a"))
    internal = {line.split()[-1] for line in static.splitlines()
                if re.match(r"^[0-9a-f]+ [TDBR] lb_", line)} - declared()
    assert len(internal) > 20  # the static library does have internals (lb_kv_split, ...)
    assert not internal & exported()
