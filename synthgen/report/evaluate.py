"""evaluate(): run every metric family on real vs synthetic (and vs holdout, the ceiling)
and assemble the report document described by schemas/report.schema.json."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from ..errors import DataError, UsageError
from . import detection as det
from . import distributions as dist
from . import efficacy as eff
from . import fidelity as fid
from . import privacy as priv
from .readings import score_readings, verdict
from .tables import Tables, cap_rows, prepare, to_pandas

FORMAT_VERSION = "1.0"

# Row caps per metric family: larger tables are subsampled (at random, seeded) and the report
# says so. At these caps a 15-column table is scored in well under a minute on 2 CPU cores.
DEFAULT_MAX_ROWS = {
    "fidelity": 50_000,  # per table: sdmetrics reports, missing rates, plots, heatmaps
    "detection": 10_000,  # per side: both detectors train on real vs other rows
    "efficacy": 50_000,  # training rows per model (test rows are not capped)
    "privacy": 10_000,  # query rows whose nearest neighbours are searched
    "privacy_reference": 50_000,  # training / holdout rows searched (exact copies: all rows)
}

# Gateable scores: all "higher is better", most in 0..1. name -> human label.
SCORE_LABELS = {
    "quality": "Overall quality",
    "column_shapes": "Column shapes",
    "column_pair_trends": "Column pair trends",
    "data_validity": "Data validity",
    "data_structure": "Data structure",
    "logistic_detection": "Logistic detection",
    "gbt_detection": "GBT detection",
    "ml_efficacy": "ML efficacy",
    "dcr": "DCR privacy",
    "exact_copy": "No exact copies",
    "nndr": "NN distance ratio",
    # Time series (only in reports of sequential data; ts_sequence_length only with an entity).
    "ts_discriminative": "Sequence discriminative",
    "ts_lag1_coherence": "Lag-1 coherence",
    "ts_autocorrelation": "Autocorrelation",
    "ts_sequence_length": "Sequence lengths",
}

# Keywords of timeseries_section() that ``ts_options`` may set.
TS_OPTIONS = ("stride", "max_windows", "disc_iterations", "pred_iterations", "batch_size",
              "learning_rate", "plot_sequences", "plot_columns")


def _caps(max_rows: int | Mapping[str, int] | None) -> dict[str, int]:
    caps = dict(DEFAULT_MAX_ROWS)
    if max_rows is None:
        return caps
    if isinstance(max_rows, int):
        return {k: min(v, max_rows) for k, v in caps.items()}
    for key, value in max_rows.items():
        if key not in caps:
            raise UsageError(f"max_rows has unknown family '{key}'; use {', '.join(caps)}")
        caps[key] = int(value)
    if min(caps.values()) < 1:
        raise UsageError("max_rows values must be at least 1")
    return caps


def _both(s: object, h: object) -> dict:
    return {"synthetic": s, "holdout": h}


def evaluate(real, synthetic, holdout=None, target: str | None = None, schema=None,
             max_rows: int | Mapping[str, int] | None = None, seed: int = 0,
             progress: Callable[[str], None] | None = None, threads: int | None = 1,
             entity: str | None = None, order: str | None = None,
             context: list[str] | None = None, window: int = 24,
             sequential: bool | None = None, ts_options: Mapping[str, object] | None = None):
    """Score ``synthetic`` against ``real`` (the rows the generator was trained on).

    real, synthetic, holdout: pandas or polars DataFrames with the same columns. holdout is
    real data the generator never saw; with it every metric is also computed for the holdout
    in place of the synthetic table (the ceiling) and the DCR share can be measured.
    target: a column to predict for the train-synthetic-test-real check.
    schema: a synthgen Schema or a schema file path; inferred from ``real`` when omitted.
    max_rows: one cap for every metric family or a dict overriding DEFAULT_MAX_ROWS.
    progress: called with the name of each metric family as it starts.
    threads: OpenMP / BLAS threads for the models, and torch's threads for the sequence
      models of time series (None = library default). The default of 1 is deliberate:
      scikit-learn's gradient boosting spins its OpenMP threads, and on a machine whose
      cores are busy with other work (training a generator, say) that made it 10-100x
      slower in our measurements; one thread is fast and predictable.
    entity, order, context: time series. The entity column keys the sequences (panel data),
      the order column orders the rows of a sequence (dates or numbers; row order when
      omitted), context columns are constant within an entity. Each defaults to the
      schema's. With an entity or an order column, or sequential=True (one series in row
      order), the report gets a ``timeseries`` section (see timeseries.py) and the ts_*
      scores, and the entity and order columns are left out of the tabular families
      (a generator writes fresh entity keys). Without an entity column, a synthetic (or
      holdout) table may hold several series numbered by an extra column ``series``.
      sequential=False turns the time-series section off even when the schema has them.
    window: steps per window of the sequence models (the protocol's 24 by default).
    ts_options: keywords for timeseries_section(): stride, max_windows, disc_iterations,
      pred_iterations, batch_size, learning_rate, plot_sequences, plot_columns.
    Returns a Report; raises DataError / UsageError for unusable inputs.
    """
    from threadpoolctl import threadpool_limits

    ts = _ts_settings(real, schema, target, entity, order, context, window, sequential,
                      ts_options)
    if ts is not None:
        schema, real = ts.pop("schema"), ts.pop("real")
    args = (real, synthetic, holdout, target, schema, max_rows, seed, progress, ts)
    if threads is None:
        return _evaluate(*args)
    with threadpool_limits(limits=threads), _torch_threads(threads if ts is not None else None):
        return _evaluate(*args)


@contextmanager
def _torch_threads(n: int | None):
    """torch's own thread count for the sequence models (threadpoolctl does not reach it),
    restored afterwards. The same reason as for ``threads``: tiny GRU steps on two threads of
    a busy machine ran 10-15x slower than on one in our measurements."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _ts_settings(real, schema, target, entity, order, context, window, sequential,
                 ts_options) -> dict | None:
    """The checked time-series settings, or None when the report is not sequential."""
    from ..schema import Schema
    from .timeseries import SERIES

    if schema is not None and not isinstance(schema, Schema):
        schema = Schema.load(schema)
    entity = entity if entity is not None else getattr(schema, "entity", None)
    order = order if order is not None else getattr(schema, "order", None)
    context = list(context) if context is not None else list(getattr(schema, "context", []))
    if sequential is False or not (entity or order or sequential):
        if ts_options:
            raise UsageError("ts_options were given but the report is not sequential; give an "
                             "entity or order column or sequential=True")
        return None
    real = to_pandas(real, "real")
    cols = list(real.columns)
    for name, col in (("--entity", entity), ("--order", order)):
        if col is not None and col not in cols:
            raise UsageError(f"{name} '{col}' is not a column of the real table; name an "
                             "existing column")
    if entity is not None and entity == order:
        raise UsageError(f"'{entity}' cannot be both the entity and the order column")
    if entity is None and SERIES in cols:
        raise UsageError(f"the real table has a column '{SERIES}', which names synthetic "
                         "series when there is no entity column; give it as --entity or "
                         "rename it")
    missing = [c for c in context if c not in cols]
    if missing:
        raise UsageError(f"context column '{missing[0]}' is not a column of the real table")
    context = [c for c in context if c not in (entity, order)]
    if target is not None and target in (entity, order):
        raise UsageError(f"--target '{target}' is the {'entity' if target == entity else 'order'}"
                         " column of the time series; choose another target")
    if int(window) < 2:
        raise UsageError(f"--window {window}: a window needs at least 2 steps")
    options = dict(ts_options or {})
    unknown = [k for k in options if k not in TS_OPTIONS]
    if unknown:
        raise UsageError(f"ts_options has unknown key '{unknown[0]}'; use {', '.join(TS_OPTIONS)}")
    return {"schema": schema, "real": real, "entity": entity, "order": order,
            "context": context, "window": int(window), "options": options}


def _pop_series(df, ts: dict | None, real_columns: list, name: str):
    """(table without the synthetic ``series`` column, its values or None)."""
    from .timeseries import SERIES

    if df is None or ts is None or ts["entity"] is not None:
        return df, None
    df = to_pandas(df, name)
    if SERIES in df.columns and SERIES not in real_columns:
        return df.drop(columns=[SERIES]), df[SERIES].to_numpy()
    return df, None


def _tabular(t: Tables, ts: dict | None) -> Tables:
    """The tables the tabular families score: without the entity and order columns."""
    if ts is None:
        return t
    drop = [c for c in (ts["entity"], ts["order"]) if c is not None]
    if not drop:
        return t
    keep = [c for c in t.kinds if c not in drop]
    if not keep:
        raise DataError("the tables have no column besides the entity and order columns; "
                        "there is nothing to compare")
    return Tables(real=t.real[keep], synthetic=t.synthetic[keep],
                  holdout=None if t.holdout is None else t.holdout[keep],
                  kinds={c: t.kinds[c] for c in keep}, target=t.target)


def _evaluate(real, synthetic, holdout, target, schema, max_rows, seed, progress, ts):
    from .report import Report

    say = progress or (lambda _name: None)
    start = time.perf_counter()
    caps = _caps(max_rows)
    real_columns = list(real.columns) if ts is not None else []  # real is pandas then
    synthetic, syn_series = _pop_series(synthetic, ts, real_columns, "synthetic")
    holdout, hold_series = _pop_series(holdout, ts, real_columns, "holdout")
    full = prepare(real, synthetic, holdout, target, schema)
    t = _tabular(full, ts)
    has_h = t.holdout is not None
    timings: dict[str, float] = {}
    notes: list[str] = []
    used: dict[str, dict | None] = {}

    def capped(family: str, df: pd.DataFrame | None, salt: int) -> pd.DataFrame | None:
        return None if df is None else cap_rows(df, caps[family], seed + salt)

    # -- fidelity: sdmetrics reports, missing values, distributions, associations
    say("fidelity")
    t0 = time.perf_counter()
    fr, fs, fh = (capped("fidelity", df, i) for i, df in enumerate((t.real, t.synthetic, t.holdout)))
    used["fidelity"] = _sizes(fr, fs, fh)
    meta = t.sdmetrics_metadata()
    q_s = fid.quality(fr, fs, meta)
    q_h = fid.quality(fr, fh, meta) if has_h else None
    d_s = fid.diagnostic(fr, fs, meta)
    d_h = fid.diagnostic(fr, fh, meta) if has_h else None
    fidelity = _fidelity_section(t, q_s, q_h)
    validity = _validity_section(t, d_s, d_h)
    missing = _missing_section(full)
    frames = {"real": fr, "synthetic": fs} | ({"holdout": fh} if has_h else {})
    distributions = [dist.column_distribution(c, t.kinds[c], frames) for c in t.scored_columns]
    associations = _associations_section(t, fr, fs)
    timings["fidelity"] = time.perf_counter() - t0

    # -- detection
    say("detection")
    t0 = time.perf_counter()
    cols = t.scored_columns
    dr, ds, dh = (capped("detection", df, 10 + i) for i, df in enumerate((t.real, t.synthetic, t.holdout)))
    used["detection"] = _sizes(dr, ds, dh)
    dmeta = {"columns": {c: meta["columns"][c] for c in cols}}
    detection = {
        "test_share": 0.3,
        "logistic": _both(det.logistic(dr[cols], ds[cols], dmeta, seed),
                          det.logistic(dr[cols], dh[cols], dmeta, seed) if has_h else None),
        "gbt": _both(det.gbt_auc(dr, ds, t.kinds, cols, seed),
                     det.gbt_auc(dr, dh, t.kinds, cols, seed) if has_h else None),
    }
    timings["detection"] = time.perf_counter() - t0

    # -- efficacy (train on synthetic / real, test on real)
    efficacy = None
    if t.target is not None:
        say("efficacy")
        t0 = time.perf_counter()
        if has_h:
            train, test, test_set = t.real, t.holdout, "holdout"
        else:
            order = np.random.RandomState(seed + 20).permutation(len(t.real))
            cut = int(round(0.7 * len(t.real)))
            train, test = t.real.iloc[order[:cut]], t.real.iloc[order[cut:]]
            test_set = "30% of the real table (no holdout given)"
            notes.append("Without a holdout, efficacy is tested on 30% of the real table; if "
                         "the generator saw those rows the synthetic score is optimistic.")
        train = capped("efficacy", train, 21)
        syn = capped("efficacy", t.synthetic, 22)
        efficacy = eff.efficacy(train, syn, test, t.kinds, t.target, seed)
        efficacy["test_set"] = test_set
        used["efficacy"] = {"real": len(train), "synthetic": len(syn), "holdout": len(test)}
        timings["efficacy"] = time.perf_counter() - t0
    else:
        used["efficacy"] = None

    # -- privacy
    say("privacy")
    t0 = time.perf_counter()
    privacy = priv.privacy(t.real, t.synthetic, t.holdout, t.kinds, caps["privacy"],
                           caps["privacy_reference"], seed)
    used["privacy"] = privacy.pop("rows_used")
    timings["privacy"] = time.perf_counter() - t0

    # -- time series
    timeseries = None
    if ts is not None:
        from .timeseries import SERIES, timeseries_section

        say("time series")
        syn_ts = full.synthetic if syn_series is None else \
            full.synthetic.assign(**{SERIES: syn_series})
        hold_ts = full.holdout if hold_series is None or full.holdout is None else \
            full.holdout.assign(**{SERIES: hold_series})
        timeseries = timeseries_section(full.real, syn_ts, hold_ts, full.kinds, ts["entity"],
                                        ts["order"], ts["context"], ts["window"], seed,
                                        **ts["options"])
        timings["timeseries"] = timeseries["timings"]["total"]
    timings["total"] = time.perf_counter() - start

    sizes = {"real": len(t.real), "synthetic": len(t.synthetic),
             "holdout": len(t.holdout) if has_h else None}
    subsampled = _subsampled_notes(sizes, caps, t.target is not None)
    notes = subsampled + notes
    if not has_h:
        notes.append("No holdout given: the holdout ceiling and the DCR share are not measured.")
    if timeseries is not None:
        dropped = [c for c in (ts["entity"], ts["order"]) if c is not None]
        if dropped:
            notes.append("Time series: " + " and ".join(f"'{c}'" for c in dropped)
                         + " are scored in the time-series section only, not as ordinary "
                         "columns.")
        notes += [f"Time series: {n}" for n in timeseries["notes"]]
    doc = {
        "format_version": FORMAT_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "synthgen_version": _version(),
        "inputs": {
            "real": {"rows": sizes["real"], "columns": len(full.kinds)},
            "synthetic": {"rows": sizes["synthetic"], "columns": len(full.kinds)},
            "holdout": {"rows": sizes["holdout"], "columns": len(full.kinds)} if has_h else None,
            "target": t.target,
            "task": None if efficacy is None else efficacy["task"],
        },
        "columns": [{"name": c, "kind": k} for c, k in full.kinds.items()],
        "sampling": {"caps": caps, "rows_used": used, "subsampled": bool(subsampled),
                     "seed": seed, "notes": notes},
        "fidelity": fidelity,
        "validity": validity,
        "missing": missing,
        "distributions": distributions,
        "associations": associations,
        "detection": detection,
        "efficacy": efficacy,
        "privacy": privacy,
        "timeseries": timeseries,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    doc["scores"] = _scores(doc)
    doc["verdict"] = verdict(doc)
    return Report(doc)


def _sizes(real, syn, hold) -> dict:
    return {"real": len(real), "synthetic": len(syn), "holdout": None if hold is None else len(hold)}


def _version() -> str:
    try:
        from .. import __version__
    except ImportError:  # the package is being assembled
        return "unknown"
    return __version__


def _fidelity_section(t: Tables, q_s: dict, q_h: dict | None) -> dict:
    def get(key, q):
        return None if q is None else q[key]

    def err(x):
        return None if x is None else 100.0 * (1.0 - x)

    cols = []
    for c, entry in q_s["per_column"].items():
        h = None if q_h is None else q_h["per_column"].get(c, {}).get("score")
        cols.append({"column": c, "kind": t.kinds[c], "metric": entry["metric"],
                     "synthetic": entry["score"], "holdout": h})
    pairs = []
    for (a, b), entry in q_s["per_pair"].items():
        h = None if q_h is None else q_h["per_pair"].get((a, b), {}).get("score")
        pairs.append({"column_1": a, "column_2": b, "metric": entry["metric"],
                      "synthetic": entry["score"], "holdout": h,
                      "real_correlation": entry["real_correlation"],
                      "synthetic_correlation": entry["other_correlation"]})
    # Worst first; unscored entries (None) last.
    cols.sort(key=lambda r: (r["synthetic"] is None, r["synthetic"] or 0.0))
    pairs.sort(key=lambda r: (r["synthetic"] is None, r["synthetic"] or 0.0))
    shapes_s, shapes_h = q_s["column_shapes"], get("column_shapes", q_h)
    trends_s, trends_h = q_s["column_pair_trends"], get("column_pair_trends", q_h)
    return {
        "quality": _both(q_s["quality"], get("quality", q_h)),
        "column_shapes": _both(shapes_s, shapes_h),
        "column_pair_trends": _both(trends_s, trends_h),
        "shape_error": _both(err(shapes_s), err(shapes_h)),
        "trend_error": _both(err(trends_s), err(trends_h)),
        "columns": cols,
        "pairs": pairs,
    }


def _validity_section(t: Tables, d_s: dict, d_h: dict | None) -> dict:
    cols = []
    for c, entry in d_s["per_column"].items():
        h = None if d_h is None else d_h["per_column"].get(c, {}).get("score")
        cols.append({"column": c, "metric": entry["metric"], "synthetic": entry["score"],
                     "holdout": h})
    cols.sort(key=lambda r: (r["synthetic"] is None, r["synthetic"] or 0.0))
    return {
        "data_validity": _both(d_s["data_validity"], None if d_h is None else d_h["data_validity"]),
        "data_structure": _both(d_s["data_structure"],
                                None if d_h is None else d_h["data_structure"]),
        "columns": cols,
    }


def _missing_section(t: Tables) -> list[dict]:
    r, s = fid.missing_rates(t.real), fid.missing_rates(t.synthetic)
    h = fid.missing_rates(t.holdout) if t.holdout is not None else {}
    return [{"column": c, "real": r[c], "synthetic": s[c], "holdout": h.get(c)} for c in t.kinds]


def _associations_section(t: Tables, real: pd.DataFrame, syn: pd.DataFrame) -> dict:
    cols = t.scored_columns
    a_r = dist.associations(real, t.kinds, cols)
    a_s = dist.associations(syn, t.kinds, cols)
    return {
        "method": "Spearman correlation (numbers), Cramer's V (labels), correlation ratio "
                  "(labels vs numbers)",
        "columns": cols,
        "real": _matrix(a_r), "synthetic": _matrix(a_s), "difference": _matrix(a_s - a_r),
    }


def _matrix(m: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 4) for v in row] for row in m]


def _subsampled_notes(sizes: dict, caps: dict, has_target: bool) -> list[str]:
    notes = []
    biggest = max(v for v in sizes.values() if v is not None)
    for family, text in (("fidelity", "fidelity scores, plots and heatmaps"),
                         ("detection", "the detectors"),
                         ("privacy", "nearest-neighbour privacy checks (query rows)"),
                         ("privacy_reference", "nearest-neighbour privacy checks (reference rows)")):
        if biggest > caps[family]:
            notes.append(f"Tables above {caps[family]:,} rows were subsampled to {caps[family]:,} "
                         f"rows at random for {text}.")
    if has_target and biggest > caps["efficacy"]:
        notes.append(f"Efficacy models were trained on at most {caps['efficacy']:,} rows.")
    return notes


def _scores(doc: dict) -> dict:
    """The flat, gateable scores (higher is better) with their readings."""
    fidelity, validity, detection = doc["fidelity"], doc["validity"], doc["detection"]
    privacy, efficacy = doc["privacy"], doc["efficacy"]

    def auc_score(entry):  # 1 at AUC 0.5, 0 at AUC 1 (as sdmetrics scores detection)
        auc = None if entry is None else entry.get("auc")
        return None if auc is None else 1.0 - 2.0 * max(auc - 0.5, 0.0)

    def dcr_score(entry):  # 1 up to a 50% share, 0 at 100%
        return None if entry is None else min(1.0, 2.0 * (1.0 - entry["share"]))

    def ratio(entry):
        return None if entry is None else entry["median"]

    dcr = privacy["dcr_share"] or {"synthetic": None, "holdout": None}
    copy = privacy["exact_copy_rate"]
    values = {
        "quality": fidelity["quality"],
        "column_shapes": fidelity["column_shapes"],
        "column_pair_trends": fidelity["column_pair_trends"],
        "data_validity": validity["data_validity"],
        "data_structure": validity["data_structure"],
        "logistic_detection": _both(*(None if e is None else e["score"] for e in
                                      (detection["logistic"]["synthetic"],
                                       detection["logistic"]["holdout"]))),
        "gbt_detection": _both(auc_score(detection["gbt"]["synthetic"]),
                               auc_score(detection["gbt"]["holdout"])),
        # The holdout cannot be both training and test set; train-on-real is the ceiling.
        "ml_efficacy": _both(None if efficacy is None else efficacy["score"], None),
        "dcr": _both(dcr_score(dcr["synthetic"]), dcr_score(dcr["holdout"])),
        "exact_copy": _both(1.0 - copy["synthetic"],
                            None if copy["holdout"] is None else 1.0 - copy["holdout"]),
        "nndr": _both(ratio(privacy["nndr"]["synthetic"]), ratio(privacy["nndr"]["holdout"])),
    }
    values.update(_ts_scores(doc.get("timeseries")))
    readings = score_readings(doc)
    return {k: {"label": SCORE_LABELS[k], **v, "reading": readings[k]} for k, v in values.items()}


def _ts_scores(section: dict | None) -> dict:
    """The gateable time-series scores (higher is better); none without the section."""
    if section is None:
        return {}

    def get(key):
        entry = section[key]
        return _both(None, None) if entry is None else _both(entry["synthetic"], entry["holdout"])

    disc = section["discriminative"] or {"synthetic": None, "holdout": None}
    out = {
        # 1 when the classifier is at chance (accuracy 0.5), 0 when it is always right.
        "ts_discriminative": _both(*(None if e is None else 1.0 - 2.0 * e["score"]
                                     for e in (disc["synthetic"], disc["holdout"]))),
        "ts_lag1_coherence": get("lag1_coherence"),
        "ts_autocorrelation": get("autocorrelation"),
    }
    if section["entity"] is not None:
        out["ts_sequence_length"] = get("sequence_length")
    return out
