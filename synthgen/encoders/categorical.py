"""Categorical and boolean columns: one code per category (plus one for missing).

Codes are indices into a vocabulary list, so memory grows with the number of categories,
never with a one-hot matrix; 100,000 distinct values cost one embedding row each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import ColumnEncoder, Encoded


class CategoricalEncoder(ColumnEncoder):
    def __init__(self, name: str, kind: str, categories: list, value_type: str, nullable: bool,
                 dtype: str):
        self.name = name
        self.kind = kind
        self.categories = list(categories)  # real labels, most frequent first
        self.value_type = value_type  # "str" | "int" | "float" | "bool": how labels are stored
        self.nullable = nullable
        self.dtype = dtype  # the input column's pandas dtype, restored on decode
        self.n_codes = len(self.categories) + (1 if nullable else 0)
        self.cont_code = -1

    @classmethod
    def fit(cls, name: str, kind: str, s: pd.Series) -> CategoricalEncoder:
        non_null = s.dropna()
        counts = non_null.value_counts(sort=False)
        # Stable order: most frequent first, ties broken by the label's text.
        order = sorted(counts.index, key=lambda v: (-counts[v], str(v)))
        value_type = _value_type(non_null)
        categories = [_to_json(v, value_type) for v in order]
        return cls(name, kind, categories, value_type, bool(s.isna().any()), str(s.dtype))

    @property
    def missing_code(self) -> int:
        return len(self.categories) if self.nullable else -1

    def encode(self, s: pd.Series) -> Encoded:
        lookup = {c: i for i, c in enumerate(self.categories)}
        keys = [None if _isna(v) else _to_json(v, self.value_type) for v in s.tolist()]
        codes = np.empty(len(keys), dtype=np.int64)
        for i, k in enumerate(keys):
            if k is None:
                codes[i] = self.missing_code if self.nullable else 0
            else:
                codes[i] = lookup.get(k, 0)  # unseen label -> most frequent (only at imputation time)
        return Encoded(codes, np.zeros(len(keys), dtype=np.float64))

    def decode(self, codes: np.ndarray, values: np.ndarray) -> pd.Series:
        labels = np.array(self.categories + [None], dtype=object)
        idx = np.where(codes == self.missing_code, len(self.categories), codes)
        out = labels[idx]
        return _restore_dtype(pd.Series(out, name=self.name), self.dtype, self.value_type)

    def to_dict(self) -> dict:
        return {"type": "categorical", "name": self.name, "kind": self.kind,
                "categories": self.categories, "value_type": self.value_type,
                "nullable": self.nullable, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, d: dict) -> CategoricalEncoder:
        return cls(d["name"], d["kind"], d["categories"], d["value_type"], d["nullable"], d["dtype"])


def _isna(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _value_type(non_null: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(non_null.dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(non_null.dtype):
        return "int"
    if pd.api.types.is_float_dtype(non_null.dtype):
        vals = non_null.to_numpy(dtype=float)
        return "int" if np.all(vals == np.round(vals)) else "float"
    if len(non_null) and all(isinstance(v, (bool, np.bool_)) for v in non_null.head(100)):
        return "bool"
    return "str"


def _to_json(v, value_type: str):
    if value_type == "bool":
        if isinstance(v, str):
            return v.strip().lower() == "true"
        return bool(v)
    if value_type == "int":
        return int(v)
    if value_type == "float":
        return float(v)
    return str(v)


def _restore_dtype(s: pd.Series, dtype: str, value_type: str) -> pd.Series:
    has_na = s.isna().any()
    if dtype == "bool" and not has_na:
        return s.astype(bool)
    if dtype == "boolean" or (dtype == "bool" and has_na):
        return s.astype("boolean")
    if dtype.startswith(("int", "uint")) and not has_na:
        return s.astype(dtype)
    if dtype.startswith(("Int", "UInt")):
        return s.astype(dtype)
    if dtype.startswith("float"):
        return s.astype(dtype)
    if dtype == "category":
        return s.astype("category")
    if dtype.startswith("string"):
        return s.astype(dtype)
    return s.astype(object)
