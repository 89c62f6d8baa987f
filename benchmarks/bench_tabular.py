"""Tabular benchmark: synthgen (and, with --with-peers, SDV and MOSTLY AI) against the real
holdout on the shared datasets, by the protocol of ../shared/DESIGN.md ("How quality is
measured") and the "Benchmark" section of issue 2.

    python benchmarks/bench_tabular.py                                 # all 5 datasets, 15 min each
    python benchmarks/bench_tabular.py --datasets adult,magic --max-minutes 5
    python benchmarks/bench_tabular.py --datasets adult --with-peers   # + SDV, MOSTLY AI
    python benchmarks/bench_tabular.py --datasets adult --sample-speed # + CLI speed / memory
    python benchmarks/bench_tabular.py --datasets adult --rows 2000 --max-minutes 0.5  # smoke run

For each dataset with a target (adult, default, shoppers, magic, beijing):
1. split the rows 80/20 into train and holdout (--split-seed; --rows caps train, and the
   holdout to a quarter of that, for quick runs);
2. for each synthesizer, in its own subprocess (so one's memory peak cannot raise
   another's): fit on train with the time budget (--max-minutes) and default settings,
   then sample len(train) rows. synthgen's model is saved and loaded back before sampling;
   only the `sample` call is timed. The subprocess's peak RSS covers fit + sample;
3. score the synthetic table against train with synthgen.report.evaluate (the report's own
   definitions, column kinds from the dataset's meta.json), plus an XGBoost detector;
4. score the real holdout in place of a synthetic table: the ceiling.

Printed as a table, and saved as JSON to --out-dir (benchmarks/results/):
<dataset>-<UTC time>.json per dataset and latest.json, a summary of this run.

Columns: shape / trend error % = 100 * (1 - Column Shapes / Column Pair Trends) of
sdmetrics' QualityReport; LogDet = sdmetrics LogisticDetection (1 = indistinguishable);
XGB AUC = XGBoost trained to tell real train rows from synthetic rows, AUC on a held-out
30 % (0.5 best); TSTR / TRTR = train on synthetic / on real train rows, test on the real
holdout (HistGradientBoosting; AUC for classification, RMSE for regression); DCR % =
share of synthetic rows nearer to a train row than to a holdout row (50 ideal); copies % =
synthetic rows identical to a train row (the holdout row gives the holdout's own rate).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = BENCH_DIR / "results"
DATASETS = ("adult", "default", "shoppers", "magic", "beijing")
SYNTHGEN = "synthgen"
HOLDOUT = "holdout (ceiling)"
MODEL_FILE = "synthgen.safetensors"
DETECTOR_TEST_SHARE = 0.3

# peers.py and bench_speed.py sit beside this file; synthgen is this checkout's
sys.path[:0] = [str(BENCH_DIR), str(REPO)]


# ---- data ---------------------------------------------------------------------------------

def load_dataset(data_dir: Path, name: str) -> tuple[pd.DataFrame, dict]:
    meta_path = data_dir / name / "meta.json"
    if not meta_path.is_file():
        raise SystemExit(f"no {meta_path}; give the shared data folder with --data-dir")
    meta = json.loads(meta_path.read_text())
    if not meta.get("target"):
        raise SystemExit(f"dataset {name} has no target in its meta.json; pick another")
    return pd.read_csv(data_dir / name / meta["file"]), meta


def split(df: pd.DataFrame, seed: int, rows: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    train, holdout = train_test_split(df, test_size=0.2, random_state=seed)
    if rows is not None:  # quick runs: keep the 80/20 proportion
        train, holdout = train.iloc[:rows], holdout.iloc[:max(1, math.ceil(rows / 4))]
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


def schema_for(train: pd.DataFrame, kinds: dict[str, str]):
    """synthgen's inferred schema (for the nullable flags) with the kinds of meta.json."""
    from synthgen import infer_schema
    from synthgen.schema import ColumnSpec, Schema

    inferred = infer_schema(train)
    return Schema([ColumnSpec(c.name, kinds[c.name], c.nullable) for c in inferred.columns])


# ---- one synthesizer in a subprocess --------------------------------------------------------

def worker(name: str, work: Path) -> None:
    """Runs in the subprocess: fit, sample, write the table and the run's facts."""
    spec = json.loads((work / "spec.json").read_text())
    if spec["threads"]:
        import torch

        torch.set_num_threads(spec["threads"])
    train = pd.read_parquet(work / "train.parquet")
    fit_and_sample = fit_synthgen if name == SYNTHGEN else fit_peer
    synthetic, run = fit_and_sample(name, train, spec, work)
    run["peak_rss_mb"] = max(own_peak_rss_mb(), children_peak_rss_mb())
    synthetic.to_parquet(work / f"{name}.parquet", index=False)
    (work / f"{name}.run.json").write_text(json.dumps(run, indent=2, default=_json_default))


def fit_synthgen(name: str, train: pd.DataFrame, spec: dict, work: Path):
    import synthgen
    from synthgen.schema import Schema

    schema = None if spec["infer_schema"] else Schema.from_dict(spec["schema"])
    start = time.perf_counter()
    model = synthgen.Synthesizer(schema=schema, max_minutes=spec["max_minutes"],
                                 seed=spec["seed"]).fit(train)
    fit_s = time.perf_counter() - start
    fit_peak = own_peak_rss_mb()
    model.save(work / MODEL_FILE)
    loaded = synthgen.load(work / MODEL_FILE)
    start = time.perf_counter()
    synthetic = loaded.sample(len(train), seed=spec["seed"])
    sample_s = time.perf_counter() - start
    return synthetic, {
        "fit_s": fit_s, "sample_s": sample_s, "peak_rss_fit_mb": fit_peak,
        "epochs": len(model.history_), "best_epoch": model.best_epoch_,
        "stopped_by": model.stopped_by_, "history": model.history_,
        "version": synthgen.__version__,
    }


def fit_peer(name: str, train: pd.DataFrame, spec: dict, work: Path):
    import peers

    peer = peers.make(name, spec["kinds"], spec["max_minutes"], spec["seed"])
    start = time.perf_counter()
    peer.fit(train)
    fit_s = time.perf_counter() - start
    fit_peak = own_peak_rss_mb()
    start = time.perf_counter()
    synthetic = peer.sample(len(train))
    sample_s = time.perf_counter() - start
    peer.close()
    return synthetic, {"fit_s": fit_s, "sample_s": sample_s, "peak_rss_fit_mb": fit_peak,
                       **peer.info}


def children_peak_rss_mb() -> float:
    """Largest peak RSS of the processes this one started (dataloaders, say), in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6


def own_peak_rss_mb() -> float:
    """High-water mark of this process's resident memory (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def run_in_subprocess(name: str, work: Path, timeout_s: float, threads: int | None) -> dict:
    """Start this script in --worker mode and return the facts it wrote.

    The worker measures its own peak RSS (VmHWM, which starts afresh at exec). The parent's
    getrusage / wait4 figures are not used: Linux folds the parent's resident size at fork
    time into a child's ru_maxrss, so they would grow with the scoring process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name,
           "--work-dir", str(work)]
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    log = work / f"{name}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=work, env=env)
        try:
            status, timed_out = proc.wait(timeout=timeout_s), False
        except subprocess.TimeoutExpired:
            proc.kill()
            status, timed_out = proc.wait(), True
    run_file = work / f"{name}.run.json"
    if status != 0 or not run_file.is_file():
        why = "timed out" if timed_out else f"exit code {status}"
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        return {"error": f"{name} failed ({why}); log {log}:\n" + "\n".join(tail)}
    return json.loads(run_file.read_text())


# ---- scoring -----------------------------------------------------------------------------

def score(train: pd.DataFrame, table: pd.DataFrame, holdout: pd.DataFrame, schema, target: str,
          side: str, args) -> dict:
    """Metrics of ``table`` (side="synthetic") or of the holdout (side="holdout": the ceiling,
    read from the report's holdout entries, which do not depend on ``table``)."""
    from synthgen.report import evaluate

    doc = evaluate(train, table, holdout=holdout, target=target, schema=schema, seed=args.seed,
                   threads=args.threads).to_dict()
    metrics = report_metrics(doc, side)
    detector_table = holdout if side == "holdout" else table
    metrics.update(tree_detector(train, detector_table, schema, args))
    metrics["report_seconds"] = doc["timings"]["total"]
    metrics["report_notes"] = doc["sampling"]["notes"]
    return metrics


def report_metrics(doc: dict, side: str) -> dict:
    fid, det, priv, eff = doc["fidelity"], doc["detection"], doc["privacy"], doc["efficacy"]
    logistic = det["logistic"][side] or {}
    dcr = (priv["dcr_share"] or {}).get(side)
    copies = priv["exact_copy_rate"]
    out = {
        "shape_error_pct": fid["shape_error"][side],
        "trend_error_pct": fid["trend_error"][side],
        "quality": fid["quality"][side],
        "data_validity": doc["validity"]["data_validity"][side],
        "logistic_detection": logistic.get("score"),
        "logistic_detection_auc": logistic.get("auc"),
        "histgb_detector_auc": (det["gbt"][side] or {}).get("auc"),
        "dcr_share_pct": None if dcr is None else 100.0 * dcr["share"],
        "exact_copy_rate_pct": _pct(copies[side]),
        "holdout_exact_copy_rate_pct": _pct(copies["holdout"]),
        "ml_task": None, "ml_metric": None, "ml_train_on_synthetic": None,
        "ml_train_on_real": None,
    }
    if eff is not None:
        key = "auc" if eff["task"] == "classification" else "rmse"
        out.update(ml_task=eff["task"], ml_metric=key, ml_model=eff["model"],
                   ml_train_on_real=(eff["train_on_real"] or {}).get(key))
        if side == "synthetic":  # the holdout cannot be both training and test set
            out["ml_train_on_synthetic"] = (eff["train_on_synthetic"] or {}).get(key)
    return out


def _pct(x: float | None) -> float | None:
    return None if x is None else 100.0 * x


def tree_detector(real: pd.DataFrame, other: pd.DataFrame, schema, args) -> dict:
    """XGBoost told to separate real train rows from ``other``: AUC on a held-out 30 %.
    Falls back to the report's HistGradientBoosting detector when xgboost is missing."""
    from synthgen.report.features import encode
    from synthgen.report.tables import prepare

    t = prepare(real, other, schema=schema)
    n = min(len(t.real), len(t.synthetic), args.detector_rows)
    r = t.real.sample(n=n, random_state=args.seed)
    o = t.synthetic.sample(n=n, random_state=args.seed + 1)
    try:
        import xgboost
    except ImportError:
        from synthgen.report.detection import gbt_auc

        auc = gbt_auc(r, o, t.kinds, t.scored_columns, args.seed)["auc"]
        return {"tree_detector_auc": auc, "tree_detector": "HistGradientBoostingClassifier "
                "(xgboost is not installed: the report's detector instead)", "detector_rows": n}
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    (xr, xo), is_cat = encode([r, o], t.kinds, t.scored_columns)
    x, y = np.vstack([xr, xo]), np.r_[np.zeros(len(xr)), np.ones(len(xo))]
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=DETECTOR_TEST_SHARE, stratify=y,
                                              random_state=args.seed)
    model = xgboost.XGBClassifier(
        n_estimators=300, max_depth=6, learning_rate=0.1, tree_method="hist",
        enable_categorical=True, feature_types=["c" if c else "q" for c in is_cat],
        n_jobs=args.threads, random_state=args.seed)
    model.fit(x_tr, y_tr)
    auc = float(roc_auc_score(y_te, model.predict_proba(x_te)[:, 1]))
    return {"tree_detector_auc": max(auc, 0.5), "tree_detector_raw_auc": auc,
            "tree_detector": f"xgboost {xgboost.__version__} XGBClassifier(n_estimators=300, "
            "max_depth=6, learning_rate=0.1, categorical codes)", "detector_rows": n}


# ---- one dataset ---------------------------------------------------------------------------

def bench_dataset(name: str, args, work: Path) -> dict:
    df, meta = load_dataset(args.data_dir, name)
    train, holdout = split(df, args.split_seed, args.rows)
    schema = schema_for(train, meta["kinds"])
    target = meta["target"]
    train.to_parquet(work / "train.parquet", index=False)
    holdout.to_parquet(work / "holdout.parquet", index=False)
    spec = {"kinds": meta["kinds"], "target": target, "max_minutes": args.max_minutes,
            "seed": args.seed, "infer_schema": args.infer_schema, "schema": schema.to_dict(),
            "threads": args.synth_threads}
    (work / "spec.json").write_text(json.dumps(spec, indent=2))
    say(f"[bold]{name}[/]: {len(train):,} train rows, {len(holdout):,} holdout rows, "
        f"target {target!r} ({meta['task']})")

    say("  scoring the holdout (ceiling)")
    rows = [{"synthesizer": HOLDOUT, "fit_s": None, "sample_s": None, "sample_rows_per_s": None,
             "peak_rss_mb": None, **score(train, holdout, holdout, schema, target, "holdout", args)}]
    for synth in synthesizers(args):
        rows.append(bench_synthesizer(synth, train, holdout, schema, target, args, work))
    result = {
        "dataset": name, "target": target, "task": meta["task"],
        "split": {"seed": args.split_seed, "test_size": 0.2, "train_rows": len(train),
                  "holdout_rows": len(holdout), "rows_cap": args.rows},
        "kinds": meta["kinds"], "results": rows,
    }
    if args.sample_speed and (work / MODEL_FILE).is_file():
        result["sample_speed"] = sample_speed(work / MODEL_FILE, args)
    result["targets"] = check_targets(name, rows, result.get("sample_speed"))
    return result


def synthesizers(args) -> list[str]:
    if not args.with_peers:
        return [SYNTHGEN]
    import peers

    names = [SYNTHGEN]
    for peer in args.peers.split(","):
        why = peers.unavailable(peer)
        if why:
            say(f"  [yellow]skipping peer {peer}: {why}[/]")
        else:
            names.append(peer)
    return names


def bench_synthesizer(synth: str, train, holdout, schema, target, args, work: Path) -> dict:
    say(f"  fitting {synth} (budget {args.max_minutes:g} min) in a subprocess")
    timeout = 60.0 * (3 * args.max_minutes + args.grace_minutes)
    run = run_in_subprocess(synth, work, timeout, args.synth_threads)
    run["load_average_after"] = list(os.getloadavg())  # other load on the machine skews times
    if "error" in run:
        say(f"  [red]{escape(run['error'])}[/]")
        return {"synthesizer": synth, **run}
    run["sample_rows_per_s"] = len(train) / run["sample_s"] if run["sample_s"] > 0 else None
    synthetic = pd.read_parquet(work / f"{synth}.parquet")
    say(f"  scoring {synth}: fit {run['fit_s']:.0f} s, sample {_fmt(run['sample_rows_per_s'], 0)} "
        f"rows/s, peak {run['peak_rss_mb']:,.0f} MB")
    metrics = score(train, synthetic, holdout, schema, target, "synthetic", args)
    return {"synthesizer": synth, **run, **metrics}


def sample_speed(model: Path, args) -> dict:
    import bench_speed

    say(f"  sample-speed check: `synthgen sample` of 10,000 and {args.speed_big_rows:,} rows")
    try:
        result = bench_speed.check(model, big_rows=args.speed_big_rows)
    except (RuntimeError, FileNotFoundError) as exc:
        return {"error": str(exc)}
    for line in bench_speed.describe(result).splitlines():
        say(f"  {line}")
    return result


# ---- targets (issue 2, "Targets") ------------------------------------------------------------

def check_targets(dataset: str, rows: list[dict], speed: dict | None) -> list[dict]:
    """synthgen's figures against the issue's targets (adult's quality targets; speed and
    memory everywhere). A missing figure fails its target."""
    by_name = {r["synthesizer"]: r for r in rows}
    s, h = by_name.get(SYNTHGEN, {}), by_name.get(HOLDOUT, {})
    if "error" in s or not s:
        return [{"target": "fits and samples without error", "ok": False}]
    checks = [("sample rows/s >= 10,000 (model loaded)", s.get("sample_rows_per_s"),
               lambda v: v >= 10_000)]
    if dataset == "adult":
        checks += [
            ("shape error < 1.0 %", s["shape_error_pct"], lambda v: v < 1.0),
            ("trend error < 2.5 %", s["trend_error_pct"], lambda v: v < 2.5),
            ("tree-detector AUC < 0.60", s["tree_detector_auc"], lambda v: v < 0.60),
            ("train-on-synthetic AUC >= 0.912", s["ml_train_on_synthetic"], lambda v: v >= 0.912),
            ("DCR share within 50 +/- 3 %", s["dcr_share_pct"], lambda v: abs(v - 50) <= 3),
            ("exact-copy rate <= the holdout's own", s["exact_copy_rate_pct"],
             lambda v: h.get("exact_copy_rate_pct") is not None
             and v <= h["exact_copy_rate_pct"]),
            ("peak memory of fit + sample < 2 GB", s["peak_rss_mb"], lambda v: v < 2000),
        ]
    for r in rows:  # better than every peer that ran
        if r["synthesizer"] in (SYNTHGEN, HOLDOUT) or "error" in r:
            continue
        for key, label in (("shape_error_pct", "shape error"), ("trend_error_pct", "trend error"),
                           ("tree_detector_auc", "tree-detector AUC")):
            checks.append((f"{label} below {r['synthesizer']}'s ({_fmt(r[key], 3)})", s[key],
                           lambda v, peer=r[key]: peer is not None and v < peer))
    if speed and "small" in speed:
        checks.append(("`synthgen sample -n 10000` < 5 s", speed["small"]["median_wall_s"],
                       lambda v: v < 5.0))
        if speed["big"]["ok"] is not None:
            checks.append(("`synthgen sample -n 1000000 -o out.parquet` < 1.5 GB",
                           speed["big"]["peak_mb"], lambda v: v < 1500))
    return [{"target": t, "value": v, "ok": v is not None and bool(ok(v))} for t, v, ok in checks]


# ---- output ------------------------------------------------------------------------------

_console = None


def say(text) -> None:
    """Print rich markup or a rich renderable (wide enough for the table in a log file)."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console()
        if not _console.is_terminal:
            _console = Console(width=200)
    _console.print(text)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


COLUMNS = [  # (header, key, decimals)
    ("shape err %", "shape_error_pct", 2), ("trend err %", "trend_error_pct", 2),
    ("LogDet", "logistic_detection", 3), ("XGB AUC", "tree_detector_auc", 3),
    ("TSTR", "ml_train_on_synthetic", 3), ("TRTR", "ml_train_on_real", 3),
    ("DCR %", "dcr_share_pct", 1), ("copies %", "exact_copy_rate_pct", 2),
    ("fit s", "fit_s", 0), ("rows/s", "sample_rows_per_s", 0), ("peak MB", "peak_rss_mb", 0),
]


def _fmt(v, decimals: int) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:,.{decimals}f}"


def results_table(results: list[dict], title: str):
    from rich.table import Table

    many = len(results) > 1
    table = Table(title=title)
    if many:
        table.add_column("dataset")
    table.add_column("synthesizer")
    for header, _, _ in COLUMNS:
        table.add_column(header, justify="right")
    table.add_column("stopped by")
    for res in results:
        for row in res["results"]:
            cells = [res["dataset"]] if many else []
            cells.append(row["synthesizer"])
            if "error" in row:
                cells += ["failed"] + [""] * len(COLUMNS)
            else:
                cells += [_fmt(row.get(key), d) for _, key, d in COLUMNS]
                cells.append(_stopped(row))
            table.add_row(*cells)
    return table


def _stopped(row: dict) -> str:
    if row["synthesizer"] == HOLDOUT:
        return ""
    if row.get("epochs") is not None:
        return f"{row.get('stopped_by') or '?'} ({row['epochs']} epochs)"
    if row.get("epochs_run") is not None:
        return f"{row.get('stopped_by') or 'epochs'} ({row['epochs_run']}/{row['epochs_max']})"
    return row.get("stopped_by") or ""


def print_targets(result: dict) -> None:
    for t in result["targets"]:
        mark = "[green]OK  [/]" if t["ok"] else "[red]MISS[/]"
        value = t.get("value")
        say(f"  {mark} {t['target']}: {_fmt(value, 3) if value is not None else '—'}")


def environment() -> dict:
    import sdmetrics
    import sklearn
    import torch

    import synthgen

    try:
        import xgboost

        xgb = xgboost.__version__
    except ImportError:
        xgb = None
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or None
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "synthgen"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "synthgen": synthgen.__version__, "git_commit": commit,
        "synthgen_source_modified": bool(dirty), "python": platform.python_version(),
        "torch": torch.__version__, "sdmetrics": sdmetrics.__version__,
        "scikit_learn": sklearn.__version__, "xgboost": xgb, "platform": platform.platform(),
        "cpus": os.cpu_count(), "load_average_at_start": list(os.getloadavg()),
    }


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def _finite(obj):
    """NaN and infinities become null: JSON has no such numbers."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and not math.isfinite(obj):
        return None
    return obj


def save(doc: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    text = json.dumps(_finite(doc), indent=2, default=_json_default, allow_nan=False)
    tmp.write_text(text + "\n")
    tmp.replace(path)


def summary(doc: dict) -> dict:
    """latest.json: the headline figures of every synthesizer on every dataset of this run."""
    keys = ["synthesizer"] + [k for _, k, _ in COLUMNS] + ["ml_metric", "tree_detector",
                                                         "stopped_by", "epochs", "error"]
    datasets = {}
    for res in doc["datasets"]:
        datasets[res["dataset"]] = {
            "file": res["file"], "split": res["split"],
            "results": [{k: r.get(k) for k in keys if k in r} for r in res["results"]],
            "targets": res["targets"],
            "sample_speed": res.get("sample_speed"),
        }
    return {k: doc[k] for k in ("created", "settings", "environment")} | {"datasets": datasets}


# ---- main --------------------------------------------------------------------------------

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=",".join(DATASETS),
                    help=f"comma-separated, from {', '.join(DATASETS)} (default: all)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA,
                    help="folder of <name>/meta.json + CSV (default: ../shared/data)")
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, help="where JSON results go")
    ap.add_argument("--max-minutes", type=float, default=15.0,
                    help="fit time budget per synthesizer and dataset (default 15)")
    ap.add_argument("--rows", type=int, help="cap on train rows (holdout: a quarter of it)")
    ap.add_argument("--split-seed", type=int, default=0, help="train/holdout split seed")
    ap.add_argument("--seed", type=int, default=0, help="synthesizer, sampling and metric seed")
    ap.add_argument("--infer-schema", action="store_true",
                    help="let synthgen infer column kinds instead of taking meta.json's")
    ap.add_argument("--with-peers", action="store_true",
                    help="also run SDV and MOSTLY AI on the same split (needs the bench extra)")
    ap.add_argument("--peers", default="sdv-gaussiancopula,sdv-ctgan,sdv-tvae,mostlyai",
                    help="which peers --with-peers runs")
    ap.add_argument("--sample-speed", action="store_true",
                    help="also time `synthgen sample` from the command line (bench_speed.py)")
    ap.add_argument("--speed-big-rows", type=int, default=1_000_000,
                    help="rows of the sample-speed memory check (default 1,000,000)")
    ap.add_argument("--detector-rows", type=int, default=50_000,
                    help="cap on rows per side for the XGBoost detector")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads of the metric models (default 1)")
    ap.add_argument("--synth-threads", type=int,
                    help="torch / OpenMP threads of the synthesizers (default: their own "
                         "default, all cores)")
    ap.add_argument("--grace-minutes", type=float, default=20.0,
                    help="a worker is killed after 3 x budget + this many minutes")
    ap.add_argument("--keep", type=Path,
                    help="keep train/holdout/synthetic tables, models and logs under this folder")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--work-dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    names = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = [d for d in names if d not in DATASETS]
    if unknown:
        ap.error(f"unknown dataset(s) {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
    args.dataset_names = names
    import peers

    bad = [p for p in args.peers.split(",") if p not in peers.PEERS]
    if bad:
        ap.error(f"unknown peer(s) {', '.join(bad)}; choose from {', '.join(peers.PEERS)}")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker, args.work_dir)
        return
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                if k not in ("worker", "work_dir")}
    doc = {"created": stamp, "settings": settings, "environment": environment(), "datasets": []}
    for name in args.dataset_names:
        work = _work_dir(args, name, stamp)
        try:
            result = bench_dataset(name, args, work)
        finally:
            if args.keep is None:
                shutil.rmtree(work, ignore_errors=True)
        result["file"] = str(args.out_dir / f"{name}-{stamp}.json")
        if args.keep is not None:
            result["work_dir"] = str(work)
        save({k: doc[k] for k in ("created", "settings", "environment")} | result,
             Path(result["file"]))
        doc["datasets"].append(result)
        say(results_table([result], f"{name}: {result['split']['train_rows']:,} train rows, "
                                    f"budget {args.max_minutes:g} min"))
        print_targets(result)
    if len(doc["datasets"]) > 1:
        say(results_table(doc["datasets"], "all datasets"))
    save(summary(doc), args.out_dir / "latest.json")
    say(f"results: {args.out_dir}/<dataset>-{stamp}.json and {args.out_dir / 'latest.json'}")


def _work_dir(args, name: str, stamp: str) -> Path:
    if args.keep is None:
        return Path(tempfile.mkdtemp(prefix=f"bench_{name}_"))
    work = args.keep / f"{name}-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    return work


if __name__ == "__main__":
    main()
