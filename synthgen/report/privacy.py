"""Privacy: does the other table sit closer to the training rows than a fresh real sample?

- exact-copy rate: share of rows identical to some training row (key columns ignored),
  beside the same rate for the holdout, since real data has its own duplicates;
- DCR share: share of rows whose nearest real row is a training row rather than a holdout
  row, weighted by the sizes of the two reference sets so that 50% is ideal whatever they are;
- NNDR: distance to the nearest training row / distance to the second nearest. Values near
  0 mean a row is a near copy of one real record.

Distances are Euclidean in a space where every column weighs the same at most: numbers are
mapped to their rank among the training values (0..1) and labels are one-hot coded with
a mismatch costing 1."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import as_numbers

MAX_ONE_HOT = 100  # categories per column with their own axis; rarer ones share one


def _labels(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "\0missing")  # missing is a category of its own


class DistanceSpace:
    """Column-wise encoding fitted on the training rows."""

    def __init__(self, train: pd.DataFrame, kinds: dict[str, str]):
        self.kinds = {c: k for c, k in kinds.items() if k != "id"}
        self.sorted: dict[str, np.ndarray] = {}
        self.categories: dict[str, dict] = {}
        for col, kind in self.kinds.items():
            if kind in ("numeric", "integer", "datetime"):
                v = as_numbers(train[col], kind)
                self.sorted[col] = np.sort(v[~np.isnan(v)])
            else:
                top = _labels(train[col]).value_counts().index[:MAX_ONE_HOT]
                self.categories[col] = {v: i for i, v in enumerate(top)}

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        parts = []
        for col, kind in self.kinds.items():
            if col in self.sorted:
                ref = self.sorted[col]
                v = as_numbers(df[col], kind)
                miss = np.isnan(v)
                if len(ref):
                    # Mid-rank, so tied values map to the middle of their run.
                    lo = np.searchsorted(ref, v, side="left")
                    hi = np.searchsorted(ref, v, side="right")
                    r = (lo + hi) / (2.0 * len(ref))
                else:
                    r = np.zeros(len(v))
                r[miss] = 0.5
                parts += [r, miss.astype(float)]
            else:
                cats = self.categories[col]
                other = len(cats)
                codes = _labels(df[col]).map(lambda x, cats=cats, other=other: cats.get(x, other))
                onehot = np.zeros((len(df), other + 1))
                onehot[np.arange(len(df)), codes.to_numpy(dtype=int)] = 1.0 / np.sqrt(2.0)
                parts.append(onehot)
        cols = [p if p.ndim == 2 else p[:, None] for p in parts]
        return np.hstack(cols).astype(np.float32) if cols else np.zeros((len(df), 1), np.float32)


def _nearest(ref: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(ref))
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(ref)
    dist, _ = nn.kneighbors(queries)
    return dist


def row_keys(df: pd.DataFrame, kinds: dict[str, str]) -> np.ndarray:
    cols = [c for c, k in kinds.items() if k != "id"]
    return pd.util.hash_pandas_object(df[cols], index=False).to_numpy()


def exact_copy_rate(train_keys: np.ndarray, other: pd.DataFrame, kinds: dict[str, str]) -> float:
    return float(np.isin(row_keys(other, kinds), train_keys).mean())


def nndr(d: np.ndarray) -> dict:
    """Median and 5th percentile of nearest / second-nearest distance ratios."""
    if d.shape[1] < 2:
        return {"median": None, "p05": None}
    d1, d2 = d[:, 0], d[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d2 > 0, d1 / d2, 0.0)  # d2 == 0 means an exact copy of a duplicated row
    return {"median": float(np.median(ratio)), "p05": float(np.quantile(ratio, 0.05))}


def dcr_share(d_train: np.ndarray, d_holdout: np.ndarray, n_train: int, n_holdout: int) -> dict:
    """Size-weighted share of queries closer to train than to holdout (50% ideal).

    For a fresh real sample the nearest of all n_train + n_holdout reference rows is equally
    likely to be any of them, so the raw share is expected to be n_train / (n_train + n_holdout).
    Weighting train wins by 1/n_train and holdout wins by 1/n_holdout maps that to 50%."""
    raw = float(np.mean(d_train < d_holdout) + 0.5 * np.mean(d_train == d_holdout))
    p0 = n_train / (n_train + n_holdout)
    a, b = raw / p0, (1.0 - raw) / (1.0 - p0)
    return {"share": a / (a + b), "raw_share": raw, "expected_raw_share": p0}


def privacy(train: pd.DataFrame, other: pd.DataFrame, holdout: pd.DataFrame | None,
            kinds: dict[str, str], max_queries: int, max_reference: int, seed: int) -> dict:
    """Privacy scores of ``other`` (synthetic) and, with a holdout, of the holdout (ceiling)."""
    from .tables import cap_rows

    keys = row_keys(train, kinds)
    out: dict = {
        "exact_copy_rate": {"synthetic": exact_copy_rate(keys, other, kinds), "holdout": None},
        "dcr_share": None, "nndr": None,
    }
    ref_train = cap_rows(train, max_reference, seed)
    space = DistanceSpace(ref_train, kinds)
    t = space.transform(ref_train)
    q = space.transform(cap_rows(other, max_queries, seed + 1))
    d_t = _nearest(t, q, 2)
    out["nndr"] = {"synthetic": nndr(d_t), "holdout": None}
    used = {"train_reference": len(t), "synthetic_queries": len(q)}
    if holdout is not None:
        out["exact_copy_rate"]["holdout"] = exact_copy_rate(keys, holdout, kinds)
        ref_h = cap_rows(holdout, max_reference, seed + 2)
        h = space.transform(ref_h)
        d_h = _nearest(h, q, 1)
        out["dcr_share"] = {"synthetic": dcr_share(d_t[:, 0], d_h[:, 0], len(t), len(h))}
        # Ceiling: half of the holdout plays the synthetic table, the other half the holdout.
        order = np.random.RandomState(seed + 3).permutation(len(ref_h))
        ha, hb = h[order[: len(h) // 2]], h[order[len(h) // 2:]]
        ha = ha[:max_queries]
        if len(ha) >= 1 and len(hb) >= 1:
            out["dcr_share"]["holdout"] = dcr_share(
                _nearest(t, ha, 1)[:, 0], _nearest(hb, ha, 1)[:, 0], len(t), len(hb))
        else:
            out["dcr_share"]["holdout"] = None
        hq = h[:max_queries]
        out["nndr"]["holdout"] = nndr(_nearest(t, hq, 2))
        used.update({"holdout_reference": len(h), "holdout_queries": len(hq)})
    out["rows_used"] = used
    return out
