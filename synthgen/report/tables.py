"""Input checks and normalisation: the report compares tables, so before any metric runs the
real, synthetic and holdout tables must have the same columns, compatible dtypes and at
least one row, and every column gets one kind that all metric families agree on."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, UsageError

# Kinds that the metrics treat as ordered numbers / as unordered labels.
NUMERIC_KINDS = ("numeric", "integer", "datetime")
LABEL_KINDS = ("categorical", "boolean")

# Columns of these sdtypes are scored by sdmetrics; "id" columns are skipped everywhere
# (keys are unique by design, so comparing their distributions says nothing).
_SDTYPE = {"categorical": "categorical", "boolean": "boolean", "numeric": "numerical",
           "integer": "numerical", "datetime": "datetime", "id": "id"}


@dataclass
class Tables:
    """The checked tables, with columns in the real table's order and normalised dtypes."""

    real: pd.DataFrame
    synthetic: pd.DataFrame
    holdout: pd.DataFrame | None
    kinds: dict[str, str]  # column name -> kind
    target: str | None

    @property
    def scored_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k != "id"]

    def sdmetrics_metadata(self) -> dict:
        return {"columns": {c: {"sdtype": _SDTYPE[k]} for c, k in self.kinds.items()}}


def to_pandas(df: object, name: str) -> pd.DataFrame:
    """Accept pandas or polars frames (polars is converted without importing it here)."""
    if isinstance(df, pd.DataFrame):
        return df
    if type(df).__module__.startswith("polars") and hasattr(df, "to_pandas"):
        return df.to_pandas()
    raise UsageError(f"the {name} table must be a pandas or polars DataFrame, not {type(df).__name__}")


def _dtype_family(s: pd.Series) -> str:
    """Coarse dtype family; columns that are entirely missing fit any family."""
    if s.isna().all():
        return "empty"
    if pd.api.types.is_bool_dtype(s.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(s.dtype):
        return "number"
    return "text"


def _check_same_columns(real: pd.DataFrame, other: pd.DataFrame, name: str) -> None:
    missing = [c for c in real.columns if c not in other.columns]
    extra = [c for c in other.columns if c not in real.columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks {', '.join(map(repr, missing[:5]))}")
        if extra:
            parts.append(f"has extra {', '.join(map(repr, extra[:5]))}")
        raise DataError(f"the {name} table's columns differ from the real table's: it "
                        f"{' and '.join(parts)}; give both tables the same columns")


def _check_dtypes(real: pd.DataFrame, other: pd.DataFrame, name: str) -> None:
    for col in real.columns:
        a, b = _dtype_family(real[col]), _dtype_family(other[col])
        # Dates read from CSV are text, from Parquet datetimes: both fine if the text parses
        # (checked when the tables are normalised).
        if "empty" not in (a, b) and a != b and {a, b} != {"text", "datetime"}:
            raise DataError(f"column '{col}' holds {a} values in the real table but {b} values "
                            f"in the {name} table; write the same kind of values in both")


def _kinds(real: pd.DataFrame, schema: object | None) -> dict[str, str]:
    from ..schema import Schema, infer_schema

    if schema is None:
        schema = infer_schema(real)
    elif not isinstance(schema, Schema):
        schema = Schema.load(schema)  # a path
    schema.check_against(real, source="the real table")
    return {c.name: c.kind for c in schema.columns}


def _normalise(df: pd.DataFrame, kinds: dict[str, str], name: str) -> pd.DataFrame:
    """One dtype per kind, so hashing, encoding and sdmetrics see the same values in every
    table: floats for numbers, datetime64 for dates, strings (NaN kept) for labels."""
    out = {}
    for col, kind in kinds.items():
        s = df[col]
        if kind in ("numeric", "integer"):
            out[col] = pd.to_numeric(s, errors="coerce").astype(float)
            bad = s.notna() & out[col].isna()
        elif kind == "datetime":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = pd.to_datetime(s, errors="coerce", format="mixed") if s.dtype == object \
                    else pd.to_datetime(s, errors="coerce")
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
            out[col] = parsed.astype("datetime64[ns]")
            bad = s.notna() & out[col].isna()
        else:  # categorical, boolean, id: compare as text labels
            text = s.astype(object).where(s.notna(), None)
            out[col] = text.map(lambda v: v if v is None else _label(v)).astype(object)
            bad = pd.Series(False, index=s.index)
        if bad.any():
            example = s[bad].iloc[0]
            raise DataError(f"column '{col}' of the {name} table has values that are not "
                            f"{kind} (for example {example!r}); fix them or set the column's "
                            "kind in a schema file")
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def _label(v: object) -> str:
    # 3.0 and 3 must be the same category whichever table they came from.
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def prepare(real: object, synthetic: object, holdout: object | None = None,
            target: str | None = None, schema: object | None = None) -> Tables:
    """Check the inputs and return normalised copies; raise DataError/UsageError otherwise."""
    real = to_pandas(real, "real")
    synthetic = to_pandas(synthetic, "synthetic")
    holdout = None if holdout is None else to_pandas(holdout, "holdout")
    for name, df in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
        if df is None:
            continue
        if df.shape[1] == 0:
            raise DataError(f"the {name} table has no columns; give a table with a header row")
        if len(df) == 0:
            raise DataError(f"the {name} table has no rows; give a table with data rows")
        dup = df.columns[df.columns.duplicated()].tolist()
        if dup:
            raise DataError(f"the {name} table has duplicate column names {dup[:3]}; rename them")
    _check_same_columns(real, synthetic, "synthetic")
    if holdout is not None:
        _check_same_columns(real, holdout, "holdout")
    synthetic = synthetic[list(real.columns)]
    _check_dtypes(real, synthetic, "synthetic")
    if holdout is not None:
        holdout = holdout[list(real.columns)]
        _check_dtypes(real, holdout, "holdout")
    if target is not None and target not in real.columns:
        cols = ", ".join(map(str, list(real.columns)[:8]))
        raise UsageError(f"--target '{target}' is not a column of the real table (columns: "
                         f"{cols}{', ...' if real.shape[1] > 8 else ''}); name an existing column")
    kinds = _kinds(real, schema)
    if target is not None and kinds[target] == "id":
        raise UsageError(f"--target '{target}' is a key column (kind id) and cannot be predicted; "
                         "choose another target or set its kind in a schema file")
    if target is not None and real[target].notna().sum() < 2:
        raise DataError(f"target column '{target}' has fewer than 2 values in the real table; "
                        "choose another target")
    return Tables(
        real=_normalise(real, kinds, "real"),
        synthetic=_normalise(synthetic, kinds, "synthetic"),
        holdout=None if holdout is None else _normalise(holdout, kinds, "holdout"),
        kinds=kinds,
        target=target,
    )


def cap_rows(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A random subsample of at most n rows (the whole table when it is small enough)."""
    if len(df) <= n:
        return df
    return df.sample(n=n, random_state=np.random.RandomState(seed)).reset_index(drop=True)


def as_numbers(s: pd.Series, kind: str) -> np.ndarray:
    """A numeric or date column as floats (dates as seconds since 1970), NaN where missing."""
    return datetime_seconds(s) if kind == "datetime" else s.to_numpy(dtype=float)


def datetime_seconds(s: pd.Series) -> np.ndarray:
    """Seconds since 1970 as floats, NaN where the date is missing."""
    raw = s.to_numpy(dtype="datetime64[ns]")
    secs = raw.astype("int64") / 1e9
    secs[np.isnat(raw)] = np.nan
    return secs
