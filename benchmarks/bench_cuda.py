"""The CUDA path against the CPU of the same machine, in one run: fit a table and a time series
for a fixed number of epochs on each device, sample on each, and check that a model fitted on
the GPU samples the same columns and dtypes, reproducibly, and loads on the CPU.

    python benchmarks/bench_cuda.py --data-dir ../shared/data --out cuda.json

Fidelity is not scored here (bench_tabular does that); this script measures speed and checks
that the GPU learns as much as the CPU in the same epochs (a few plain marginal distances)."""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import synthgen


def marginal_distance(real: pd.DataFrame, fake: pd.DataFrame) -> float:
    """Mean over columns of total variation (categories) or the KS statistic (numbers)."""
    from scipy.stats import ks_2samp

    out = []
    for c in real.columns:
        if pd.api.types.is_numeric_dtype(real[c]) and real[c].nunique() > 20:
            out.append(ks_2samp(real[c].dropna(), fake[c].dropna()).statistic)
        else:
            p = real[c].astype(str).value_counts(normalize=True)
            q = fake[c].astype(str).value_counts(normalize=True)
            out.append(0.5 * p.sub(q, fill_value=0).abs().sum())
    return float(np.mean(out))


def timed(fn, *args, **kwargs):
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


def table(df: pd.DataFrame, epochs: int, rows: int, gpu_device: str) -> dict:
    out = {}
    models = {}
    for dev in (gpu_device, "cpu"):
        model, fit_s = timed(synthgen.Synthesizer(epochs=epochs, seed=0, device=dev).fit, df)
        models[dev] = model
        model.sample(2000, seed=9, device=dev)  # warm-up
        sampled, sample_s = timed(model.sample, rows, seed=1, device=dev)
        out[dev] = {"fit_s": round(fit_s, 2), "fit_s_per_epoch": round(fit_s / epochs, 2),
                    "sample_rows_per_s": round(rows / sample_s),
                    "marginal_distance": round(marginal_distance(df, sampled), 4)}
        print(dev, out[dev], flush=True)
    gpu = models[gpu_device]
    for batch in (4096, 16384):
        _, s = timed(gpu.sample, rows, seed=1, device=gpu_device, batch_size=batch)
        out[gpu_device][f"sample_rows_per_s_batch_{batch}"] = round(rows / s)
    first = gpu.sample(5000, seed=3, device=gpu_device)
    again = gpu.sample(5000, seed=3, device=gpu_device)
    with tempfile.TemporaryDirectory() as tmp:
        gpu.save(Path(tmp) / "m.safetensors")
        on_cpu = synthgen.load(Path(tmp) / "m.safetensors").sample(5000, seed=3)
    out["checks"] = {"same_seed_identical": first.to_csv(index=False) == again.to_csv(index=False),
                     "dtypes_equal_input": bool(first.dtypes.equals(df.dtypes)),
                     "loads_and_samples_on_cpu": bool(on_cpu.dtypes.equals(df.dtypes))}
    return out | speedups(out, gpu_device, "sample_rows_per_s")


def series(df: pd.DataFrame, epochs: int, windows: int, gpu_device: str) -> dict:
    out = {}
    for dev in (gpu_device, "cpu"):
        model, fit_s = timed(synthgen.Synthesizer(sequential=True, window=24, epochs=epochs, seed=0,
                                                   device=dev).fit, df)
        sampled, sample_s = timed(model.sample, windows, length=24, seed=1, device=dev)
        out[dev] = {"fit_s": round(fit_s, 2), "fit_s_per_epoch": round(fit_s / epochs, 2),
                    "sample_windows_per_s": round(windows / sample_s), "rows": len(sampled),
                    "marginal_distance": round(marginal_distance(df, sampled[df.columns]), 4)}
        print(dev, out[dev], flush=True)
    return out | speedups(out, gpu_device, "sample_windows_per_s")


def speedups(out: dict, gpu_device: str, rate: str) -> dict:
    return {"speedup_fit": round(out["cpu"]["fit_s"] / out[gpu_device]["fit_s"], 2),
            "speedup_sample": round(out[gpu_device][rate] / out["cpu"][rate], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--table", default="adult")
    ap.add_argument("--series", default="energy")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--series-epochs", type=int, default=2)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--windows", type=int, default=2000)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--gpu", default="cuda", help=argparse.SUPPRESS)  # --gpu cpu: a dry run without one
    args = ap.parse_args()
    if args.gpu == "cuda" and not torch.cuda.is_available():
        raise SystemExit("torch sees no CUDA GPU here")
    result = {"gpu": torch.cuda.get_device_name(0) if args.gpu == "cuda" else args.gpu,
              "torch": torch.__version__, "python": platform.python_version(),
              "cpu_threads": torch.get_num_threads(), "synthgen": synthgen.__version__, "pandas": pd.__version__,
              "epochs": args.epochs, "series_epochs": args.series_epochs}
    print(result, flush=True)
    df = pd.read_csv(args.data_dir / args.table / f"{args.table}.csv")
    result["table"] = {"dataset": args.table, "rows": len(df)} | table(df, args.epochs, args.rows, args.gpu)
    ts = pd.read_csv(args.data_dir / args.series / f"{args.series}.csv")
    ts = ts.drop(columns=["date"], errors="ignore")  # the protocol learns energy without its date
    result["series"] = {"dataset": args.series, "rows": len(ts)} | series(ts, args.series_epochs, args.windows, args.gpu)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
