"""Time `synthgen report` on adult: 26,048 real training rows vs as many synthetic rows, with
the 6,513-row holdout and target `income` (the issue's target: at most 60 s on 2 cores).

    python benchmarks/bench_report.py                      # stand-in synthetic table
    python benchmarks/bench_report.py --synthetic s.csv    # e.g. a synthgen sample

Without --synthetic the table judged is a STAND-IN, not a model's output: training rows
drawn with replacement, then 30% of the cells in every column replaced by that column's value
in another random training row. It has realistic sizes, dtypes and missing values, which is
what the timing depends on; its scores say nothing about synthgen's model.

The command runs in a fresh process (imports included), exactly as a user would run it; the
per-family times come from the report's JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "data" / "adult" / "adult.csv"
N_TRAIN = 26_048  # 80% of adult's 32,561 rows, the usual split


def split(df: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same 80/20 split as bench_tabular.py, so its synthgen samples are judged against
    the rows they were trained on and the holdout they never saw."""
    from sklearn.model_selection import train_test_split

    train, holdout = train_test_split(df, test_size=0.2, random_state=seed)
    assert len(train) == N_TRAIN
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


def stand_in(train: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = train.sample(len(train), replace=True, random_state=seed).reset_index(drop=True)
    for col in out.columns:
        swap = rng.random(len(out)) < 0.3
        donors = rng.integers(0, len(train), swap.sum())
        out.loc[swap, col] = train[col].to_numpy()[donors]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ADULT)
    ap.add_argument("--synthetic", type=Path, help="synthetic table to judge (default: stand-in)")
    ap.add_argument("--keep", type=Path, help="folder to keep report.html / report.json in")
    args = ap.parse_args()

    train, holdout = split(pd.read_csv(args.data))
    work = Path(tempfile.mkdtemp(prefix="bench_report_"))
    out = args.keep or work
    out.mkdir(parents=True, exist_ok=True)
    train.to_csv(work / "train.csv", index=False)
    holdout.to_csv(work / "holdout.csv", index=False)
    if args.synthetic is None:
        synthetic_path, label = work / "synthetic.csv", "stand-in (resampled train rows, 30% of cells swapped)"
        stand_in(train).to_csv(synthetic_path, index=False)
    else:
        synthetic_path, label = args.synthetic, str(args.synthetic)

    cmd = [sys.executable, "-c", "import sys; from synthgen.cli import main; sys.argv[0] = 'synthgen'; main()",
           "report", str(work / "train.csv"), str(synthetic_path), "--holdout", str(work / "holdout.csv"),
           "--target", "income", "-o", str(out / "report.html"), "--json", str(out / "report.json")]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"synthgen report failed ({proc.returncode}):\n{proc.stderr}")
    doc = json.loads((out / "report.json").read_text())
    print(proc.stdout)
    print(f"synthetic table: {label}")
    print(f"rows: real {len(train):,}, synthetic {doc['inputs']['synthetic']['rows']:,}, "
          f"holdout {len(holdout):,}; columns {train.shape[1]}")
    print("seconds per family: " + ", ".join(f"{k} {v:.1f}" for k, v in doc["timings"].items()))
    print(f"wall time of `synthgen report` (fresh process, CSV reading and imports included): {wall:.1f} s")
    print(f"budget 60 s: {'OK' if wall <= 60 else 'OVER'}")
    print(f"report: {out / 'report.html'}")


if __name__ == "__main__":
    main()
