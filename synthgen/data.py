"""DataFrames <-> model arrays: input checks with clear messages, encoding every column,
and decoding generated codes back to a frame with the input's columns and dtypes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .encoders import ColumnEncoder, IdEncoder, fit_encoder
from .errors import DataError
from .schema import Schema

MIN_ROWS = 10


def to_pandas(df) -> tuple[pd.DataFrame, str]:
    """Accept pandas or polars; return a pandas frame and the name of the input's type."""
    if isinstance(df, pd.DataFrame):
        return df, "pandas"
    try:
        import polars as pl
    except ImportError:  # pragma: no cover
        pl = None
    if pl is not None and isinstance(df, pl.DataFrame):
        return df.to_pandas(), "polars"
    raise DataError(f"expected a pandas or polars DataFrame, got {type(df).__name__}")


def check_table(df: pd.DataFrame, schema: Schema, source: str = "the data") -> None:
    """Problems that make a table unlearnable, each named with its column and a fix."""
    if len(df.columns) == 0:
        raise DataError(f"{source} has no columns; give a table with a header row and data")
    dup = pd.Index(df.columns)[pd.Index(df.columns).duplicated()].unique().tolist()
    if dup:
        raise DataError(f"{source} has duplicate column names {', '.join(map(repr, dup))}; rename them so every column is unique")
    if len(df) == 0:
        raise DataError(f"{source} has a header but no data rows; synthgen needs at least {MIN_ROWS} rows")
    if len(df) < MIN_ROWS:
        raise DataError(f"{source} has only {len(df)} data row{'s' if len(df) != 1 else ''}; synthgen needs at least {MIN_ROWS} rows to learn from")
    for spec in schema.columns:
        s = df[spec.name]
        non_null = s.dropna()
        if spec.kind == "id":
            continue
        if non_null.empty:
            raise DataError(f"column '{spec.name}' is entirely missing in {source}; drop it before fitting (there is nothing to learn)")
        if spec.kind in ("numeric", "integer"):
            nums = pd.to_numeric(non_null, errors="coerce")
            bad = non_null[nums.isna()]
            if len(bad):
                raise DataError(f"column '{spec.name}' mixes numbers and text (e.g. {bad.iloc[0]!r} in row {_row(bad)}); clean it, or declare it categorical in a schema file")
            inf = nums[np.isinf(nums.to_numpy(dtype=float))]
            if len(inf):
                raise DataError(f"column '{spec.name}' has an infinite value in row {_row(inf)}; replace inf with a number or leave the cell empty")
        if non_null.nunique() == 1 and not s.isna().any():
            raise DataError(f"column '{spec.name}' is constant ({non_null.iloc[0]!r} in every row) in {source}; drop it before fitting, there is nothing to learn")
        if spec.kind == "categorical" and non_null.dtype == object:
            _check_mixed_types(spec.name, non_null)


def _check_mixed_types(name: str, non_null: pd.Series) -> None:
    """A column that is mostly numbers with some text is almost always a data error."""
    sample = non_null.head(50000)
    if not all(isinstance(v, str) for v in sample.head(1000)):
        return
    nums = pd.to_numeric(sample, errors="coerce")
    share = nums.notna().mean()
    if 0.5 <= share < 1.0:
        bad = sample[nums.isna()]
        raise DataError(f"column '{name}' mixes numbers and text (e.g. {bad.iloc[0]!r} in row {_row(bad)}); clean it, or declare it categorical in a schema file to keep both")


def _row(s: pd.Series) -> str:
    # 1-based data row number as a spreadsheet user would count it
    pos = s.index[0]
    return str(pos + 1) if isinstance(pos, (int, np.integer)) else repr(pos)


def fit_encoders(df: pd.DataFrame, schema: Schema, seed: int = 0) -> list[ColumnEncoder]:
    return [fit_encoder(spec, df[spec.name], seed=seed) for spec in schema.columns]


def encode_table(df: pd.DataFrame, encoders: list[ColumnEncoder]) -> tuple[np.ndarray, np.ndarray]:
    """Codes (n, m) int64 and values (n, m) float32 for the modelled (non-id) columns."""
    modelled = [e for e in encoders if not isinstance(e, IdEncoder)]
    codes = np.zeros((len(df), len(modelled)), dtype=np.int64)
    values = np.zeros((len(df), len(modelled)), dtype=np.float32)
    for j, enc in enumerate(modelled):
        out = enc.encode(df[enc.name])
        codes[:, j] = out.codes
        values[:, j] = out.values
    return codes, values


def decode_table(codes: np.ndarray, values: np.ndarray, encoders: list[ColumnEncoder],
                 id_start: int = 0) -> pd.DataFrame:
    n = len(codes)
    out = {}
    j = 0
    for enc in encoders:
        if isinstance(enc, IdEncoder):
            out[enc.name] = enc.generate(n, start=id_start)
        else:
            out[enc.name] = enc.decode(codes[:, j], values[:, j].astype(np.float64)).reset_index(drop=True)
            j += 1
    return pd.DataFrame(out)


def train_val_split(n: int, val_fraction: float, seed: int, max_val: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and validation row indices: a seeded share, at least one row and at most ``max_val``."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(n)
    n_val = int(min(max(math.ceil(n * val_fraction), 1), max_val, n - 1))
    return np.sort(idx[n_val:]), np.sort(idx[:n_val])


MIN_ROWS_FOR_COPIES = 50  # in smaller tables two columns can agree by chance


def find_copies(df: pd.DataFrame, schema: Schema) -> dict[str, str]:
    """Columns equal to an earlier column in every row (same dtype, missing in the same rows):
    {copy: original}. A copy is not learned but written as its original, so the synthetic table
    keeps the equality exactly. Sequence roles (entity, order, declared context) are never copies."""
    if len(df) < MIN_ROWS_FOR_COPIES:
        return {}
    roles = {schema.entity, schema.order, *schema.context}
    # a fingerprint per column finds the candidates in one pass; equality is then checked
    fingerprint = {c: (str(df[c].dtype), int(pd.util.hash_pandas_object(df[c], index=False).sum()))
                   for c in df.columns}
    seen: dict[tuple, list[str]] = {}
    copies = {}
    for c in df.columns:
        original = next((o for o in seen.get(fingerprint[c], []) if df[c].equals(df[o])), None)
        if original is not None and c not in roles:
            copies[c] = original
        else:
            seen.setdefault(fingerprint[c], []).append(c)
    return copies


def without_columns(schema: Schema, drop: list[str]) -> Schema:
    return Schema([c for c in schema.columns if c.name not in drop], schema.entity, schema.order,
                  [c for c in schema.context if c not in drop])
