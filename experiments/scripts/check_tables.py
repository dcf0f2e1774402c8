#!/usr/bin/env python3
"""Compare regenerated tables with stored references, cell by cell, within tolerances.

    check_tables.py [--generated reports/generated] [--expected tests/expected]

tests/expected/tolerances.yaml lists the checked tables:

    quanterr:                       # reports/generated/quanterr.csv vs tests/expected/quanterr.csv
      key: [format, distribution]   # columns identifying a row
      columns:                      # checked columns: |got - ref| <= abs + rel * |ref|
        rms_rel_err: {abs: 0.0, rel: 1.0e-6}
      overrides:                    # optional: other tolerances for the rows that match
        - where: {distribution: normal}
          columns: {rms_rel_err: {abs: 0.0, rel: 1.0e-5}}

Only deterministic tables belong there (seeded experiments, not timings). Every row of the
reference must exist in the generated table; every cell out of tolerance is named.
Exit 0: all within tolerance; 1: some cells out of tolerance or rows missing; 2: a file is
missing or unreadable (one line saying which)."""
import argparse
import math
import os
import sys

import pandas as pd
import yaml


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", default="reports/generated")
    ap.add_argument("--expected", default="tests/expected")
    a = ap.parse_args()
    tol_path = os.path.join(a.expected, "tolerances.yaml")
    try:
        with open(tol_path) as fh:
            spec = yaml.safe_load(fh) or {}
    except OSError as e:
        print(f"check_tables: {tol_path}: {e.strerror}", file=sys.stderr)
        return 2
    bad = checked = 0
    for table, t in spec.items():
        gpath = os.path.join(a.generated, f"{table}.csv")
        epath = os.path.join(a.expected, f"{table}.csv")
        for p in (gpath, epath):
            if not os.path.exists(p):
                print(f"check_tables: {p}: missing (run the workflow first?)", file=sys.stderr)
                return 2
        got = pd.read_csv(gpath)
        ref = pd.read_csv(epath)
        key = t["key"]
        for p, df in ((gpath, got), (epath, ref)):
            lacking = [c for c in key if c not in df.columns]
            if lacking:
                print(f"check_tables: {p}: no key column {', '.join(lacking)} (a table of another "
                      "version? run the workflow again)", file=sys.stderr)
                return 2
        g = got.set_index(key)
        for _, row in ref.iterrows():
            k = tuple(row[c] for c in key) if len(key) > 1 else row[key[0]]
            kstr = ", ".join(f"{c}={v}" for c, v in zip(key, k if len(key) > 1 else (k,)))
            if k not in g.index:
                print(f"{table}: row ({kstr}) missing from the generated table")
                bad += 1
                continue
            grow = g.loc[k]
            cols = dict(t["columns"])
            for o in t.get("overrides", []):
                if all(str(row[c]) == str(v) for c, v in o["where"].items()):
                    cols.update(o["columns"])
            for col, tol in cols.items():
                checked += 1
                if col not in grow.index:
                    print(f"{table}: column {col} missing from the generated table")
                    bad += 1
                    continue
                r, v = float(row[col]), float(grow[col])
                lim = float(tol.get("abs", 0.0)) + float(tol.get("rel", 0.0)) * abs(r)
                same_nonfinite = (math.isnan(r) and math.isnan(v)) or (math.isinf(r) and r == v)
                if not same_nonfinite and not abs(v - r) <= lim:
                    print(f"{table}: ({kstr}) {col}: expected {r:.9g}, got {v:.9g}, "
                          f"tolerance {lim:.3g}")
                    bad += 1
    print(f"check_tables: {checked - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
