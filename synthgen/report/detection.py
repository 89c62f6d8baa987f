"""Detection: can a classifier tell the other table's rows from real rows?

Two detectors: sdmetrics' LogisticDetection (logistic regression, cross-validated) and a
gradient-boosted-trees detector (scikit-learn's HistGradientBoostingClassifier) trained on
70% of a balanced real + other sample and scored by ROC AUC on the remaining 30%.
AUC 0.5 means the rows are indistinguishable; 1.0 means every row is told apart."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .features import encode

MIN_ROWS = 20  # per side; below this a detector's AUC is noise


def gbt_auc(real: pd.DataFrame, other: pd.DataFrame, kinds: dict[str, str],
            columns: list[str], seed: int) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    n = min(len(real), len(other))
    if n < MIN_ROWS or not columns:
        return {"auc": None, "raw_auc": None}
    # Balanced classes, so neither the AUC nor the trees lean on the table sizes.
    real = real.sample(n=n, random_state=seed) if len(real) > n else real
    other = other.sample(n=n, random_state=seed + 1) if len(other) > n else other
    (xr, xo), is_cat = encode([real, other], kinds, columns)
    x = np.vstack([xr, xo])
    y = np.r_[np.zeros(len(xr)), np.ones(len(xo))]
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
    model = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.1, categorical_features=is_cat if is_cat.any() else None,
        early_stopping=True, random_state=seed)
    model.fit(x_tr, y_tr)
    raw = float(roc_auc_score(y_te, model.predict_proba(x_te)[:, 1]))
    # Below 0.5 on held-out rows is an artefact (duplicated rows seen in training with the
    # other label), not a way to tell the tables apart: clip at 0.5 as sdmetrics does.
    return {"auc": max(raw, 0.5), "raw_auc": raw}


def logistic(real: pd.DataFrame, other: pd.DataFrame, meta: dict, seed: int) -> dict:
    """sdmetrics' LogisticDetection score (1 = indistinguishable) and the AUC it implies."""
    from sdmetrics.single_table import LogisticDetection

    if min(len(real), len(other)) < MIN_ROWS:
        return {"score": None, "auc": None}
    other = other.copy()
    meta = {"columns": dict(meta["columns"])}
    for col, spec in meta["columns"].items():
        if spec["sdtype"] == "boolean":  # sdmetrics' detectors drop boolean columns
            meta["columns"][col] = {"sdtype": "categorical"}
        if meta["columns"][col]["sdtype"] == "categorical":
            # sdmetrics one-hot codes the categories of the real rows only and fails on any
            # other; give unseen labels the real mode (invented categories are what the
            # Data Validity score is for).
            seen = set(real[col].dropna().unique())
            unseen = other[col].notna() & ~other[col].isin(seen)
            if unseen.any():
                other.loc[unseen, col] = real[col].mode().iloc[0]
    # Its 3-fold split shuffles with NumPy's global generator: seed it, then restore it.
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = float(LogisticDetection.compute(real, other, meta))
    finally:
        np.random.set_state(state)
    # sdmetrics reports 1 - (2 * max(AUC, 0.5) - 1); invert that for the AUC.
    return {"score": score, "auc": 1.0 - score / 2.0}
