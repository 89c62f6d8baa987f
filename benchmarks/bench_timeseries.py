"""Time-series benchmark (issue 4): synthgen (and, with --with-peers, SDV's PARSynthesizer and
MOSTLY AI's engine in sequential mode) on the shared time-series datasets.

    python benchmarks/bench_timeseries.py                          # stocks, energy, beijing_multisite
    python benchmarks/bench_timeseries.py --datasets stocks --max-minutes 20
    ~/venv-bench/bin/python benchmarks/bench_timeseries.py --datasets beijing_multisite --with-peers
    python benchmarks/bench_timeseries.py --datasets stocks --max-minutes 1 --quick   # smoke run

stocks (timegan_stock) and energy: the TimeGAN / Diffusion-TS protocol. The whole series is
learned (energy without its date column, as the protocol does) as one long series with
windows of 24 steps; as many 24-step series are sampled as the data has windows (stride 1), at most
--max-synthetic-windows (5,000: the scores compare equal numbers of windows a side).
Scores on min-max scaled windows: the discriminative score (a GRU told to separate real and
synthetic windows, |test accuracy - 0.5|) and the predictive score (a GRU trained on
synthetic windows predicts the last feature one step ahead on the real windows, mean
absolute error; beside it the same model trained on the real windows). Each score is the
mean over --score-runs seeds, with its standard deviation. Like the published figures,
these are in-sample: the generator saw the real series.

beijing_multisite: 12 stations x 35,064 hours, cut into sequences of --chunk hours (a week
by default; the entity is station + week, station is its context column); 80 % of the
sequences (at random, --split-seed) are the training set, the rest the holdout. Every
synthesizer is fitted on the training sequences within the budget and samples as many
sequences (peers at most --peer-max-sequences); `synthgen.evaluate` scores them against the training set with the holdout as the
ceiling (the report's time-series section: sequence lengths, lag-1 coherence,
autocorrelation, discriminative and predictive scores, plus column shapes), and the order
column is checked: increasing within every sequence and on the real grid of 1-hour steps.

Each synthesizer runs in its own subprocess (this script with --worker), which reports its
own peak memory (VmHWM). Results: printed, and saved as JSON to --out-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = BENCH_DIR / "results"
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

from synthgen.api import HISTORY_NOISE  # noqa: E402  (after the path: this checkout's synthgen)

PROTOCOL = {"stocks": ("timegan_stock", []), "energy": ("energy", ["date"])}  # name -> (folder, dropped)
PANEL = "beijing_multisite"
WINDOW = 24
CHUNK_KEY = "sequence"
# PAR samples one sequence at a time at a cost that grows with the square of its length
# (3.4 s for one 168-step sequence here), so peers sample at most this many sequences
PEER_MAX_SEQUENCES = 300
PUBLISHED = {  # TimeGAN (NeurIPS 2019) and Diffusion-TS (ICLR 2024) tables, 24-step windows
    "stocks": {"discriminative": {"TimeGAN": 0.102, "Diffusion-TS": 0.067}, "predictive_real": 0.036},
    "energy": {"discriminative": {"TimeGAN": 0.236, "Diffusion-TS": 0.122}, "predictive_real": 0.250},
}


# ---- data ---------------------------------------------------------------------------------
def load_protocol(data_dir: Path, name: str) -> pd.DataFrame:
    folder, dropped = PROTOCOL[name]
    return pd.read_csv(data_dir / folder / f"{folder}.csv").drop(columns=dropped)


def load_panel(data_dir: Path, chunk: int, split_seed: int, stations: int | None):
    df = pd.read_csv(data_dir / PANEL / f"{PANEL}.csv")
    meta = json.loads((data_dir / PANEL / "meta.json").read_text())
    if stations:
        df = df[df["station"].isin(sorted(df["station"].unique())[:stations])]
    week = (df["No"] - 1) // chunk
    df.insert(0, CHUNK_KEY, df["station"] + "-" + week.astype(str).str.zfill(4))
    keys = df[CHUNK_KEY].unique()
    rng = np.random.default_rng(split_seed)
    hold = set(rng.choice(keys, size=len(keys) // 5, replace=False))
    is_hold = df[CHUNK_KEY].isin(hold)
    kinds = dict(meta["kinds"], **{CHUNK_KEY: "categorical", "No": "integer"})
    return df[~is_hold].reset_index(drop=True), df[is_hold].reset_index(drop=True), kinds


# ---- workers (subprocesses) ----------------------------------------------------------------
def worker(name: str, work: Path) -> None:
    from bench_tabular import children_peak_rss_mb, own_peak_rss_mb

    spec = json.loads((work / "spec.json").read_text())
    if spec["threads"]:
        import torch

        torch.set_num_threads(spec["threads"])
    train = pd.read_parquet(work / "train.parquet")
    start = time.perf_counter()
    if name == "synthgen":
        synthetic, run = _synthgen(train, spec, work)
    else:
        import peers_timeseries

        n = min(spec["n"], spec.get("peer_max_sequences", PEER_MAX_SEQUENCES))
        synthetic, run = peers_timeseries.fit_sample(
            name, train, entity=spec["entity"], order=spec["order"], context=spec["context"],
            kinds=spec["kinds"], n_entities=n, length=spec["length"],
            max_minutes=spec["max_minutes"], seed=spec["seed"])
        run["sequences_sampled"] = n
    run["total_s"] = time.perf_counter() - start
    run["peak_rss_mb"] = max(own_peak_rss_mb(), children_peak_rss_mb())
    synthetic.to_parquet(work / f"{name}.parquet", index=False)
    (work / f"{name}.run.json").write_text(json.dumps(run, indent=2, default=str))


def _synthgen(train: pd.DataFrame, spec: dict, work: Path):
    import synthgen

    start = time.perf_counter()
    model = synthgen.Synthesizer(entity=spec["entity"], order=spec["order"],
                                 sequential=spec["entity"] is None, window=spec["window"],
                                 max_minutes=spec["max_minutes"], epochs=spec.get("epochs"), seed=spec["seed"],
                                 history_noise=spec["history_noise"]).fit(train)
    fit_s = time.perf_counter() - start
    model.save(work / "synthgen.safetensors")
    loaded = synthgen.load(work / "synthgen.safetensors")
    start = time.perf_counter()
    synthetic = loaded.sample(spec["n"], length=spec["length"], seed=spec["seed"])
    sample_s = time.perf_counter() - start
    return synthetic, {"fit_s": fit_s, "sample_s": sample_s, "rows": len(synthetic),
                       "epochs": len(model.history_), "best_epoch": model.best_epoch_,
                       "stopped_by": model.stopped_by_, "version": synthgen.__version__}


def reused_run(name: str, work: Path) -> dict | None:
    """The run a worker finished earlier in ``work`` (--reuse-runs: score it again)."""
    run_file = work / f"{name}.run.json"
    if run_file.is_file() and (work / f"{name}.parquet").is_file():
        return json.loads(run_file.read_text()) | {"reused": True}
    return None


def run_worker(name: str, work: Path, spec: dict, timeout_s: float) -> dict:
    (work / "spec.json").write_text(json.dumps(spec))
    env = dict(os.environ)
    if spec["threads"]:
        env["OMP_NUM_THREADS"] = str(spec["threads"])
    log = work / f"{name}.log"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--work-dir", str(work)]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=work, env=env)
        try:
            status = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = "timeout"
    run_file = work / f"{name}.run.json"
    if status != 0 or not run_file.is_file():
        tail = log.read_text(errors="replace").strip().splitlines()[-12:]
        return {"error": f"{name} failed ({status}); log {log}:\n" + "\n".join(tail)}
    return json.loads(run_file.read_text())


# ---- scoring -------------------------------------------------------------------------------
def protocol_scores(real: pd.DataFrame, synthetic: pd.DataFrame, runs: int, quick: bool) -> dict:
    """Discriminative and predictive scores on min-max scaled 24-step windows."""
    from synthgen.report.seqscores import discriminative_score, predictive_mae, train_predictor

    cols = list(real.columns)
    lo, hi = real.min().to_numpy(float), real.max().to_numpy(float)
    scale = lambda df: np.clip((df[cols].to_numpy(float) - lo) / np.where(hi > lo, hi - lo, 1), 0, 1)  # noqa: E731
    x = scale(real)
    real_w = np.stack([x[i:i + WINDOW] for i in range(len(x) - WINDOW + 1)]).astype(np.float32)
    y = scale(synthetic)
    syn_w = np.stack([y[g] for g in synthetic.groupby("series").indices.values()]).astype(np.float32)
    disc_it, pred_it = (200, 300) if quick else (2000, 5000)
    disc, tstr, trtr = [], [], []
    for seed in range(runs):
        disc.append(discriminative_score(real_w, syn_w, iterations=disc_it, seed=seed)["score"])
        tstr.append(predictive_mae(train_predictor(syn_w, iterations=pred_it, seed=seed), real_w))
        trtr.append(predictive_mae(train_predictor(real_w, iterations=pred_it, seed=seed), real_w))
    stat = lambda v: {"mean": float(np.mean(v)), "std": float(np.std(v)), "runs": [float(a) for a in v]}  # noqa: E731
    return {"windows": {"real": len(real_w), "synthetic": len(syn_w)},
            "discriminative": stat(disc), "predictive_synthetic": stat(tstr), "predictive_real": stat(trtr),
            "predictive_gap_pct": 100 * (np.mean(tstr) / np.mean(trtr) - 1),
            "iterations": {"discriminative": disc_it, "predictive": pred_it}}


def order_validity(df: pd.DataFrame, entity: str, order: str, step: float) -> dict:
    d = df.groupby(entity, sort=False)[order].diff().dropna()
    return {"increasing": float((d > 0).mean()), "on_grid": float((d == step).mean())}


def panel_scores(train, synthetic, holdout, kinds, quick: bool) -> dict:
    import synthgen

    opts = {"disc_iterations": 200, "pred_iterations": 300} if quick else None
    doc = synthgen.evaluate(train, synthetic, holdout, schema=None, entity=CHUNK_KEY, order="No",
                            context=["station"], window=WINDOW, ts_options=opts,
                            max_rows={"detection": 5000, "privacy": 2000}).to_dict()
    return {"timeseries": doc.get("timeseries"), "scores": doc["scores"],
            "shape_error": doc["fidelity"]["shape_error"], "trend_error": doc["fidelity"]["trend_error"]}


# ---- driver --------------------------------------------------------------------------------
def bench_protocol(name: str, args, out: dict) -> None:
    real = load_protocol(args.data_dir, name)
    work = args.work_dir / name
    work.mkdir(parents=True, exist_ok=True)
    real.to_parquet(work / "train.parquet", index=False)
    n = min(len(real) - WINDOW + 1, args.max_synthetic_windows)
    spec = {"entity": None, "order": None, "context": [], "kinds": {}, "n": n, "length": WINDOW,
            "window": WINDOW, "max_minutes": args.max_minutes, "epochs": args.epochs, "seed": args.seed,
            "threads": args.threads, "history_noise": args.history_noise}
    run = reused_run("synthgen", work) if args.reuse_runs else None
    run = run or run_worker("synthgen", work, spec, args.max_minutes * 60 * 2 + 1800)
    res = {"run": run}
    if "error" not in run:
        synthetic = pd.read_parquet(work / "synthgen.parquet")
        t0 = time.perf_counter()
        res["scores"] = protocol_scores(real, synthetic, args.score_runs, args.quick)
        res["scoring_s"] = time.perf_counter() - t0
    res["published"] = PUBLISHED[name]
    out[name] = res
    _print_protocol(name, res)


def bench_panel(args, out: dict) -> None:
    train, holdout, kinds = load_panel(args.data_dir, args.chunk, args.split_seed, args.stations)
    work = args.work_dir / PANEL
    work.mkdir(parents=True, exist_ok=True)
    train.to_parquet(work / "train.parquet", index=False)
    n = train[CHUNK_KEY].nunique()
    spec = {"entity": CHUNK_KEY, "order": "No", "context": ["station"], "kinds": kinds, "n": n,
            "length": None, "window": 32, "max_minutes": args.max_minutes, "epochs": args.epochs, "seed": args.seed,
            "threads": args.threads, "peer_max_sequences": args.peer_max_sequences,
            "history_noise": args.history_noise}
    res = {"sequences": {"train": n, "holdout": holdout[CHUNK_KEY].nunique(), "chunk": args.chunk}}
    names = ["synthgen"] + (["sdv-par", "mostlyai-seq"] if args.with_peers else [])
    if not args.skip_holdout:
        res["holdout"] = panel_scores(train, holdout, None, kinds, args.quick)  # the ceiling
        res["holdout"]["order"] = order_validity(holdout, CHUNK_KEY, "No", 1)
    for name in names:
        if name != "synthgen":
            import peers_timeseries

            why = peers_timeseries.unavailable(name)
            if why:
                res[name] = {"error": why}
                continue
        run = run_worker(name, work, spec, args.max_minutes * 60 * 2 + 3600)
        entry = {"run": run}
        if "error" not in run:
            synthetic = pd.read_parquet(work / f"{name}.parquet")
            t0 = time.perf_counter()
            entry.update(panel_scores(train, synthetic, holdout, kinds, args.quick))
            entry["order"] = order_validity(synthetic, CHUNK_KEY, "No", 1)
            entry["scoring_s"] = time.perf_counter() - t0
        res[name] = entry
        _print_panel_row(name, entry)
    out[PANEL] = res


def _print_protocol(name: str, res: dict) -> None:
    run = res["run"]
    if "error" in run:
        print(f"{name}: {run['error']}")
        return
    s = res["scores"]
    print(f"{name}: discriminative {s['discriminative']['mean']:.3f} +/- {s['discriminative']['std']:.3f}; "
          f"predictive {s['predictive_synthetic']['mean']:.4f} (train on real {s['predictive_real']['mean']:.4f}, "
          f"{s['predictive_gap_pct']:+.1f} %); fit {run['fit_s']:.0f} s ({run['stopped_by']}), "
          f"sample {run['sample_s']:.0f} s, peak {run['peak_rss_mb']:.0f} MB", flush=True)


def _print_panel_row(name: str, e: dict) -> None:
    if "error" in e.get("run", e):
        print(f"{PANEL} {name}: {e.get('run', e)['error']}", flush=True)
        return
    ts, run = e["timeseries"] or {}, e["run"]
    pick = lambda k: (ts.get(k) or {}).get("synthetic") if isinstance(ts.get(k), dict) else None  # noqa: E731
    print(f"{PANEL} {name}: scores {json.dumps({k: v.get('synthetic') for k, v in e['scores'].items() if k.startswith('ts_')})}; "
          f"order {e['order']}; fit {run.get('fit_s', run.get('fit_seconds', 0)):.0f} s, "
          f"sample {run.get('sample_s', run.get('sample_seconds', 0)):.0f} s, "
          f"peak {run['peak_rss_mb']:.0f} MB; {pick('discriminative')}", flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default="stocks,energy,beijing_multisite")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    p.add_argument("--work-dir", type=Path, default=None, help="keeps the tables, models and logs")
    p.add_argument("--max-minutes", type=float, default=20.0)
    p.add_argument("--epochs", type=int, default=None,
                   help="synthgen: this many epochs (the budget still caps them), to compare two versions "
                        "of the code at equal training on a machine whose speed drifts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads per worker (default: torch's own, all cores, as a user's fit gets; "
                        "1 for two runs side by side on their own cores)")
    p.add_argument("--score-runs", type=int, default=3)
    p.add_argument("--max-synthetic-windows", type=int, default=5000,
                   help="stocks/energy: synthetic 24-step series to sample (the real windows, stride 1, if fewer)")
    p.add_argument("--chunk", type=int, default=168, help="beijing_multisite: hours per sequence")
    p.add_argument("--stations", type=int, default=None, help="beijing_multisite: only the first N stations")
    p.add_argument("--with-peers", action="store_true")
    p.add_argument("--history-noise", type=float, default=HISTORY_NOISE,
                   help="synthgen's history_noise (time series; default: the Synthesizer's)")
    p.add_argument("--skip-holdout", action="store_true", help="beijing_multisite: do not score the holdout")
    p.add_argument("--peer-max-sequences", type=int, default=PEER_MAX_SEQUENCES,
                   help="beijing_multisite: sequences each peer samples (PAR samples one at a time)")
    p.add_argument("--quick", action="store_true", help="few scoring iterations (smoke runs)")
    p.add_argument("--reuse-runs", action="store_true",
                   help="score the tables a finished run left in --work-dir instead of fitting again")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker, args.work_dir)
        return
    import tempfile

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)  # the scoring classifiers, like the workers
    if args.work_dir is None:
        args.work_dir = Path(tempfile.mkdtemp(prefix="synthgen-ts-bench-"))
    args.work_dir.mkdir(parents=True, exist_ok=True)
    out: dict = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "command": " ".join(sys.argv), "max_minutes": args.max_minutes, "threads": args.threads}
    for name in args.datasets.split(","):
        if name in PROTOCOL:
            bench_protocol(name, args, out)
        elif name == PANEL:
            bench_panel(args, out)
        else:
            raise SystemExit(f"unknown dataset {name!r}; use stocks, energy, {PANEL}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = args.out_dir / f"timeseries-{'-'.join(args.datasets.split(','))}-{stamp}.json"
    path.write_text(json.dumps(out, indent=2, default=str))
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
