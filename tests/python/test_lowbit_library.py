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


def _import_with_mirror(tmp_path, edit):
    """Import a copy of the binding whose _lib.py went through edit (old, new); the import's
    stderr and exit status."""
    import shutil
    tmp_path = tmp_path / f"copy{len(list(tmp_path.iterdir()))}"
    pkg = tmp_path / "lowbit"
    shutil.copytree(os.path.join(ROOT, "python", "lowbit"), pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    src = (pkg / "_lib.py").read_text()
    assert edit[0] in src, edit[0]
    (pkg / "_lib.py").write_text(src.replace(edit[0], edit[1], 1))
    env = dict(os.environ, LOWBIT_LIBRARY=LIB, PYTHONPATH=str(tmp_path))
    p = subprocess.run(["/usr/bin/python3", "-c", "import lowbit"], capture_output=True,
                       text=True, env=env, cwd=str(tmp_path))
    return p.returncode, p.stderr


def test_mirror_checked_field_by_field(tmp_path):
    """The struct mirrors are checked field by field against the library (lb_abi_field): two
    int fields swapped keep the size but are caught, naming the struct and the field; so is a
    field the library does not have; the unchanged mirror imports."""
    assert _import_with_mirror(tmp_path, ("", ""))[0] == 0
    rc, err = _import_with_mirror(
        tmp_path, ('("acc_e", C.c_int), ("acc_m", C.c_int)', '("acc_m", C.c_int), ("acc_e", C.c_int)'))
    assert rc != 0 and "lb_mac_model.acc_m is at offset" in err, err
    rc, err = _import_with_mirror(tmp_path, ('("ta", C.c_int)', '("tx", C.c_int)'))
    assert rc != 0 and "lb_gemm_call.tx is not a field" in err, err
