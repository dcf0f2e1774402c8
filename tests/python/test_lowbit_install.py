"""How the package is installed and how it finds liblowbit (python/lowbit/_lib.py): an offline
`pip install --no-build-isolation` of a copy of python/ imports and works with LOWBIT_LIBRARY;
without it the build tree beside the package is used, then the system loader
(LD_LIBRARY_PATH); an explicit LOWBIT_LIBRARY that does not exist is an ImportError naming it."""
import os
import shutil
import subprocess

import pytest
from lowbit_build import BUILD, LIB, ROOT, require

require()
PY = "/usr/bin/python3"
CHECK = ("import lowbit, numpy as np; "
         "print(lowbit.__file__); print(lowbit.library_path()); "
         "print(lowbit.quantize(np.float32([1.1, -3.3]), 'fp8_e4m3').tolist())")


def run(env_extra, cwd, code=CHECK):
    env = {k: v for k, v in os.environ.items()
           if k not in ("LOWBIT_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    env.update(env_extra)
    return subprocess.run([PY, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)


def test_pip_install_offline(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(os.path.join(ROOT, "python", "pyproject.toml"), src)
    shutil.copytree(os.path.join(ROOT, "python", "lowbit"), src / "lowbit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    r = subprocess.run([PY, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index",
                        "--no-deps", "--target", str(target), str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = run({"PYTHONPATH": str(target), "LOWBIT_LIBRARY": LIB}, tmp_path)
    assert r.returncode == 0, r.stderr
    mod, lib, vals = r.stdout.splitlines()
    assert mod.startswith(str(target)) and os.path.samefile(lib, LIB)
    assert vals == "[1.125, -3.25]"
    # the installed copy has no build tree beside it: without a library it says what it tried
    r = run({"PYTHONPATH": str(target)}, tmp_path)
    assert r.returncode != 0 and "cannot load liblowbit" in r.stderr


def test_system_loader(tmp_path):
    pkg = tmp_path / "pkg"  # a copy with no build tree beside it
    shutil.copytree(os.path.join(ROOT, "python", "lowbit"), pkg / "lowbit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    r = run({"PYTHONPATH": str(pkg), "LD_LIBRARY_PATH": os.path.join(BUILD, "lib")}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert os.path.samefile(r.stdout.splitlines()[1], LIB)


def test_build_tree_beside_package(tmp_path):
    beside = os.path.join(ROOT, "build", "lib", "liblowbit.so")
    if not os.path.exists(beside):
        pytest.skip("no <repo>/build: the tests use another build directory")
    r = run({"PYTHONPATH": os.path.join(ROOT, "python")}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert os.path.samefile(r.stdout.splitlines()[1], beside)


def test_missing_explicit_library(tmp_path):
    r = run({"PYTHONPATH": os.path.join(ROOT, "python"),
             "LOWBIT_LIBRARY": str(tmp_path / "liblowbit.so")}, tmp_path)
    assert r.returncode != 0
    assert "cannot load liblowbit" in r.stderr and str(tmp_path / "liblowbit.so") in r.stderr
