"""Numeric and integer columns.

The discrete part (density head) is: missing, each point mass (a value that holds a large
share of the rows, like the zeros of ``capital-gain``), and "continuous". A column with few
distinct values is entirely discrete. The continuous part (score head) is mapped through the
empirical quantile function to a standard normal, the scale the diffusion expects; the
inverse map interpolates between stored quantiles, so generated values never leave the
training range. Whole-valued columns are dequantized with uniform noise before the quantiles
are taken and rounded on the way back, so their values stay whole and their rates stay right.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from .base import ColumnEncoder, Encoded

MAX_DISCRETE_VALUES = 32  # at most this many distinct values: all go to the density head
POINT_MASS_SHARE = 0.05  # a value holding at least this share of rows is a point mass
MAX_POINT_MASSES = 8
N_QUANTILES = 1024
MAX_DECIMALS = 6


class NumericEncoder(ColumnEncoder):
    def __init__(self, name: str, kind: str, nullable: bool, atoms: list[float],
                 continuous: bool, quantiles: list[float], step: float, decimals: int,
                 dtype: str):
        self.name = name
        self.kind = kind
        self.nullable = nullable
        self.atoms = [float(a) for a in atoms]
        self.continuous = continuous
        self.quantiles = np.asarray(quantiles, dtype=np.float64)
        self.step = float(step)  # 0 for real-valued columns, else the grid step (1 for integers)
        self.decimals = int(decimals)
        self.dtype = dtype
        # code layout: [atoms..., (continuous), (missing)]
        self.cont_code = len(self.atoms) if continuous else -1
        self.missing_code = len(self.atoms) + int(continuous) if nullable else -1
        self.n_codes = len(self.atoms) + int(continuous) + int(nullable)
        self._ref = _normal_grid(len(self.quantiles)) if continuous else None

    # ---- fitting ------------------------------------------------------------------
    @classmethod
    def fit(cls, name: str, kind: str, x: np.ndarray, dtype: str, seed: int = 0) -> NumericEncoder:
        """``x`` is float64 with NaN for missing values (datetimes arrive as numbers)."""
        missing = np.isnan(x)
        v = x[~missing]
        decimals = 0 if kind in ("integer", "datetime") else _decimals(v)
        step = 10.0 ** -decimals if decimals <= MAX_DECIMALS else 0.0
        if kind == "numeric" and decimals > MAX_DECIMALS:
            step = 0.0
        distinct, counts = np.unique(v, return_counts=True)
        if len(distinct) <= MAX_DISCRETE_VALUES:
            return cls(name, kind, bool(missing.any()), distinct.tolist(), False, [], step, decimals, dtype)
        share = counts / counts.sum()
        top = np.argsort(-share, kind="stable")[:MAX_POINT_MASSES]
        atoms = sorted(distinct[top[share[top] >= POINT_MASS_SHARE]].tolist())
        rest = v[~np.isin(v, atoms)]
        lo, hi = float(rest.min()), float(rest.max())
        if step > 0:
            rng = np.random.default_rng(seed)
            rest = rest + rng.uniform(-step / 2, step / 2, size=len(rest))
        nq = int(min(N_QUANTILES, max(2, len(rest))))
        q = np.quantile(rest, np.linspace(0, 1, nq))
        # the ends cover every cell of the grid, so every real value maps inside and back exactly
        q[0], q[-1] = lo - step / 2, hi + step / 2
        return cls(name, kind, bool(missing.any()), atoms, True, _strictly_increasing(q).tolist(),
                   step, decimals, dtype)

    def affine(self) -> NumericEncoder:
        """The same column with an affine map in place of the quantile map: its range onto a
        fixed interval of the standard-normal scale, so that a change means the same amount at
        every level (time-series columns learned as changes)."""
        ends = [float(self.quantiles[0]), float(self.quantiles[-1])] if self.continuous else []
        return NumericEncoder(self.name, self.kind, self.nullable, self.atoms, self.continuous, ends,
                              self.step, self.decimals, self.dtype)

    # ---- transform ----------------------------------------------------------------
    def encode_numbers(self, x: np.ndarray) -> Encoded:
        n = len(x)
        codes = np.full(n, self.cont_code, dtype=np.int64)
        values = np.zeros(n, dtype=np.float64)
        missing = np.isnan(x)
        if self.atoms:
            atoms = np.asarray(self.atoms)
            nearest = np.abs(x[:, None] - atoms[None, :]).argmin(axis=1) if n else np.zeros(0, int)
            is_atom = np.isclose(x, atoms[nearest], rtol=0, atol=max(self.step / 2, 1e-12))
            if not self.continuous:  # every value is one of the atoms
                is_atom = ~missing
            codes[is_atom & ~missing] = nearest[is_atom & ~missing]
        else:
            is_atom = np.zeros(n, dtype=bool)
        if self.continuous:
            cont = ~missing & ~is_atom
            values[cont] = self.to_normal(x[cont])
        codes[missing] = self.missing_code
        return Encoded(codes, values)

    def to_normal(self, x: np.ndarray) -> np.ndarray:
        """Numbers -> their continuous value (the standard-normal scale), clipped to the range."""
        return np.interp(x, self.quantiles, self._ref)

    def decode_numbers(self, codes: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.full(len(codes), np.nan)
        if self.atoms:
            is_atom = codes < len(self.atoms)
            out[is_atom] = np.asarray(self.atoms)[codes[is_atom]]
        if self.continuous:
            cont = codes == self.cont_code
            x = np.interp(values[cont].astype(np.float64), self._ref, self.quantiles)
            if self.step > 0:
                half = self.step / 2
                lo, hi = self.quantiles[0] + half, self.quantiles[-1] - half  # real min and max
                x = np.clip(np.round(np.round(x / self.step) * self.step, self.decimals), lo, hi)
            out[cont] = x
        return out

    def encode(self, s: pd.Series) -> Encoded:
        return self.encode_numbers(pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64))

    def decode(self, codes: np.ndarray, values: np.ndarray) -> pd.Series:
        x = self.decode_numbers(codes, values)
        return restore_numeric_dtype(pd.Series(x, name=self.name), self.dtype)

    # ---- JSON ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"type": "numeric", "name": self.name, "kind": self.kind, "nullable": self.nullable,
                "atoms": self.atoms, "continuous": self.continuous,
                "quantiles": self.quantiles.tolist(), "step": self.step,
                "decimals": self.decimals, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, d: dict) -> NumericEncoder:
        return cls(d["name"], d["kind"], d["nullable"], d["atoms"], d["continuous"], d["quantiles"],
                   d["step"], d["decimals"], d["dtype"])


def restore_numeric_dtype(s: pd.Series, dtype: str) -> pd.Series:
    has_na = bool(s.isna().any())
    if dtype.startswith(("int", "uint")):
        return s.astype("Int64" if has_na else dtype)
    if dtype.startswith(("Int", "UInt", "float", "Float")):
        return s.astype(dtype)
    return s


def _normal_grid(n: int) -> np.ndarray:
    # Standard-normal quantiles at the same probabilities as the stored data quantiles,
    # with the ends pulled in so that they stay finite.
    p = np.linspace(0, 1, n)
    eps = 0.5 / max(n, 2) / 4
    inv = NormalDist().inv_cdf  # stdlib: keeps scipy out of the CLI's start-up time
    return np.array([inv(v) for v in np.clip(p, eps, 1 - eps)])


def _strictly_increasing(q: np.ndarray) -> np.ndarray:
    # np.interp needs increasing points; nudge ties up by the smallest representable step
    q = np.array(q, dtype=np.float64)
    for i in range(1, len(q)):
        if q[i] <= q[i - 1]:
            q[i] = np.nextafter(q[i - 1], np.inf)
    return q


def _decimals(v: np.ndarray) -> int:
    """The fewest decimals that write every value exactly (MAX_DECIMALS + 1 if none do)."""
    if len(v) == 0:
        return 0
    sample = v[: 20000]
    for d in range(MAX_DECIMALS + 1):
        scaled = sample * 10.0**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return d
    return MAX_DECIMALS + 1
