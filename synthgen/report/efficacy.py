"""Machine-learning efficacy: train on synthetic, test on real (TSTR), beside train on real,
test on real (TRTR). Both models are the same gradient-boosted trees with the same settings,
so the gap between them is what the synthetic data lost about the target."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .features import encode

MIN_TRAIN = 10


def task_of(kind: str) -> str:
    return "classification" if kind in ("categorical", "boolean") else "regression"


def _model(task: str, is_cat: np.ndarray, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    return cls(max_iter=200, categorical_features=is_cat if is_cat.any() else None,
               early_stopping=True, random_state=seed)


def _classification_scores(model, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    from sklearn.metrics import accuracy_score, roc_auc_score

    labels = np.unique(y_test)
    if model is None:  # training table had a single class: a constant prediction
        return {"auc": 0.5 if len(labels) > 1 else None, "accuracy": None}
    pred = model.predict(x_test)
    out = {"accuracy": float(accuracy_score(y_test, pred)), "auc": None}
    if len(labels) < 2:
        return out
    # Probabilities for the test labels, 0 for labels the model never saw.
    proba = model.predict_proba(x_test)
    known = {c: i for i, c in enumerate(model.classes_)}
    p = np.column_stack([proba[:, known[c]] if c in known else np.zeros(len(x_test))
                         for c in labels])
    if len(labels) == 2:
        out["auc"] = float(roc_auc_score(y_test == labels[1], p[:, 1]))
    else:
        p = p / np.clip(p.sum(1, keepdims=True), 1e-12, None)
        out["auc"] = float(roc_auc_score(y_test, p, multi_class="ovr", labels=labels))
    return out


def _regression_scores(model, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    from sklearn.metrics import r2_score

    pred = model.predict(x_test)
    return {"rmse": float(np.sqrt(np.mean((pred - y_test) ** 2))),
            "r2": float(r2_score(y_test, pred))}


def _fit_and_score(task, train_x, train_y, test_x, test_y, is_cat, seed) -> dict | None:
    if len(train_y) < MIN_TRAIN:
        return None
    if task == "classification":
        if len(np.unique(train_y)) < 2:
            model = None
        else:
            model = _model(task, is_cat, seed).fit(train_x, train_y)
        out = _classification_scores(model, test_x, test_y)
    else:
        out = _regression_scores(_model(task, is_cat, seed).fit(train_x, train_y), test_x, test_y)
    out["train_rows"] = int(len(train_y))
    return out


def _xy(df: pd.DataFrame, target: str, kind: str, x: np.ndarray):
    ok = df[target].notna().to_numpy()
    y = df[target].to_numpy()
    y = y.astype(str) if task_of(kind) == "classification" else y.astype(float)
    return x[ok], y[ok]


def efficacy(real_train: pd.DataFrame, synthetic: pd.DataFrame, test: pd.DataFrame,
             kinds: dict[str, str], target: str, seed: int) -> dict:
    """Scores of both models on the same real test rows; rows without a target are dropped."""
    kind = kinds[target]
    task = task_of(kind)
    features = [c for c, k in kinds.items() if k != "id" and c != target]
    (xr, xs, xt), is_cat = encode([real_train, synthetic, test], kinds, features)
    rx, ry = _xy(real_train, target, kind, xr)
    sx, sy = _xy(synthetic, target, kind, xs)
    tx, ty = _xy(test, target, kind, xt)
    trtr = _fit_and_score(task, rx, ry, tx, ty, is_cat, seed)
    tstr = _fit_and_score(task, sx, sy, tx, ty, is_cat, seed)
    return {
        "task": task,
        "target": target,
        "model": "HistGradientBoosting" + ("Classifier" if task == "classification" else "Regressor"),
        "test_rows": int(len(ty)),
        "train_on_real": trtr,
        "train_on_synthetic": tstr,
        "score": relative_score(task, trtr, tstr),
    }


def relative_score(task: str, trtr: dict | None, tstr: dict | None) -> float | None:
    """The share of the real model's skill (above chance) that the synthetic model keeps.

    Classification: (AUC_tstr - 0.5) / (AUC_trtr - 0.5). Regression: R2_tstr / R2_trtr (R2 is
    already skill above predicting the mean). 1 = as good as real data; 0 = no skill."""
    if not trtr or not tstr:
        return None
    if task == "classification":
        a, b = tstr.get("auc"), trtr.get("auc")
        if a is None or b is None or b <= 0.5:
            return None
        return max(0.0, (a - 0.5) / (b - 0.5))
    a, b = tstr["r2"], trtr["r2"]
    return None if b <= 0 else max(0.0, a / b)
