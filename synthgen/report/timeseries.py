"""The time-series section of the report: does the synthetic table move through time like
the real one?

Every measure compares the real table with the synthetic table and, when a holdout is given,
with the holdout in its place (the ceiling a perfect generator would reach):

- sequence_length: 1 - KS statistic of the sequence lengths (panel data only);
- context_shapes: 1 - KS (numbers, dates) or 1 - total variation distance (labels) of each
  context column, over one row per sequence;
- step_shapes: the same over all rows, for the time-varying columns;
- lag1_coherence: for every pair (column a at step t, column b at step t + 1), a == b
  included, how alike the real and synthetic associations are. Two numeric columns: the
  Spearman correlation of the pairs, scored 1 - |difference| / 2. A label column in the
  pair: the joint distribution of (a at t, b at t + 1), numbers cut into 10 bins at the real
  deciles and missing values a category of their own, scored 1 - total variation distance
  (sdmetrics' ContingencySimilarity, applied to consecutive rows). The score is the mean
  over pairs; per column it also lists the lag-1 autocorrelation (Spearman; for labels the
  share of steps that keep the same label);
- autocorrelation: per numeric column, the autocorrelation function up to lag min(window,
  48), computed per sequence (each sequence centred on its own mean) and averaged over the
  sequences long enough for the lag; score 1 - mean |difference| / 2;
- discriminative and predictive: the TimeGAN protocol scores (see seqscores.py) on windows
  of ``window`` steps (see sequences.py);
- plots: a few real and synthetic stretches of the first numeric columns.

Conventions (how synthgen writes time series): with an entity column every table is keyed
by it (the synthetic keys are new values, so nothing is matched by key); without one the
real table is one sequence and a synthetic table with an extra column named ``series``
holds one sequence per value of it. Rows are sorted by the order column within each
sequence (row order when there is none)."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from . import seqscores
from .sequences import (
    MAX_WINDOWS,
    FeatureSpace,
    Sequences,
    cut,
    feature_columns,
    sample_windows,
    split_sequences,
)
from .tables import NUMERIC_KINDS, as_numbers

SERIES = "series"  # the synthetic table's sequence number when there is no entity column
MAX_LAG = 48
MAX_PAIRS = 50_000  # consecutive-row pairs per table for the lag-1 measures (seeded sample)
N_BINS = 10  # bins of a number paired with a label (real deciles)
MAX_LABELS = 30  # categories per label column in contingency tables; rarer ones are merged
PLOT_SEQUENCES = 3
# Training steps of the protocol's models; read when the section is computed (not when the
# function is defined), so a caller or a test can lower them for every report at once.
DISC_ITERATIONS = 2000
PRED_ITERATIONS = 5000
PLOT_COLUMNS = 3
PLOT_MAX_STEPS = 500  # longest stretch plotted
PLOT_POINTS = 120  # points per plotted line (longer stretches are thinned evenly)
MAX_PAIR_ROWS = 400  # lag-1 pairs listed in the JSON (worst first)

METHOD = ("Pairs (column a at step t, column b at step t+1), a == b included. Two numbers: "
          "Spearman correlation, scored 1 - |difference| / 2. A label in the pair: joint "
          "distribution (numbers in 10 bins at the real deciles, missing as a category), "
          "scored 1 - total variation distance. Score = mean over pairs.")


def _both(s, h) -> dict:
    return {"synthetic": s, "holdout": h}


def _mean(values) -> float | None:
    v = [x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return float(np.mean(v)) if v else None


# ---- shapes --------------------------------------------------------------------------------
def ks_statistic(a: np.ndarray, b: np.ndarray) -> float | None:
    """Two-sample Kolmogorov-Smirnov statistic (missing values left out)."""
    a, b = np.sort(a[~np.isnan(a)]), np.sort(b[~np.isnan(b)])
    if not len(a) or not len(b):
        return None
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / len(a)
    fb = np.searchsorted(b, x, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def tv_distance(a: pd.Series, b: pd.Series) -> float | None:
    """Total variation distance of two label distributions (missing values left out)."""
    pa, pb = a.dropna().value_counts(normalize=True), b.dropna().value_counts(normalize=True)
    if not len(pa) or not len(pb):
        return None
    both = pa.index.union(pb.index)
    return float(0.5 * np.abs(pa.reindex(both, fill_value=0) - pb.reindex(both, fill_value=0)).sum())


def _shape(kind: str, a: pd.Series, b: pd.Series) -> tuple[str, float | None]:
    if kind in NUMERIC_KINDS:
        d = ks_statistic(as_numbers(a, kind), as_numbers(b, kind))
        return "KSComplement", None if d is None else 1.0 - d
    d = tv_distance(a, b)
    return "TVComplement", None if d is None else 1.0 - d


def _shapes(columns: list[str], kinds: dict, real: pd.DataFrame, syn: pd.DataFrame,
            hold: pd.DataFrame | None) -> dict | None:
    if not columns:
        return None
    rows = []
    for c in columns:
        metric, s = _shape(kinds[c], real[c], syn[c])
        h = None if hold is None else _shape(kinds[c], real[c], hold[c])[1]
        rows.append({"column": c, "metric": metric, "synthetic": s, "holdout": h})
    rows.sort(key=lambda r: (r["synthetic"] is None, r["synthetic"] or 0.0))
    return {"synthetic": _mean(r["synthetic"] for r in rows),
            "holdout": None if hold is None else _mean(r["holdout"] for r in rows),
            "columns": rows}


def _length_stats(seqs: Sequences | None) -> dict | None:
    if seqs is None:
        return None
    ln = seqs.lengths
    return {"count": int(len(ln)), "mean_length": float(ln.mean()) if len(ln) else 0.0,
            "min_length": int(ln.min()) if len(ln) else 0,
            "max_length": int(ln.max()) if len(ln) else 0}


# ---- lag-1 coherence -----------------------------------------------------------------------
class _PairCoder:
    """Codes for the contingency tables, fitted on the real table: labels by their real
    categories (the rest merged), numbers by real deciles; missing is one more code."""

    def __init__(self, real: pd.DataFrame, columns: list[str], kinds: dict):
        self.kinds = kinds
        self.edges: dict[str, np.ndarray] = {}
        self.cats: dict[str, dict] = {}
        for c in columns:
            if kinds[c] in NUMERIC_KINDS:
                v = as_numbers(real[c], kinds[c])
                v = v[~np.isnan(v)]
                q = np.unique(np.quantile(v, np.linspace(0, 1, N_BINS + 1)[1:-1])) if len(v) \
                    else np.zeros(0)
                self.edges[c] = q
            else:
                top = real[c].dropna().value_counts().index[:MAX_LABELS]
                self.cats[c] = {v: i for i, v in enumerate(top)}

    def size(self, c: str) -> int:
        # codes: categories / bins, then "other" (labels only), then missing
        return (len(self.edges[c]) + 1 if c in self.edges else len(self.cats[c]) + 1) + 1

    def codes(self, c: str, s: pd.Series) -> np.ndarray:
        missing = self.size(c) - 1
        if c in self.edges:
            v = as_numbers(s, self.kinds[c])
            out = np.searchsorted(self.edges[c], v, side="right")
        else:
            cats = self.cats[c]
            out = s.map(cats).fillna(len(cats)).to_numpy(dtype=np.int64)
        out = np.asarray(out, dtype=np.int64)
        out[s.isna().to_numpy()] = missing
        return out


def _pairs_sample(seqs: Sequences, max_pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = seqs.next_pairs()
    if len(i) > max_pairs:
        pick = np.sort(np.random.default_rng(seed).choice(len(i), max_pairs, replace=False))
        i, j = i[pick], j[pick]
    return i, j


def _spearman_lag1(frame: pd.DataFrame, i: np.ndarray, j: np.ndarray, cols: list[str],
                   kinds: dict) -> np.ndarray:
    """Matrix r[a, b] = Spearman correlation of (a at t, b at t + 1), pairwise complete."""
    now = pd.DataFrame({c: as_numbers(frame[c], kinds[c])[i] for c in cols}).rank().to_numpy()
    nxt = pd.DataFrame({c: as_numbers(frame[c], kinds[c])[j] for c in cols}).rank().to_numpy()
    ma, mb = (~np.isnan(now)).astype(float), (~np.isnan(nxt)).astype(float)
    x, y = np.nan_to_num(now), np.nan_to_num(nxt)
    n = ma.T @ mb
    sx, sy = x.T @ mb, ma.T @ y
    sxx, syy = (x * x).T @ mb, ma.T @ (y * y)
    sxy = x.T @ y
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = n * sxy - sx * sy
        var = (n * sxx - sx ** 2) * (n * syy - sy ** 2)
        r = cov / np.sqrt(var)
    r[(n < 3) | ~(var > 0)] = np.nan
    return np.clip(r, -1.0, 1.0)


def _lag1_tables(seqs: Sequences, cols: list[str], numeric: list[str], coder: _PairCoder,
                 kinds: dict, seed: int) -> dict | None:
    i, j = _pairs_sample(seqs, MAX_PAIRS, seed)
    if len(i) == 0:
        return None
    f = seqs.frame
    labels = [c for c in cols if c not in numeric]
    codes_now = {c: coder.codes(c, f[c].iloc[i].reset_index(drop=True)) for c in cols}
    codes_next = {c: coder.codes(c, f[c].iloc[j].reset_index(drop=True)) for c in cols}
    same = {}
    for c in labels:
        a, b = f[c].iloc[i].to_numpy(), f[c].iloc[j].to_numpy()
        both_missing = pd.isna(a) & pd.isna(b)
        same[c] = float(np.mean((a == b) | both_missing))
    return {"n": len(i),
            "corr": _spearman_lag1(f, i, j, numeric, kinds) if numeric else np.zeros((0, 0)),
            "now": codes_now, "next": codes_next, "same": same}


def _joint(coder: _PairCoder, t: dict, a: str, b: str) -> np.ndarray:
    na, nb = coder.size(a), coder.size(b)
    counts = np.bincount(t["now"][a] * nb + t["next"][b], minlength=na * nb)
    return counts / max(counts.sum(), 1)


def _lag1(real: Sequences, syn: Sequences, hold: Sequences | None, cols: list[str],
          kinds: dict, seed: int) -> dict | None:
    if not cols:
        return None
    numeric = [c for c in cols if kinds[c] in NUMERIC_KINDS]
    coder = _PairCoder(real.frame, cols, kinds)
    tr = _lag1_tables(real, cols, numeric, coder, kinds, seed)
    if tr is None:
        return None
    ts = _lag1_tables(syn, cols, numeric, coder, kinds, seed + 1)
    th = None if hold is None else _lag1_tables(hold, cols, numeric, coder, kinds, seed + 2)
    pos = {c: k for k, c in enumerate(numeric)}

    def corr(t, a, b):
        if t is None:
            return None
        v = t["corr"][pos[a], pos[b]]
        return None if np.isnan(v) else float(v)

    def score(t, a, b, r_corr):
        if t is None:
            return None
        if a in pos and b in pos:
            o = corr(t, a, b)
            return None if o is None or r_corr is None else 1.0 - abs(r_corr - o) / 2.0
        return 1.0 - 0.5 * float(np.abs(_joint(coder, tr, a, b) - _joint(coder, t, a, b)).sum())

    pairs = []
    for a in cols:
        for b in cols:
            numeric_pair = a in pos and b in pos
            rc = corr(tr, a, b) if numeric_pair else None
            pairs.append({
                "column": a, "next_column": b,
                "metric": "CorrelationSimilarity" if numeric_pair else "ContingencySimilarity",
                "real_correlation": rc,
                "synthetic_correlation": corr(ts, a, b) if numeric_pair else None,
                "holdout_correlation": corr(th, a, b) if numeric_pair else None,
                "synthetic": score(ts, a, b, rc), "holdout": score(th, a, b, rc)})
    columns = []
    for c in cols:
        if c in pos:
            vals = [corr(t, c, c) for t in (tr, ts, th)]
            measure = "spearman"
        else:
            vals = [None if t is None else t["same"][c] for t in (tr, ts, th)]
            measure = "same_label_rate"
        columns.append({"column": c, "measure": measure, "real": vals[0], "synthetic": vals[1],
                        "holdout": vals[2]})
    out = {"synthetic": _mean(p["synthetic"] for p in pairs),
           "holdout": None if hold is None else _mean(p["holdout"] for p in pairs),
           "method": METHOD,
           "pairs_used": {"real": tr["n"], "synthetic": None if ts is None else ts["n"],
                          "holdout": None if th is None else th["n"]},
           "pairs_total": len(pairs),
           "columns": columns}
    pairs.sort(key=lambda p: (p["synthetic"] is None, p["synthetic"] or 0.0))
    out["pairs"] = pairs[:MAX_PAIR_ROWS]
    return out


# ---- autocorrelation -----------------------------------------------------------------------
def mean_acf(seqs: Sequences, values: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelation at lags 1..max_lag, per sequence (centred on its own mean, missing
    values at the mean), averaged over the sequences longer than the lag with any spread.
    NaN at lags no sequence reaches."""
    out = np.full(max_lag, np.nan)
    if seqs.count == 0 or len(values) == 0:
        return out
    sid = seqs.sequence_id
    ok = ~np.isnan(values)
    v = np.where(ok, values, 0.0)
    cnt = np.bincount(sid, weights=ok.astype(float), minlength=seqs.count)
    mean = np.bincount(sid, weights=v, minlength=seqs.count) / np.maximum(cnt, 1)
    xc = np.where(ok, values - mean[sid], 0.0)
    denom = np.bincount(sid, weights=xc * xc, minlength=seqs.count)
    starts, ends = seqs.starts, seqs.starts + seqs.lengths
    for k in range(1, max_lag + 1):
        valid = (seqs.lengths > k) & (denom > 1e-12 * np.maximum(cnt, 1))
        if not valid.any() or len(xc) <= k:
            continue
        # Sum of x[i] * x[i + k] within each sequence: differences of one running sum.
        run = np.r_[0.0, np.cumsum(xc[:-k] * xc[k:])]
        s, e = starts[valid], ends[valid] - k
        out[k - 1] = float(np.mean((run[e] - run[s]) / denom[valid]))
    return out


def _autocorrelation(real: Sequences, syn: Sequences, hold: Sequences | None,
                     cols: list[str], kinds: dict, max_lag: int) -> dict | None:
    if not cols or max_lag < 1:
        return None
    rows = []
    for c in cols:
        acf = {name: None if s is None else mean_acf(s, as_numbers(s.frame[c], kinds[c]), max_lag)
               for name, s in (("real", real), ("synthetic", syn), ("holdout", hold))}

        def score(other, r=acf["real"]):
            if other is None:
                return None
            ok = ~(np.isnan(r) | np.isnan(other))
            return float(1.0 - np.mean(np.abs(r[ok] - other[ok])) / 2.0) if ok.any() else None

        rows.append({"column": c, "real": _floats(acf["real"]),
                     "synthetic": _floats(acf["synthetic"]),
                     "holdout": None if hold is None else _floats(acf["holdout"]),
                     "score": _both(score(acf["synthetic"]), score(acf["holdout"]))})
    return {"synthetic": _mean(r["score"]["synthetic"] for r in rows),
            "holdout": None if hold is None else _mean(r["score"]["holdout"] for r in rows),
            "max_lag": max_lag, "columns": rows}


def _floats(a: np.ndarray | None) -> list | None:
    if a is None:
        return None
    return [None if np.isnan(x) else round(float(x), 5) for x in a]


# ---- windows and the sequence models -------------------------------------------------------
def subset(seqs: Sequences, keep: np.ndarray) -> Sequences:
    """The rows where ``keep`` is true, which must be one contiguous run per sequence."""
    sid = seqs.sequence_id[keep]
    lengths = np.bincount(sid, minlength=seqs.count)
    has = lengths > 0
    lengths = lengths[has]
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(int)
    keys = [k for k, h in zip(seqs.keys, has, strict=True) if h]
    return Sequences(seqs.frame[keep].reset_index(drop=True), starts, lengths.astype(int), keys)


def _real_split(seqs: Sequences, seed: int) -> tuple[Sequences, Sequences, str]:
    """Train / test parts of the real sequences for the train-on-real reference without a
    holdout: 20% of the sequences when there are at least 5, else the last 20% of each."""
    if seqs.count >= 5:
        test = np.zeros(seqs.count, bool)
        test[np.random.default_rng(seed).permutation(seqs.count)[: max(1, seqs.count // 5)]] = True
        row_test = test[seqs.sequence_id]
        how = f"{int(test.sum())} of the {seqs.count} real sequences"
    else:
        cut_at = np.repeat(np.floor(0.8 * seqs.lengths).astype(int), seqs.lengths)
        row_test = seqs.position >= cut_at
        how = "the last 20% of each real sequence"
    return subset(seqs, ~row_test), subset(seqs, row_test), how


def _windows(seqs: Sequences | None, space: FeatureSpace, window: int, stride: int,
             max_windows: int, seed: int) -> tuple[np.ndarray, int]:
    if seqs is None:
        return np.zeros((0, window, space.dim), np.float32), 0
    starts, total = sample_windows(seqs, window, stride, max_windows, seed)
    return cut(space.transform(seqs.frame), starts, window), total


# ---- plots ---------------------------------------------------------------------------------
def _plot_items(seqs: Sequences, cols: list[str], kinds: dict, length: int, n: int,
                key_name: str | None, rng: np.random.Generator) -> list[dict]:
    if seqs.count == 0:
        return []
    chosen = rng.permutation(seqs.count)[:n]
    if len(chosen) < n:  # fewer sequences than plots: several stretches of the same ones
        chosen = np.resize(chosen, n)
    values = {c: as_numbers(seqs.frame[c], kinds[c]) for c in cols}
    items = []
    seen: dict[int, int] = {}
    for s in chosen:
        ln = int(seqs.lengths[s])
        span = min(ln, length)
        uses = int(np.sum(chosen == s))
        if uses == 1:
            offset = int(rng.integers(0, ln - span + 1))
        else:  # the same sequence several times: evenly spaced stretches, start to end
            k = seen.get(int(s), 0)
            seen[int(s)] = k + 1
            offset = int(round(k * (ln - span) / (uses - 1)))
        steps = np.unique(np.linspace(0, span - 1, min(span, PLOT_POINTS)).round().astype(int))
        rows = seqs.starts[s] + offset + steps
        key = _fmt_key(seqs.keys[s])
        where = f"steps {offset}-{offset + span - 1}"
        label = where if key is None else f"{key_name} {key}, {where}"
        items.append({"label": label, "steps": [int(offset + x) for x in steps],
                      "values": {c: [None if np.isnan(v) else float(v) for v in values[c][rows]]
                                 for c in cols}})
    return items


def _fmt_key(v: object) -> object:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    return v


# ---- the section ---------------------------------------------------------------------------
def timeseries_section(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None,
                       kinds: dict[str, str], entity: str | None = None, order: str | None = None,
                       context: list[str] | tuple = (), window: int = 24, seed: int = 0, *,
                       stride: int = 1, max_windows: int = MAX_WINDOWS,
                       disc_iterations: int | None = None, pred_iterations: int | None = None,
                       batch_size: int = 128, learning_rate: float = 1e-3,
                       plot_sequences: int = PLOT_SEQUENCES, plot_columns: int = PLOT_COLUMNS
                       ) -> dict:
    """The ``timeseries`` member of the report (see schemas/report.schema.json).

    real, synthetic, holdout: normalised tables (tables.prepare) with the columns of
    ``kinds``; without an entity a table may also hold a ``series`` column numbering its
    sequences. context: columns constant within a sequence. window / stride: the windows of
    the sequence models; max_windows caps them per table (seeded subsample). The remaining
    keywords set the models' training (defaults: the published protocol; the iterations
    default to DISC_ITERATIONS and PRED_ITERATIONS)."""
    disc_iterations = DISC_ITERATIONS if disc_iterations is None else int(disc_iterations)
    pred_iterations = PRED_ITERATIONS if pred_iterations is None else int(pred_iterations)
    if window < 2:
        raise ValueError("window must be at least 2")
    if stride < 1:
        raise ValueError("stride must be at least 1")
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    notes: list[str] = []
    has_h = holdout is not None

    def key_of(df: pd.DataFrame | None) -> str | None:
        if df is None:
            return None
        if entity is not None:
            return entity
        return SERIES if SERIES in df.columns and SERIES not in kinds else None

    t0 = time.perf_counter()
    keys = {"real": key_of(real), "synthetic": key_of(synthetic), "holdout": key_of(holdout)}
    seq_r = split_sequences(real, keys["real"], order)
    seq_s = split_sequences(synthetic, keys["synthetic"], order)
    seq_h = None if holdout is None else split_sequences(holdout, keys["holdout"], order)
    exclude = {c for c in (entity, order) if c is not None}
    context = [c for c in context if c in kinds and c not in exclude and kinds[c] != "id"]
    steps = feature_columns(kinds, exclude | set(context))
    numeric = [c for c in steps if kinds[c] in NUMERIC_KINDS]
    timings["sequences"] = time.perf_counter() - t0

    # -- lengths and shapes
    t0 = time.perf_counter()
    length = None
    if entity is not None:
        def sim(other):
            d = ks_statistic(seq_r.lengths.astype(float), other.lengths.astype(float))
            return None if d is None else 1.0 - d

        length = {"synthetic": sim(seq_s), "holdout": None if seq_h is None else sim(seq_h),
                  "real_mean": float(seq_r.lengths.mean()),
                  "synthetic_mean": float(seq_s.lengths.mean()),
                  "holdout_mean": None if seq_h is None else float(seq_h.lengths.mean())}
    first = {n: None if s is None else s.first_rows()
             for n, s in (("real", seq_r), ("synthetic", seq_s), ("holdout", seq_h))}
    context_shapes = _shapes(context, kinds, first["real"], first["synthetic"], first["holdout"])
    if context and entity is None:
        notes.append("Without an entity column the real table is one sequence, so context "
                     "shapes compare a single real row with each synthetic series.")
    step_shapes = _shapes(steps, kinds, seq_r.frame, seq_s.frame,
                          None if seq_h is None else seq_h.frame)
    timings["shapes"] = time.perf_counter() - t0

    # -- lag-1 coherence and autocorrelation
    t0 = time.perf_counter()
    lag1 = _lag1(seq_r, seq_s, seq_h, steps, kinds, seed)
    if lag1 is not None and len(seq_r.next_pairs()[0]) > MAX_PAIRS:
        notes.append(f"Lag-1 coherence uses a random {MAX_PAIRS:,} pairs of consecutive rows "
                     "per table.")
    timings["lag1"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    max_lag = min(window, MAX_LAG)
    acf = _autocorrelation(seq_r, seq_s, seq_h, numeric, kinds, max_lag)
    timings["autocorrelation"] = time.perf_counter() - t0

    # -- windows
    t0 = time.perf_counter()
    median_len = int(np.median(seq_r.lengths)) if seq_r.count else 0
    w = min(window, median_len)
    model_cols = [c for c in kinds if c in steps or c in context]
    # The predictive score predicts the last numeric (not date) time-varying column, as the
    # protocol predicts the last column of the data.
    values = [c for c in numeric if kinds[c] != "datetime"]
    target = values[-1] if values else None
    disc = pred = None
    win_info = {"requested": int(window), "used": None, "stride": int(stride),
                "max_windows": int(max_windows), "features": 0,
                "available": {"real": 0, "synthetic": 0, "holdout": None}}
    if w < 2 or not model_cols:
        notes.append("The sequence models were not run: " + (
            "no column to model." if not model_cols else
            "the real sequences are shorter than 2 steps (median)."))
    else:
        if w < window:
            notes.append(f"Windows of {w} steps (the median real sequence length) instead of "
                         f"{window}; shorter sequences give no window.")
        others = [df for df in (synthetic, holdout) if df is not None]
        space = FeatureSpace(model_cols, kinds, target).fit(seq_r.frame, others)
        x_r, n_r = _windows(seq_r, space, w, stride, max_windows, seed + 30)
        x_s, n_s = _windows(seq_s, space, w, stride, max_windows, seed + 31)
        x_h, n_h = _windows(seq_h, space, w, stride, max_windows, seed + 32)
        win_info.update({"used": int(w), "features": space.dim,
                         "available": {"real": n_r, "synthetic": n_s,
                                       "holdout": n_h if has_h else None}})
        if max(n_r, n_s, n_h) > max_windows:
            notes.append(f"The sequence models use at most {max_windows:,} random windows of "
                         f"{w} steps per table (there were {max(n_r, n_s, n_h):,}).")
        timings["windows"] = time.perf_counter() - t0

        # -- discriminative
        t0 = time.perf_counter()
        kw = {"iterations": disc_iterations, "batch_size": batch_size,
              "learning_rate": learning_rate}
        d_s = seqscores.discriminative_score(x_r, x_s, seed=seed, **kw)
        d_h = seqscores.discriminative_score(x_r, x_h, seed=seed, **kw) if has_h else None
        disc = {"synthetic": d_s, "holdout": d_h, "iterations": int(disc_iterations),
                "batch_size": int(batch_size), "hidden": seqscores.hidden_size(space.dim)}
        if d_s is None:
            notes.append("Too few windows for the discriminative score "
                         f"(at least {seqscores.MIN_WINDOWS} per table).")
        timings["discriminative"] = time.perf_counter() - t0

        # -- predictive
        t0 = time.perf_counter()
        if target is None:
            notes.append("No numeric time-varying column: the predictive score is not measured.")
        else:
            kw = {"iterations": pred_iterations, "batch_size": batch_size,
                  "learning_rate": learning_rate, "seed": seed}
            if has_h:
                real_train, test_w = x_r, x_h
                test_set = "holdout windows"
            else:
                tr_seq, te_seq, how = _real_split(seq_r, seed + 40)
                real_train, _ = _windows(tr_seq, space, w, stride, max_windows, seed + 41)
                test_w, _ = _windows(te_seq, space, w, stride, max_windows, seed + 42)
                test_set = f"real windows from {how} (no holdout given)"
                notes.append(f"Without a holdout, the predictive score is tested on {how} and "
                             "the train-on-real reference is trained on the rest; if the "
                             "generator saw those rows the synthetic score is optimistic.")
            m_s = seqscores.train_predictor(x_s, **kw)
            m_r = seqscores.train_predictor(real_train, **kw)
            pred = {"target": target, "inputs": seqscores.predictor_inputs(space.dim),
                    "test_set": test_set, "iterations": int(pred_iterations),
                    "batch_size": int(batch_size), "hidden": seqscores.hidden_size(space.dim),
                    "synthetic": seqscores.predictive_mae(m_s, test_w),
                    "holdout": seqscores.predictive_mae(m_r, test_w),
                    "protocol_mae": seqscores.predictive_mae(m_s, x_r),
                    "windows": {"synthetic_train": len(x_s), "real_train": len(real_train),
                                "test": len(test_w)}}
        timings["predictive"] = time.perf_counter() - t0

    # -- plots
    t0 = time.perf_counter()
    plot_cols = values[:plot_columns]
    span = min(PLOT_MAX_STEPS, max(4 * max(w, 2), 96))
    rng = np.random.default_rng(seed + 50)
    plots = {"columns": plot_cols, "max_steps": span,
             "real": _plot_items(seq_r, plot_cols, kinds, span, plot_sequences, keys["real"], rng),
             "synthetic": _plot_items(seq_s, plot_cols, kinds, span, plot_sequences,
                                      keys["synthetic"], rng)} if plot_cols else None
    timings["plots"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start

    return clean({
        "mode": "panel" if entity is not None else "single",
        "entity": entity, "order": order, "context": context,
        "synthetic_key": keys["synthetic"],
        "columns": steps,
        "sequences": {"real": _length_stats(seq_r), "synthetic": _length_stats(seq_s),
                      "holdout": _length_stats(seq_h)},
        "windows": win_info,
        "sequence_length": length,
        "context_shapes": context_shapes,
        "step_shapes": step_shapes,
        "lag1_coherence": lag1,
        "autocorrelation": acf,
        "discriminative": disc,
        "predictive": pred,
        "plots": plots,
        "notes": notes,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    })


def clean(obj):
    """JSON-ready: numpy scalars as Python numbers, NaN and infinities as None."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
