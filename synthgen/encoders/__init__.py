"""One encoder per column kind, fitted to JSON stats and exactly invertible."""

from __future__ import annotations

import pandas as pd

from ..schema import ColumnSpec
from .base import ColumnEncoder, Encoded
from .categorical import CategoricalEncoder
from .datetime import DatetimeEncoder
from .ident import IdEncoder
from .numeric import NumericEncoder

__all__ = ["ColumnEncoder", "Encoded", "fit_encoder", "encoder_from_dict", "CategoricalEncoder",
           "NumericEncoder", "DatetimeEncoder", "IdEncoder"]


def fit_encoder(spec: ColumnSpec, s: pd.Series, seed: int = 0) -> ColumnEncoder:
    if spec.kind in ("categorical", "boolean"):
        return CategoricalEncoder.fit(spec.name, spec.kind, s)
    if spec.kind in ("numeric", "integer"):
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
        return NumericEncoder.fit(spec.name, spec.kind, x, str(s.dtype), seed=seed)
    if spec.kind == "datetime":
        return DatetimeEncoder.fit(spec.name, s, seed=seed)
    if spec.kind == "id":
        return IdEncoder.fit(spec.name, s)
    raise ValueError(f"unknown kind {spec.kind!r}")


_TYPES = {"categorical": CategoricalEncoder, "numeric": NumericEncoder,
          "datetime": DatetimeEncoder, "id": IdEncoder}


def encoder_from_dict(d: dict) -> ColumnEncoder:
    return _TYPES[d["type"]].from_dict(d)
