"""Sequences <-> per-step tables: input checks, sorting, context detection, time gaps, the
entity table (context, length, start), training windows, and assembling generated steps back
into a frame with the input's columns."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..encoders import DatetimeEncoder
from ..encoders.datetime import times_from_numbers
from ..errors import DataError
from ..schema import ColumnSpec, Schema

GAP = "__gap__"  # time since the previous step, in the order column's units
LENGTH = "__length__"  # steps per entity (entity table)
START = "__start__"  # the first order value of an entity (entity table)
SERIES = "series"  # numbers the generated series of a model without an entity column


@dataclass
class SeriesLayout:
    """How a table is read as sequences; JSON-serialisable, stored in the model file."""

    entity: str | None
    order: str | None
    context: list[str]
    varying: list[str]  # columns modelled at every step (no ids)
    ids: list[str]  # id columns: fresh keys per row
    window: int
    order_kind: str | None = None  # "datetime" | "number"
    order_codec: dict = field(default_factory=dict)
    min_gap: float = 0.0  # smallest positive gap in the data: generated gaps stay above it
    gap_integer: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SeriesLayout:
        return cls(**d)

    @property
    def step_columns(self) -> list[str]:
        """The columns of a step row, in model order: context first (given), then the rest."""
        return self.context + self.varying + ([GAP] if self.order else [])


# ---- the order column ------------------------------------------------------------------
def order_numbers(s: pd.Series, kind: str) -> tuple[np.ndarray, str, dict]:
    """The order column as float numbers, its kind ("datetime" | "number") and a codec dict."""
    name = str(s.name)
    if s.isna().any():
        bad = s[s.isna()]
        raise DataError(f"order column '{name}' has {len(bad)} missing value(s) (first in row {bad.index[0] + 1}); every row needs a time or position")
    if kind == "datetime":
        enc = DatetimeEncoder.fit(name, s)
        x = enc.numbers(s)
        if np.isnan(x).any():
            pos = int(np.flatnonzero(np.isnan(x))[0])
            raise DataError(f"order column '{name}' has a value that is not a time ({s.iloc[pos]!r} in row {pos + 1}); fix it or give another order column")
        return x, "datetime", enc.time_format()
    x = pd.to_numeric(s, errors="coerce")
    if x.isna().any():
        pos = int(np.flatnonzero(x.isna().to_numpy())[0])
        raise DataError(f"order column '{name}' mixes numbers and other values ({s.iloc[pos]!r} in row {pos + 1}); the order column must be all times or all numbers")
    x = x.to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        raise DataError(f"order column '{name}' has an infinite value; give every row a finite position")
    integer = bool(pd.api.types.is_integer_dtype(s.dtype) or np.all(x == np.round(x)))
    return x, "number", {"integer": integer, "dtype": str(s.dtype)}


def order_from_numbers(x: np.ndarray, name: str, kind: str, codec: dict) -> pd.Series:
    if kind == "datetime":
        return times_from_numbers(x, **codec).rename(name)
    if codec.get("integer"):
        return pd.Series(np.round(x).astype("int64"), name=name)
    return pd.Series(x, name=name, dtype="float64")


# ---- checks and layout -----------------------------------------------------------------
def check_sequences(df: pd.DataFrame, entity: str | None, order: str | None, context: list[str]) -> None:
    """Problems that make a table unreadable as sequences, each with its column and a fix."""
    for role, col in (("entity", entity), ("order", order)):
        if col is not None and col not in df.columns:
            raise DataError(f"the {role} column '{col}' is not in the data; columns are {', '.join(map(str, df.columns[:12]))}")
    if entity is not None and entity == order:
        raise DataError(f"'{entity}' cannot be both the entity and the order column")
    if entity is not None:
        keys = df[entity]
        if keys.isna().all():
            raise DataError(f"entity column '{entity}' is entirely missing; give the column that names each sequence, or fit without --entity for one long series")
        if keys.isna().any():
            raise DataError(f"entity column '{entity}' is missing in {int(keys.isna().sum())} row(s) (first in row {int(np.flatnonzero(keys.isna())[0]) + 1}); every row must belong to a sequence: fill or drop them")
        sizes = keys.value_counts()
        if (sizes == 1).all():
            raise DataError(f"every value of entity column '{entity}' occurs in one row only, so there are no sequences; fit it as a table (without --entity) or give the right entity column")
    if order is not None:
        dup = df.duplicated(subset=([entity] if entity else []) + [order], keep=False)
        if dup.any():
            row = int(np.flatnonzero(dup.to_numpy())[0])
            where = f" within entity {df[entity].iloc[row]!r}" if entity is not None else ""
            raise DataError(f"order column '{order}' has duplicate values{where} (e.g. {df[order].iloc[row]!r}, {int(dup.sum())} rows in all); each step needs its own time: aggregate or drop the duplicates")
    for col in context:
        if col not in df.columns:
            raise DataError(f"context column '{col}' is not in the data")
        if entity is None:
            raise DataError(f"context column '{col}' needs an entity column: context is what stays constant within each entity")
        changing = df.groupby(df[entity], sort=False)[col].nunique(dropna=False)
        changing = changing[changing > 1]
        if len(changing):
            raise DataError(f"context column '{col}' changes within entity {changing.index[0]!r} (and {len(changing) - 1} other entities); remove it from the schema's context list, or make it constant per entity")


def detect_context(df: pd.DataFrame, entity: str | None, candidates: list[str]) -> list[str]:
    """Columns constant within every entity (static attributes), when that is telling: at
    least two entities and more rows than entities."""
    if entity is None or df[entity].nunique() < 2 or df[entity].nunique() == len(df):
        return []
    g = df.groupby(df[entity], sort=False)
    return [c for c in candidates if (g[c].nunique(dropna=False) <= 1).all()]


def infer_context(df: pd.DataFrame, schema: Schema) -> list[str]:
    """The schema's context columns, or, when it names none, those detected in the data."""
    if schema.context:
        return list(schema.context)
    candidates = [c.name for c in schema.columns
                  if c.name not in (schema.entity, schema.order) and c.kind != "id"]
    return detect_context(df, schema.entity, candidates)


def make_layout(df: pd.DataFrame, schema: Schema, window: int) -> SeriesLayout:
    entity, order = schema.entity, schema.order
    check_sequences(df, entity, order, list(schema.context))
    context = infer_context(df, schema)
    others = [c.name for c in schema.columns if c.name not in (entity, order)]
    ids = [c for c in others if schema[c].kind == "id"]
    varying = [c for c in others if c not in ids and c not in context]
    if not varying:
        raise DataError("no column changes over time within a sequence; there is nothing to learn as a time series (fit it as a table)")
    layout = SeriesLayout(entity, order, context, varying, ids, window)
    if order is not None:
        if schema[order].kind not in ("datetime", "numeric", "integer", "id"):
            raise DataError(f"order column '{order}' is not all times or numbers{_first_bad_time(df[order])}; "
                            "fix those values, or give another order column")
        layout.order_kind = "datetime" if schema[order].kind == "datetime" else "number"
    return layout


def _first_bad_time(s: pd.Series) -> str:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = pd.to_datetime(s, errors="coerce", format="mixed")
    bad = s[times.isna() & pd.to_numeric(s, errors="coerce").isna() & s.notna()]
    return f" (e.g. {bad.iloc[0]!r} in row {int(np.flatnonzero(s.index == bad.index[0])[0]) + 1})" if len(bad) else ""


# ---- per-step tables ---------------------------------------------------------------------
@dataclass
class Steps:
    table: pd.DataFrame  # one row per step, columns layout.step_columns, sorted by entity, time
    offsets: np.ndarray  # (n_entities + 1,) where each entity's rows start
    entities: pd.DataFrame  # one row per entity: context columns, LENGTH, START


def split_steps(df: pd.DataFrame, layout: SeriesLayout) -> Steps:
    """Sort into sequences and derive the gap column and the entity table; fills in the
    layout's order codec and gap statistics."""
    df = df.reset_index(drop=True)
    keys = df[layout.entity] if layout.entity else pd.Series(np.zeros(len(df), dtype=np.int64))
    if layout.order:
        t, _, layout.order_codec = order_numbers(df[layout.order], layout.order_kind)
    else:
        t = np.arange(len(df), dtype=np.float64)  # the file's row order is the time order
    codes = pd.factorize(keys, sort=False)[0]  # entities in order of first appearance
    idx = np.lexsort((t, codes))
    df, t, codes = df.iloc[idx].reset_index(drop=True), t[idx], codes[idx]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    offsets = np.r_[starts, len(df)]
    table = df[layout.context + layout.varying].copy()
    if layout.order:
        gap = np.diff(t, prepend=t[0])
        # a sequence's first step has no gap: "missing" there, so that the model never learns
        # a zero gap it could then draw in the middle of a sequence
        gap[starts] = np.nan
        table[GAP] = gap
        positive = gap[gap > 0]
        layout.min_gap = float(positive.min()) if len(positive) else 1.0
        known = gap[~np.isnan(gap)]
        layout.gap_integer = bool(np.all(known == np.round(known)))
    entities = df.iloc[starts][layout.context].reset_index(drop=True)
    entities[LENGTH] = np.diff(offsets).astype(np.int64)
    entities[START] = t[starts]
    return Steps(table, offsets, entities)


def step_schema(schema: Schema, layout: SeriesLayout) -> Schema:
    cols = [schema[c] for c in layout.context + layout.varying]
    if layout.order:
        cols.append(ColumnSpec(GAP, "integer" if layout.gap_integer else "numeric", True))
    return Schema(cols)


def windows(codes: np.ndarray, values: np.ndarray, offsets: np.ndarray, window: int, stride: int,
            panel: bool) -> tuple[np.ndarray, ...]:
    """Training windows of ``window`` steps every ``stride`` steps of each sequence (the last
    one ends at the sequence's end; shorter sequences are padded). Returns codes and values
    (N, W, m), valid (N, W) and the kind of start token (N,): 0 where a window opens a
    sequence of panel data, 1 where it is cut from the middle (or from one long series)."""
    starts, ends = [], []
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        s = np.arange(a, max(b - window, a) + 1, stride)
        if s[-1] + window < b:
            s = np.r_[s, b - window]
        starts.append(s)
        ends.append(np.full(len(s), b))
    s, e = np.concatenate(starts), np.concatenate(ends)
    pos = s[:, None] + np.arange(window)[None, :]
    valid = pos < e[:, None]
    pos = np.minimum(pos, len(codes) - 1)
    is_first = np.isin(s, offsets[:-1]) & panel
    return codes[pos] * valid[..., None], values[pos] * valid[..., None], valid, (~is_first).astype(np.int64)


def default_stride(n_rows: int, window: int) -> int:
    # overlapping windows for small data (more, varied examples), fewer for big data (memory)
    return int(np.clip(n_rows // 8192, 1, max(window // 2, 1)))


RESIDUAL_MAX_SCALE = 0.2  # in standard-normal units: changes this small are learned as changes
MIN_CHANGES = 20  # fewer consecutive pairs of numbers than this: the column's values are modelled


def _follows_in_sequence(n_steps: int, offsets: np.ndarray) -> np.ndarray:
    """(steps,) whether each step has a previous step in its sequence (a sequence's first has not)."""
    same_sequence = np.ones(n_steps, dtype=bool)
    same_sequence[offsets[:-1]] = False
    return same_sequence


def step_limits(codes: np.ndarray, values: np.ndarray, offsets: np.ndarray, cont_codes: list[int],
                atom_values: list[list[float]], bounds: list[list[float]]) -> list[float]:
    """For each column, the largest step-to-step change of its numbers (continuous values and
    point masses with values, ``values`` already holding the latter) in the data; a column with
    no two numbers in a row gets the width of its range. ``codes``/``values`` (steps, m)."""
    same_sequence = _follows_in_sequence(len(codes), offsets)
    limits = []
    for j, cont in enumerate(cont_codes):
        number = (codes[:, j] == cont) | (codes[:, j] < len(atom_values[j]))
        pair = number[1:] & number[:-1] & same_sequence[1:]
        change = np.abs(np.diff(values[:, j]))[pair]
        limits.append(float(change.max()) if len(change) else float(bounds[j][1] - bounds[j][0]))
    return limits


def change_scales(codes: np.ndarray, values: np.ndarray, offsets: np.ndarray, cont_codes: list[int],
                  n_given: int, always: list[bool] | None = None) -> tuple[list[float], list[list[float]]]:
    """For each column, the spread (standard deviation) of its step-to-step changes where they
    are small next to its values' spread (or the column is ``always`` learned as changes), else 0;
    and the (low, high) range of its encoded values. ``codes``/``values`` (steps, m) encoded
    steps, sequences starting at ``offsets``."""
    same_sequence = _follows_in_sequence(len(codes), offsets)
    scales, bounds = [], []
    for j, cont in enumerate(cont_codes):
        is_cont = codes[:, j] == cont
        v = values[is_cont, j]
        bounds.append([float(v.min()), float(v.max())] if len(v) else [0.0, 0.0])
        pair = is_cont[1:] & is_cont[:-1] & same_sequence[1:]
        change = np.diff(values[:, j])[pair]
        spread = float(change.std()) if len(change) >= MIN_CHANGES else math.inf
        keep = j >= n_given and cont >= 0 and (spread < RESIDUAL_MAX_SCALE or (always is not None and always[j]))
        keep = keep and math.isfinite(spread)
        scales.append(max(spread, 1e-3) if keep else 0.0)
    return scales, bounds
