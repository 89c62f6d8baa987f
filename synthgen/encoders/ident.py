"""Id columns (unique keys): never learned, generated fresh in the same style as the input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .base import ColumnEncoder


class IdEncoder(ColumnEncoder):
    def __init__(self, name: str, style: str, prefix: str, width: int, dtype: str, offset: int = 0):
        self.name = name
        self.offset = offset  # fresh keys are numbered above every real key, so none collides
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
            top = pd.to_numeric(s, errors="coerce").max()
            return cls(name, "int", "", 0, str(s.dtype), int(top) if pd.notna(top) and top > 0 else 0)
        strings = s.dropna().astype(str)
        m = [re.match(r"^(.*?)(\d*)$", v) for v in strings.head(1000)]
        prefixes = {x.group(1) for x in m}
        prefix = prefixes.pop() if len(prefixes) == 1 else "id-"
        width = max((len(x.group(2)) for x in m), default=6)
        numbers = strings.str.extract(r"(\d+)$")[0].dropna()
        offset = int(numbers.astype("int64").max()) if len(numbers) else 0
        return cls(name, "prefixed", prefix, max(width, 1), str(s.dtype), offset)

    def generate(self, n: int, start: int = 0) -> pd.Series:
        """Fresh keys numbered from ``offset + start + 1``: unique within one sampling call and
        never equal to a key of the training data."""
        first = self.offset + start + 1
        numbers = np.arange(first, first + n)
        if self.style == "int":
            return pd.Series(numbers, name=self.name).astype("int64")
        return pd.Series([f"{self.prefix}{k:0{self.width}d}" for k in numbers], name=self.name, dtype=object)

    def to_dict(self) -> dict:
        return {"type": "id", "name": self.name, "style": self.style, "prefix": self.prefix,
                "width": self.width, "dtype": self.dtype, "offset": self.offset}

    @classmethod
    def from_dict(cls, d: dict) -> IdEncoder:
        return cls(d["name"], d["style"], d["prefix"], d["width"], d["dtype"], d.get("offset", 0))
