"""experiments/peers/paired_timing.py (the workflow's timing_pairs job) reads the result files it
just had lowbit write only after their seal check, and refuses an epoch time that is not a
finite positive number, with one line and exit 2 before writing its CSV."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lowbit_build import CLI, ROOT, require  # noqa: E402

require(CLI)
SCRIPT = os.path.join(ROOT, "experiments", "peers", "paired_timing.py")
SMALL = ["--model", "mlp", "--rounds", "1", "--train-subset", "300", "--test-subset", "100",
         "--threads", "1"]


def run(tmp_path, lowbit, *extra):
    out = tmp_path / "pairs.csv"
    p = subprocess.run([sys.executable, SCRIPT, "--lowbit", str(lowbit), *SMALL, *extra,
                        "--out", str(out)], capture_output=True, text=True)
    return p, out


def fake_lowbit(tmp_path, body):
    """An executable standing in for lowbit: `train ... --out FILE` runs body (Python) with
    FILE as sys.argv[1]."""
    exe = tmp_path / "fake_lowbit"
    exe.write_text(f"""#!{sys.executable}
import sys
args = sys.argv[1:]
sys.argv = [sys.argv[0], args[args.index("--out") + 1]]
{body}
""")
    exe.chmod(0o755)
    return exe


def test_real_run_writes_positive_seconds(tmp_path):
    p, out = run(tmp_path, CLI)
    assert p.returncode == 0, p.stderr
    header, row = out.read_text().splitlines()
    values = dict(zip(header.split(","), row.split(",")))
    assert float(values["lowbit_fp32_s"]) > 0 and float(values["lowbit_bf16_s"]) > 0


def test_unsealed_result_is_refused(tmp_path):
    # an HDF5 file with the right layout, not written by lowbit: no seal, never parsed
    exe = fake_lowbit(tmp_path, """import h5py
with h5py.File(sys.argv[1], "w") as f:
    f.create_group("epochs").create_dataset("seconds", data=[1.0])
""")
    p, out = run(tmp_path, exe)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a sealed lowbit result file" in lines[0], p.stderr
    assert not out.exists() and not (tmp_path / "pairs.csv.tmp").exists()


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "x", None])
def test_bad_seconds_stop_the_script(value, capsys):
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import paired_timing
    with pytest.raises(SystemExit) as e:
        paired_timing.seconds(value, "pt.csv: column seconds")
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pt.csv: column seconds" in err[0] and "finite number > 0" in err[0]
    assert paired_timing.seconds("0.25", "x") == 0.25
