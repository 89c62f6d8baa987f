"""What every column encoder gives the model.

A column becomes two arrays: an integer *code* (the discrete part, modelled by the density head)
and a float *value* (the continuous part, modelled by the score head). ``cont_code`` is the code
that means "a continuous value follows"; it is -1 for columns with no continuous part.
Encoders hold only JSON-serialisable stats and invert exactly what they encode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Encoded:
    codes: np.ndarray  # (n,) int64 in [0, n_codes)
    values: np.ndarray  # (n,) float64, 0 where codes != cont_code


class ColumnEncoder:
    kind: str = ""
    name: str = ""
    n_codes: int = 0
    cont_code: int = -1

    @property
    def has_continuous(self) -> bool:
        return self.cont_code >= 0

    def to_dict(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, series) -> Encoded:  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, codes: np.ndarray, values: np.ndarray):  # pragma: no cover - abstract
        raise NotImplementedError
