"""Datetime columns: parsed in any format pandas reads, modelled as whole numbers of the
coarsest unit that fits every value (days, hours, minutes, seconds), and written back in the
input's own format."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .base import ColumnEncoder, Encoded
from .numeric import NumericEncoder

UNITS = (("D", 86400), ("h", 3600), ("min", 60), ("s", 1))


def guess_format(strings: pd.Series) -> str | None:
    """A strftime format that parses every sample string, or None."""
    from pandas.tseries.api import guess_datetime_format

    sample = strings.dropna().astype(str)
    if sample.empty:
        return None
    probe = sample.iloc[:: max(1, len(sample) // 2000)]  # spread over the column: 03/04 is ambiguous
    for dayfirst in (False, True):
        fmt = guess_datetime_format(sample.iloc[0], dayfirst=dayfirst)
        if fmt is not None and pd.to_datetime(probe, format=fmt, errors="coerce").notna().all():
            return fmt
    return None


def parse_datetimes(s: pd.Series, fmt: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pd.to_datetime(s, format=fmt if fmt else "mixed", errors="coerce")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


class DatetimeEncoder(ColumnEncoder):
    def __init__(self, inner: NumericEncoder, fmt: str | None, unit: str, dtype: str):
        self.inner = inner
        self.name = inner.name
        self.kind = "datetime"
        self.fmt = fmt  # None when the input was a datetime dtype (or unguessable: ISO on output)
        self.unit = unit
        self.dtype = dtype
        self.n_codes = inner.n_codes
        self.cont_code = inner.cont_code

    @classmethod
    def fit(cls, name: str, s: pd.Series, seed: int = 0) -> DatetimeEncoder:
        is_dt = pd.api.types.is_datetime64_any_dtype(s.dtype)
        fmt = None if is_dt else guess_format(s)
        parsed = parse_datetimes(s, fmt)
        secs = _seconds(parsed)
        unit = "s"
        finite = secs[~np.isnan(secs)]
        for u, size in UNITS:
            if np.all(np.mod(finite, size) == 0):
                unit = u
                break
        size = dict(UNITS)[unit]
        inner = NumericEncoder.fit(name, "datetime", secs / size, "float64", seed=seed)
        return cls(inner, fmt, unit, str(s.dtype))

    def numbers(self, s: pd.Series) -> np.ndarray:
        """Times as numbers of this column's unit (NaN where missing or unparseable)."""
        return _seconds(parse_datetimes(s, self.fmt)) / dict(UNITS)[self.unit]

    def encode(self, s: pd.Series) -> Encoded:
        return self.inner.encode_numbers(self.numbers(s))

    def decode(self, codes: np.ndarray, values: np.ndarray) -> pd.Series:
        return self.from_numbers(self.inner.decode_numbers(codes, values))

    def from_numbers(self, x: np.ndarray) -> pd.Series:
        """Numbers of this column's unit -> times written as the input wrote them."""
        return times_from_numbers(x, self.name, self.unit, self.fmt, self.dtype)

    def time_format(self) -> dict:
        """What writing times back needs (without the fitted distribution)."""
        return {"name": self.name, "unit": self.unit, "fmt": self.fmt, "dtype": self.dtype}

    def to_dict(self) -> dict:
        return {"type": "datetime", "name": self.name, "inner": self.inner.to_dict(),
                "format": self.fmt, "unit": self.unit, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, d: dict) -> DatetimeEncoder:
        return cls(NumericEncoder.from_dict(d["inner"]), d["format"], d["unit"], d["dtype"])


def times_from_numbers(x: np.ndarray, name: str, unit: str, fmt: str | None, dtype: str) -> pd.Series:
    secs = np.asarray(x, dtype=np.float64) * dict(UNITS)[unit]
    ts = pd.Series(pd.to_datetime(secs, unit="s", errors="coerce"), name=name)
    if dtype.startswith("datetime64"):
        return ts.astype(dtype) if "tz" not in dtype else ts.dt.tz_localize("UTC")
    out = ts.dt.strftime(fmt or "%Y-%m-%dT%H:%M:%S")
    return out.astype(object).where(ts.notna(), None)


def _seconds(ts: pd.Series) -> np.ndarray:
    ns = ts.astype("datetime64[ns]").to_numpy().astype("int64").astype(np.float64)
    ns[ts.isna().to_numpy()] = np.nan
    return np.floor(ns / 1e9)
