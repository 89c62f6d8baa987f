"""Reverse-diffusion settings of the score head compared on the same fitted models: each setting
samples len(train) rows from a model that `bench_tabular.py --keep DIR` kept, and the table is
scored exactly as bench_tabular scores it (shape and trend error, tree detector, ...).

    python benchmarks/bench_solvers.py DIR/default-* DIR/magic-* \\
        --settings heun:16:10:0.05:3,dpm2m:20:10:0.02:7

A setting is solver:steps:sigma_max:sigma_min:rho (see synthgen/diffusion.py, EDMConfig). Every
setting samples with the same seed, one after the other in the same process, so the rows per
second are comparable as ratios even on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import bench_tabular as bt
import pandas as pd


def parse_setting(text: str) -> dict:
    solver, steps, smax, smin, rho = text.split(":")
    return {"solver": solver, "steps": int(steps), "sigma_max": float(smax), "sigma_min": float(smin),
            "rho": float(rho)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="folders kept by bench_tabular.py --keep")
    ap.add_argument("--settings", required=True, help="comma-separated solver:steps:sigma_max:sigma_min:rho")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="threads of the metric models and of torch")
    ap.add_argument("--detector-rows", type=int, default=50_000)
    ap.add_argument("--out", type=Path, help="JSON file for the results")
    args = ap.parse_args()

    import torch

    import synthgen
    from synthgen.schema import Schema

    torch.set_num_threads(args.threads)
    results = []
    for run in args.runs:
        spec = json.loads((run / "spec.json").read_text())
        train, holdout = pd.read_parquet(run / "train.parquet"), pd.read_parquet(run / "holdout.parquet")
        schema = Schema.from_dict(spec["schema"])
        synth = synthgen.load(run / bt.MODEL_FILE)
        edm = synth.model_.cfg.edm  # the score head reads this same object
        synth.sample(1000, seed=1)  # warm-up
        for text in args.settings.split(","):
            for key, value in parse_setting(text).items():
                setattr(edm, key, value)
            start = time.perf_counter()
            table = synth.sample(len(train), seed=args.seed)
            rate = len(train) / (time.perf_counter() - start)
            metrics = bt.score(train, table, holdout, schema, spec["target"], "synthetic", args)
            row = {"run": str(run), "setting": text, "rows_per_s": rate, **metrics}
            results.append(row)
            print(f"{run.name} {text}: {rate:,.0f} rows/s, shape {metrics['shape_error_pct']:.2f} %, "
                  f"trend {metrics['trend_error_pct']:.2f} %, tree AUC {metrics['tree_detector_auc']:.3f}, "
                  f"ML {metrics['ml_train_on_synthetic']}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
