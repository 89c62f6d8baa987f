"""The numbers behind the per-column plots (binned shares per table) and the association
heatmaps (one strength per column pair, the same formula for every table)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import as_numbers

N_BINS = 20
MAX_BARS = 10  # categories shown per column; the rest are summed into "(other)"
DISCRETE_MAX_VALUES = 25  # whole-number columns with at most this many values get one bar each


def column_distribution(col: str, kind: str, tables: dict[str, pd.DataFrame]) -> dict:
    """Shares of each table's rows per bin or category; missing values are a bin of their own.

    The bins come from the real table (the first one), so every table is read on one scale."""
    real = tables["real"][col]
    out: dict = {"column": col, "kind": kind}
    values = real.dropna()
    discrete = kind in ("categorical", "boolean", "id") or (
        kind == "integer" and values.nunique() <= DISCRETE_MAX_VALUES)
    if discrete:
        top = list(values.value_counts().index[:MAX_BARS])
        if kind == "integer":
            top = sorted(top)
        out["type"] = "bars"
        out["labels"] = [_fmt_label(v) for v in top]
        has_other = any((~df[col].isin(top) & df[col].notna()).any() for df in tables.values())
        if has_other:
            out["labels"].append("(other)")
        for name, df in tables.items():
            s = df[col]
            n = max(len(s), 1)
            shares = [float((s == v).sum() / n) for v in top]
            if has_other:
                shares.append(float((~s.isin(top) & s.notna()).sum() / n))
            out[name] = shares
    else:
        x = as_numbers(real, kind)
        x = x[~np.isnan(x)]
        lo, hi = (np.quantile(x, [0.005, 0.995]) if len(x) else (0.0, 1.0))
        if hi <= lo:
            lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, N_BINS + 1)
        out["type"] = "histogram"
        out["edges"] = [float(e) for e in edges]
        for name, df in tables.items():
            v = as_numbers(df[col], kind)
            n = max(len(v), 1)
            # Values beyond the real 0.5%-99.5% range fall into the end bins.
            counts, _ = np.histogram(np.clip(v[~np.isnan(v)], lo, hi), bins=edges)
            out[name] = [float(c / n) for c in counts]
    out["missing"] = {name: float(df[col].isna().mean()) for name, df in tables.items()}
    return out


def _fmt_label(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---- associations ------------------------------------------------------------------------
def _codes(s: pd.Series) -> np.ndarray:
    # Missing is a category of its own: whether a value is missing can depend on other columns.
    return pd.factorize(s.astype(object).where(s.notna(), "\0missing"))[0]


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = a.max() + 1, b.max() + 1
    if na < 2 or nb < 2:
        return 0.0
    table = np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb).astype(float)
    n = table.sum()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.nansum((table - expected) ** 2 / expected)
    return float(np.sqrt(chi2 / (n * (min(na, nb) - 1))))


def _correlation_ratio(codes: np.ndarray, x: np.ndarray) -> float:
    """eta: the share of the spread of x explained by the categories (0..1)."""
    ok = ~np.isnan(x)
    codes, x = codes[ok], x[ok]
    if len(x) < 2 or x.var() == 0:
        return 0.0
    counts = np.bincount(codes)
    sums = np.bincount(codes, weights=x)
    nz = counts > 0
    means = sums[nz] / counts[nz]
    between = np.sum(counts[nz] * (means - x.mean()) ** 2)
    return float(np.sqrt(between / (x.var() * len(x))))


def associations(df: pd.DataFrame, kinds: dict[str, str], columns: list[str]) -> np.ndarray:
    """Association matrix with values in [-1, 1] (diagonal 1).

    numbers vs numbers: Spearman rank correlation (signed); labels vs labels: Cramer's V;
    labels vs numbers: the correlation ratio eta on ranks. The last two are unsigned (0..1)."""
    n = len(columns)
    mat = np.eye(n)
    numeric = {c for c in columns if kinds[c] in ("numeric", "integer", "datetime")}
    ranks = {c: pd.Series(as_numbers(df[c], kinds[c])).rank().to_numpy() for c in numeric}
    codes = {c: _codes(df[c]) for c in columns if c not in numeric}
    for i in range(n):
        for j in range(i + 1, n):
            a, b = columns[i], columns[j]
            if a in numeric and b in numeric:
                x, y = ranks[a], ranks[b]
                ok = ~(np.isnan(x) | np.isnan(y))
                if ok.sum() < 3 or x[ok].std() == 0 or y[ok].std() == 0:
                    v = 0.0
                else:
                    v = float(np.corrcoef(x[ok], y[ok])[0, 1])
            elif a in numeric:
                v = _correlation_ratio(codes[b], ranks[a])
            elif b in numeric:
                v = _correlation_ratio(codes[a], ranks[b])
            else:
                v = _cramers_v(codes[a], codes[b])
            mat[i, j] = mat[j, i] = v
    return mat
