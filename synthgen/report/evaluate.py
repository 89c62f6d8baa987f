"""evaluate(): run every metric family on real vs synthetic (and vs holdout, the ceiling)
and assemble the report document described by schemas/report.schema.json."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from ..errors import UsageError
from . import detection as det
from . import distributions as dist
from . import efficacy as eff
from . import fidelity as fid
from . import privacy as priv
from .readings import score_readings, verdict
from .tables import Tables, cap_rows, prepare

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
}


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
             progress: Callable[[str], None] | None = None, threads: int | None = 1):
    """Score ``synthetic`` against ``real`` (the rows the generator was trained on).

    real, synthetic, holdout: pandas or polars DataFrames with the same columns. holdout is
    real data the generator never saw; with it every metric is also computed for the holdout
    in place of the synthetic table (the ceiling) and the DCR share can be measured.
    target: a column to predict for the train-synthetic-test-real check.
    schema: a synthgen Schema or a schema file path; inferred from ``real`` when omitted.
    max_rows: one cap for every metric family or a dict overriding DEFAULT_MAX_ROWS.
    progress: called with the name of each metric family as it starts.
    threads: OpenMP / BLAS threads for the models (None = library default). The default of 1
      is deliberate: scikit-learn's gradient boosting spins its OpenMP threads, and on a
      machine whose cores are busy with other work (training a generator, say) that made
      it 10-100x slower in our measurements; one thread is fast and predictable.
    Returns a Report; raises DataError / UsageError for unusable inputs.
    """
    from threadpoolctl import threadpool_limits

    if threads is None:
        return _evaluate(real, synthetic, holdout, target, schema, max_rows, seed, progress)
    with threadpool_limits(limits=threads):
        return _evaluate(real, synthetic, holdout, target, schema, max_rows, seed, progress)


def _evaluate(real, synthetic, holdout, target, schema, max_rows, seed, progress):
    from .report import Report

    say = progress or (lambda _name: None)
    start = time.perf_counter()
    caps = _caps(max_rows)
    t = prepare(real, synthetic, holdout, target, schema)
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
    missing = _missing_section(t)
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
    timings["total"] = time.perf_counter() - start

    sizes = {"real": len(t.real), "synthetic": len(t.synthetic),
             "holdout": len(t.holdout) if has_h else None}
    subsampled = _subsampled_notes(sizes, caps, t.target is not None)
    notes = subsampled + notes
    if not has_h:
        notes.append("No holdout given: the holdout ceiling and the DCR share are not measured.")
    doc = {
        "format_version": FORMAT_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "synthgen_version": _version(),
        "inputs": {
            "real": {"rows": sizes["real"], "columns": len(t.kinds)},
            "synthetic": {"rows": sizes["synthetic"], "columns": len(t.kinds)},
            "holdout": {"rows": sizes["holdout"], "columns": len(t.kinds)} if has_h else None,
            "target": t.target,
            "task": None if efficacy is None else efficacy["task"],
        },
        "columns": [{"name": c, "kind": k} for c, k in t.kinds.items()],
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
    readings = score_readings(doc)
    return {k: {"label": SCORE_LABELS[k], **v, "reading": readings[k]} for k, v in values.items()}
