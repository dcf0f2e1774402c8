"""Where the Python binding's tests (test_lowbit_*.py) find the build: LOWBIT_BUILD_DIR (set by
scripts/run-tests.sh, which builds it first: then a missing file is an error), else <repo>/build
(a missing library then skips the module). Makes `import lowbit` load that build's library."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("LOWBIT_BUILD_DIR", os.path.join(ROOT, "build"))
LIB = os.path.join(BUILD, "lib", "liblowbit.so")
CLI = os.path.join(BUILD, "bin", "lowbit")


def require(*paths):
    """Skip the calling test module (or fail under run-tests.sh) unless paths exist."""
    missing = [p for p in (LIB,) + paths if not os.path.exists(p)]
    if missing:
        if os.environ.get("LOWBIT_BUILD_DIR"):
            raise RuntimeError(f"missing from the build: {', '.join(missing)}")
        pytest.skip(f"not built: {', '.join(missing)}", allow_module_level=True)
    os.environ.setdefault("LOWBIT_LIBRARY", LIB)
    if os.path.join(ROOT, "python") not in sys.path:
        sys.path.insert(0, os.path.join(ROOT, "python"))
