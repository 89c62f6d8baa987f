"""Id columns (unique keys): never learned, generated fresh in the same style as the input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .base import ColumnEncoder


class IdEncoder(ColumnEncoder):
    def __init__(self, name: str, style: str, prefix: str, width: int, dtype: str):
        self.name = name
        self.kind = "id"
        self.style = style  # "int": 1, 2, 3...; "prefixed": prefix + zero-padded counter
        self.prefix = prefix
        self.width = width
        self.dtype = dtype
        self.n_codes = 0
        self.cont_code = -1

    @classmethod
    def fit(cls, name: str, s: pd.Series) -> IdEncoder:
        if pd.api.types.is_numeric_dtype(s.dtype):
            return cls(name, "int", "", 0, str(s.dtype))
        strings = s.dropna().astype(str)
        m = [re.match(r"^(.*?)(\d*)$", v) for v in strings.head(1000)]
        prefixes = {x.group(1) for x in m}
        prefix = prefixes.pop() if len(prefixes) == 1 else "id-"
        width = max((len(x.group(2)) for x in m), default=6)
        return cls(name, "prefixed", prefix, max(width, 1), str(s.dtype))

    def generate(self, n: int, start: int = 0) -> pd.Series:
        """Fresh keys numbered from ``start + 1``; unique within one sampling call."""
        numbers = np.arange(start + 1, start + n + 1)
        if self.style == "int":
            return pd.Series(numbers, name=self.name).astype("int64")
        return pd.Series([f"{self.prefix}{k:0{self.width}d}" for k in numbers], name=self.name, dtype=object)

    def to_dict(self) -> dict:
        return {"type": "id", "name": self.name, "style": self.style, "prefix": self.prefix,
                "width": self.width, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, d: dict) -> IdEncoder:
        return cls(d["name"], d["style"], d["prefix"], d["width"], d["dtype"])
