"""Shared helpers of the workflow scripts: reading the Fashion-MNIST IDX files, calling the
lowbit command, and writing tables as CSV + booktabs LaTeX (pandas' to_latex needs jinja2,
which Debian's python3-pandas does not pull in)."""
import gzip
import math
import os
import struct
import subprocess
import sys
import zlib

import numpy as np


class LowbitError(RuntimeError):
    pass


def run_lowbit(lowbit, args, stdin_bytes=None):
    """Run the lowbit command; raise with its one-line message on failure."""
    p = subprocess.run([lowbit] + list(args), input=stdin_bytes, capture_output=True)
    if p.returncode != 0:
        raise LowbitError(f"lowbit {' '.join(args)}: {p.stderr.decode().strip()}")
    return p.stdout


def quantize(lowbit, spec, x, round_mode="rne", seed=0):
    """Quantize a float32 array with `lowbit quantize --raw`."""
    x = np.ascontiguousarray(x, dtype="<f4")
    out = run_lowbit(lowbit, ["quantize", "--format", spec, "--round", round_mode,
                              "--seed", str(seed), "--raw"], x.tobytes())
    y = np.frombuffer(out, dtype="<f4")
    if y.size != x.size:
        raise LowbitError(f"lowbit quantize --format {spec}: {y.size} values out for {x.size} in")
    return y


_bpe = {}


def bits_per_element(lowbit, spec):
    """Storage bits per element including the amortised block-scale bits, as lowbit reports it
    (`lowbit formats --csv --spec`, column bits_per_element: MLS 1+E+M + G/group, MX bits + 8/32,
    others their width; a per-tensor scale is amortised over the tensor)."""
    if spec not in _bpe:
        import csv
        import io
        out = run_lowbit(lowbit, ["formats", "--csv", "--spec", spec]).decode()
        _bpe[spec] = float(next(csv.DictReader(io.StringIO(out)))["bits_per_element"])
    return _bpe[spec]


def read_idx_images(path):
    """IDX3 images (gzip or plain) as uint8 (N, H, W); clear errors for bad files."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file (install dataset-fashion-mnist)")
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        head = fh.read(16)
        if len(head) < 16:
            raise ValueError(f"{path}: truncated IDX header")
        magic, n, h, w = struct.unpack(">IIII", head)
        if magic != 0x00000803:
            raise ValueError(f"{path}: bad IDX3 magic 0x{magic:08x}")
        data = fh.read()
    if len(data) != n * h * w:
        raise ValueError(f"{path}: truncated: expected {n * h * w} pixel bytes, got {len(data)}")
    return np.frombuffer(data, dtype=np.uint8).reshape(n, h, w)


def tex_escape(s):
    s = str(s)
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"),
                 ("#", r"\#"), ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("^", r"\^{}"),
                 ("~", r"\~{}")):
        s = s.replace(a, b)
    return s


def write_table(df, stem, columns, caption, label, fmt=None, note=None):
    """Write df as <stem>.csv (all columns, full precision) and <stem>.tex (the listed
    columns as a booktabs table). columns: list of (column, header); fmt: column -> callable."""
    fmt = fmt or {}
    df.to_csv(stem + ".csv", index=False)
    align = "".join("l" if df[c].dtype == object else "r" for c, _ in columns)
    lines = [r"\begin{table}[htbp]", r"\centering\small", r"\begin{tabular}{" + align + "}",
             r"\toprule", " & ".join(h for _, h in columns) + r" \\", r"\midrule"]
    for _, row in df.iterrows():
        cells = []
        for c, _ in columns:
            v = row[c]
            if c in fmt:
                cells.append(fmt[c](v))
            elif isinstance(v, float):
                cells.append("--" if np.isnan(v) else f"{v:.3g}")
            else:
                cells.append(tex_escape(v))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    cap = caption + (f" {note}" if note else "")
    lines += [r"\caption{" + cap + "}", r"\label{" + label + "}", r"\end{table}", ""]
    with open(stem + ".tex", "w") as fh:
        fh.write("\n".join(lines))


def sci(v, digits=2):
    """A number in LaTeX scientific notation."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "--"
    if v == 0:
        return "0"
    m, e = f"{v:.{digits}e}".split("e")
    e = int(e)
    return f"${m}$" if e == 0 else f"${m}\\times10^{{{e}}}$"


SEAL_BYTES = 512  # lowbit/results.h: LB_RESULTS_SEAL_BYTES, the HDF5 user block
SEAL_MAGIC = b"lowbit-results 1\n"


def seal_block(crc, size):
    """The 512-byte user block lowbit writes for bytes after it with this CRC-32 and size;
    None for numbers it never writes."""
    if not (0 <= crc <= 0xFFFFFFFF and size >= 0):
        return None
    return (SEAL_MAGIC + f"crc32 {crc:08x}\nsize {size}\n".encode()).ljust(SEAL_BYTES, b"\0")


def verify_results(path):
    """None if path is a result file lowbit sealed and its bytes still match the seal
    (lowbit/results.h: "lowbit-results 1", the CRC-32 and size of the bytes after the 512-byte
    user block); else the one-line reason."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SEAL_BYTES)
            if len(head) < SEAL_BYTES or not head.startswith(SEAL_MAGIC):
                return (f"{path}: not a sealed lowbit result file (written by another program "
                        f"or by a lowbit older than the seal: rerun it)")
            try:
                fields = dict(line.split(" ", 1) for line in
                              head[len(SEAL_MAGIC):].rstrip(b"\0").decode("ascii").splitlines())
                want_crc, want_size = int(fields["crc32"], 16), int(fields["size"])
            except (ValueError, KeyError, UnicodeDecodeError):
                want_crc = want_size = None
            # the block those numbers give must be the file's, byte for byte (the split above
            # would take other spacing, signs or fields)
            if want_crc is None or seal_block(want_crc, want_size) != head:
                return f"{path}: damaged seal of a lowbit result file"
            crc, size = 0, 0
            while chunk := fh.read(1 << 20):
                crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    except OSError as e:
        return f"{path}: cannot read: {e.strerror}"
    if (crc, size) != (want_crc, want_size):
        return (f"{path}: checksum mismatch (sealed: crc32 {want_crc:08x}, {want_size} bytes; "
                f"now: {crc:08x}, {size} bytes): the file changed after lowbit wrote it")
    return None


def open_results(path):
    """h5py.File (read-only) of a lowbit result file whose seal was just checked; a file that
    fails the check ends the script with its one-line reason and exit status 2 before any
    HDF5 parsing, so a damaged or foreign file never reaches libhdf5 or a table."""
    import h5py
    why = verify_results(path)
    if why:
        print(why, file=sys.stderr)
        sys.exit(2)
    return h5py.File(path, "r")


def h5attr(f, key, default=None):
    """A root attribute of an open h5py file as str/number (bytes decoded); default if absent
    (None: a missing attribute is a KeyError)."""
    if key not in f.attrs:
        if default is None:
            raise KeyError(key)
        return default
    v = f.attrs[key]
    return v.decode() if isinstance(v, bytes) else v


VERDICT_COLOR = {"supported": "green!50!black", "partly": "orange!80!black",
                 "not supported": "red!70!black", "inconclusive": "blue!60!black",
                 "not tested here": "black!55", "smoke (not a verdict)": "black!55"}


def write_verdicts(path, verdicts):
    """The report's verdict list from verdict.Verdict objects (Claims.judge): one item per
    claim (id, statement from the ledger, coloured status, evidence); the same rows as CSV
    beside it (path with .csv) for the claims summary and the tolerance checker."""
    import csv
    with open(path, "w") as fh:
        fh.write("\\begin{itemize}\n")
        for v in verdicts:
            fh.write(f"\\item \\textbf{{{tex_escape(v.claim)}}} {tex_escape(v.statement)} --- "
                     f"\\textcolor{{{VERDICT_COLOR[v.label]}}}{{\\textbf{{{v.label}}}}}. {v.text}.\n")
        if not verdicts:
            fh.write("\\item (no claim judged in this section)\n")
        fh.write("\\end{itemize}\n")
    with open(os.path.splitext(path)[0] + ".csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["claim", "status", "label", "mean", "lo", "hi", "n", "scale", "diverged",
                    "converged", "baseline", "text"])
        for v in verdicts:
            w.writerow([v.claim, v.status, v.label, v.mean, v.lo, v.hi, v.n, v.scale, v.diverged,
                        v.converged, v.baseline, v.text])


def model_family(model):
    """The family a claim's conditions name (vgg16 -> vgg)."""
    return "vgg" if str(model).startswith("vgg") else str(model)


def final_acc(test_acc, last_epochs):
    """A run's test accuracy in percent: the median over its last `last_epochs` epochs (fewer if
    the run is shorter), so one lucky or unlucky last epoch does not decide a comparison."""
    a = np.asarray(test_acc, dtype=float)
    if a.size == 0:
        raise ValueError("final_acc: a run with no epochs")
    return 100.0 * float(np.median(a[-last_epochs:]))


def plateau(test_acc, last_epochs, points):
    """How far a run still moved at its end: (gain, status) with gain the median test accuracy
    (percent) of the last `last_epochs` epochs minus that of the window before it (which may be
    shorter, at least one epoch), and status "plateaued" (|gain| <= points), "still rising" or
    "falling"; (nan, "too few epochs") for a run of at most `last_epochs` epochs."""
    a = 100.0 * np.asarray(test_acc, dtype=float)
    if a.size <= last_epochs:
        return math.nan, "too few epochs"
    gain = float(np.median(a[-last_epochs:]) - np.median(a[-2 * last_epochs:-last_epochs]))
    return gain, ("plateaued" if abs(gain) <= points else "still rising" if gain > 0 else "falling")


def diverged(epochs_group, classes):
    """A run diverged if any epoch's training loss is not finite or its last test accuracy is
    within 2 points of chance (1/classes)."""
    import numpy as np
    loss = np.asarray(epochs_group["train_loss"][:], dtype=float)
    acc = float(epochs_group["test_acc"][-1])
    return bool((~np.isfinite(loss)).any() or (classes and acc <= 1.0 / classes + 0.02))


class Claims:
    """Verdicts of one report section: every verdict comes from the ledger entry and the one
    decision function (verdict.judge); `scale` says which configuration ran (default, smoke,
    cluster); smoke-scale verdicts are labelled "smoke (not a verdict)"."""

    def __init__(self, ledger_path, scale):
        import verdict
        self.ledger = verdict.load_ledger(ledger_path)
        acc = verdict.load_settings(ledger_path)
        self.last_epochs, self.plateau_points = acc["last_epochs"], acc["plateau_points"]
        self.scale = scale
        self.smoke = scale == "smoke"
        self.out = []

    def acc(self, test_acc):
        """A run's accuracy (percent) by the ledger's rule: median of the last epochs."""
        return final_acc(test_acc, self.last_epochs)

    def converged(self, baselines, name="FP32 baseline"):
        """(state, note): whether the baseline runs (their per-epoch test accuracy arrays) had
        plateaued, from the median over seeds of plateau()'s gain; state is one of
        verdict.BASELINE_STATES."""
        gains = [plateau(a, self.last_epochs, self.plateau_points)[0] for a in baselines]
        gains = [g for g in gains if not math.isnan(g)]
        if not gains:
            return ("too few epochs", f"{name}: too few epochs to tell whether it plateaued "
                    f"(needs more than {self.last_epochs})")
        g = float(np.median(gains))
        st = ("plateaued" if abs(g) <= self.plateau_points else "still rising" if g > 0 else "falling")
        return st, (f"{name} {st} ({g:+.2f} points between the last two {self.last_epochs}-epoch "
                    f"windows, limit {self.plateau_points:g})")

    def judge(self, cid, values, run, note="", diverged=0, baselines=None):
        """The verdict on `cid`; `baselines`: the FP32 baseline runs' test accuracy per epoch
        (one array per seed): their convergence is stated, and unless they plateaued the
        verdict is inconclusive (verdict.judge's `baseline`)."""
        import verdict
        if cid not in self.ledger:
            raise KeyError(f"claim '{cid}' is not in the ledger")
        v = verdict.judge(self.ledger[cid], values, run, smoke=self.smoke, diverged=diverged,
                          baseline=None if baselines is None else self.converged(baselines))
        v.statement = self.ledger[cid]["statement"]
        v.scale = self.scale
        if note:
            v.text += "; " + note
        self.out.append(v)
        return v

    def write(self, path):
        write_verdicts(path, self.out)
