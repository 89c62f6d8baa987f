"""Tables -> sequences -> fixed-length windows, for the time-series section of the report.

A table holds one sequence per entity (panel data) or one long sequence. Rows are sorted by
(entity, order) here, never assumed sorted, so that every sequence is a contiguous run of
rows; a sequence is then just (start row, length), and windows are start rows into one
per-row feature matrix. Everything is vectorised with numpy so that a 400k-row table is cut
and encoded in well under a second."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .tables import LABEL_KINDS, NUMERIC_KINDS, as_numbers, datetime_seconds

MAX_WINDOWS = 5_000  # windows per table for the sequence models (a seeded subsample)
MAX_ONE_HOT = 30  # categories per column with their own feature; rarer ones are all zeros


@dataclass
class Sequences:
    """A table with its rows grouped into contiguous sequences (in time order within each)."""

    frame: pd.DataFrame  # the rows, sorted by sequence then order; RangeIndex
    starts: np.ndarray  # first row of each sequence
    lengths: np.ndarray  # rows per sequence
    keys: list  # the sequence key of each sequence (None for a table that is one sequence)

    @property
    def count(self) -> int:
        return len(self.lengths)

    @property
    def sequence_id(self) -> np.ndarray:
        """For every row, the number of its sequence."""
        return np.repeat(np.arange(self.count), self.lengths)

    @property
    def position(self) -> np.ndarray:
        """For every row, its step number within its sequence (0, 1, ...)."""
        return np.arange(len(self.frame)) - np.repeat(self.starts, self.lengths)

    def split(self, values: np.ndarray) -> list[np.ndarray]:
        """Per-row values (rows of ``frame``) as one array per sequence."""
        return np.split(values, self.starts[1:])

    def first_rows(self) -> pd.DataFrame:
        """One row per sequence: the static (context) attributes."""
        return self.frame.iloc[self.starts].reset_index(drop=True)

    def next_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Row indices (i, i + 1) of every pair of consecutive rows of the same sequence."""
        sid = self.sequence_id
        i = np.nonzero(sid[:-1] == sid[1:])[0]
        return i, i + 1


def _sort_values(s: pd.Series) -> np.ndarray:
    """A sortable numeric key for an order or entity column (missing values sort last)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        v = datetime_seconds(s)
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.to_numpy(dtype=float)
    else:
        codes, _ = pd.factorize(s, sort=True)
        v = codes.astype(float)
        v[codes < 0] = np.nan
    return np.where(np.isnan(v), np.inf, v)


def split_sequences(df: pd.DataFrame, key: str | None = None,
                    order: str | None = None) -> Sequences:
    """Group ``df`` into sequences by ``key`` (None: the whole table is one sequence), rows
    sorted by ``order`` within each (None: row order is time order). The sort is stable."""
    n = len(df)
    sort_keys = []
    if order is not None:
        sort_keys.append(_sort_values(df[order]))
    if key is not None:
        codes, uniques = pd.factorize(df[key], use_na_sentinel=False)
        sort_keys.append(codes)
    if sort_keys:
        # np.lexsort sorts by the last key first (the entity, then the order); it is stable,
        # so ties keep their row order.
        idx = np.lexsort(sort_keys)
    else:
        idx = np.arange(n)
    frame = df.iloc[idx].reset_index(drop=True)
    if key is None:
        return Sequences(frame, np.array([0]) if n else np.zeros(0, int),
                         np.array([n]) if n else np.zeros(0, int), [None] if n else [])
    sorted_codes = codes[idx]
    bounds = np.r_[0, np.nonzero(np.diff(sorted_codes))[0] + 1]
    lengths = np.diff(np.r_[bounds, n])
    keys = [uniques[c] for c in sorted_codes[bounds]]
    return Sequences(frame, bounds.astype(int), lengths.astype(int), keys)


def window_starts(seqs: Sequences, window: int, stride: int = 1) -> np.ndarray:
    """Start rows of every window of ``window`` consecutive rows inside one sequence."""
    per = np.maximum(0, (seqs.lengths - window) // stride + 1)
    total = int(per.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.cumsum(per) - per  # index of each sequence's first window
    offsets = np.arange(total) - np.repeat(first, per)
    return np.repeat(seqs.starts, per) + stride * offsets


def sample_windows(seqs: Sequences, window: int, stride: int = 1,
                   max_windows: int = MAX_WINDOWS, seed: int = 0) -> tuple[np.ndarray, int]:
    """(start rows of at most ``max_windows`` windows, number of windows there were).

    A seeded subsample without replacement when there are more; the starts come out in a
    random order either way (the models draw batches from the front)."""
    starts = window_starts(seqs, window, stride)
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(starts))[:max_windows]
    return starts[pick], len(starts)


def cut(matrix: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """(windows, window, features) array of the rows ``start .. start + window - 1``."""
    if len(starts) == 0:
        return np.zeros((0, window, matrix.shape[1]), dtype=matrix.dtype)
    return matrix[starts[:, None] + np.arange(window)[None, :]]


class FeatureSpace:
    """Per-row numeric features for the sequence models, fitted on the real table.

    Numbers and dates are min-max scaled with the real minimum and maximum (so the real
    values lie in [0, 1]; other tables' values are clipped to [0, 1], as the published
    protocol's models expect); labels are one-hot coded on the real categories (at most
    MAX_ONE_HOT, most frequent first; other labels are all zeros). A missing value is 0
    plus a missing-indicator feature, added for every column with a missing value in any
    of the tables given to fit(). ``target`` (a numeric column) is put last, as the
    predictive score predicts the last feature."""

    def __init__(self, columns: list[str], kinds: dict[str, str], target: str | None = None):
        self.columns = [c for c in columns if c != target] + ([target] if target else [])
        self.kinds = kinds
        self.target = target
        self.ranges: dict[str, tuple[float, float]] = {}
        self.categories: dict[str, dict] = {}
        self.missing: set[str] = set()
        self.names: list[str] = []

    def fit(self, real: pd.DataFrame, others: list[pd.DataFrame] = ()) -> FeatureSpace:
        for col in self.columns:
            kind = self.kinds[col]
            if any(df[col].isna().any() for df in (real, *others)):
                self.missing.add(col)
            if kind in NUMERIC_KINDS:
                v = as_numbers(real[col], kind)
                v = v[~np.isnan(v)]
                self.ranges[col] = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
            else:
                top = real[col].dropna().value_counts().index[:MAX_ONE_HOT]
                self.categories[col] = {v: i for i, v in enumerate(top)}
        names: list[str] = []
        for col in self.columns:
            if col in self.ranges:
                body = [col]
            else:
                body = [f"{col}={v}" for v in self.categories[col]]
            miss = [f"{col} missing"] if col in self.missing else []
            # The target's own value must stay the very last feature.
            names += (miss + body) if col == self.target else (body + miss)
        self.names = names
        return self

    @property
    def dim(self) -> int:
        return len(self.names)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        n = len(df)
        parts: list[np.ndarray] = []
        for col in self.columns:
            kind = self.kinds[col]
            miss = df[col].isna().to_numpy()
            if col in self.ranges:
                lo, hi = self.ranges[col]
                v = as_numbers(df[col], kind)
                scaled = (v - lo) / (hi - lo) if hi > lo else np.where(np.isnan(v), 0.0, 0.5)
                body = np.clip(np.nan_to_num(scaled, nan=0.0), 0.0, 1.0)[:, None]
            else:
                cats = self.categories[col]
                codes = df[col].map(cats).to_numpy(dtype=float)
                ok = ~np.isnan(codes)
                body = np.zeros((n, len(cats)))
                body[np.nonzero(ok)[0], codes[ok].astype(int)] = 1.0
            blocks = [body]
            if col in self.missing:
                ind = miss.astype(float)[:, None]
                blocks = [ind, body] if col == self.target else [body, ind]
            parts += blocks
        if not parts:
            return np.zeros((n, 0), dtype=np.float32)
        return np.hstack(parts).astype(np.float32)


def feature_columns(kinds: dict[str, str], exclude: set[str]) -> list[str]:
    """Columns that enter the sequence models: every numeric or label column not excluded
    (keys, the entity, the order column); id columns never."""
    return [c for c, k in kinds.items()
            if c not in exclude and (k in NUMERIC_KINDS or k in LABEL_KINDS)]
