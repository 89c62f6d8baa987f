"""Plain-language readings: one sentence per score, and an overall verdict.

The thresholds below are rules of thumb for a first look, not statistical tests; the
holdout column of the report is the real yardstick when there is one."""

from __future__ import annotations

# Rules of thumb for the verdict (documented in the HTML "How to read" section).
QUALITY_GOOD, QUALITY_FAIR = 0.90, 0.75
AUC_GOOD, AUC_FAIR = 0.60, 0.80
DCR_GOOD, DCR_FAIR = 0.55, 0.60


def pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _ceiling(h: float | None, fmt=pct) -> str:
    return "" if h is None else f" (holdout: {fmt(h)})"


def _pair(entry: dict | None, key: str | None = None) -> tuple:
    """(synthetic, holdout) values of a {"synthetic": .., "holdout": ..} entry."""
    if entry is None:
        return None, None
    s, h = entry.get("synthetic"), entry.get("holdout")
    if key is not None:
        s = None if s is None else s.get(key)
        h = None if h is None else h.get(key)
    return s, h


def score_readings(doc: dict) -> dict[str, str]:
    """One sentence for each gateable score, from the report document's sections."""
    fid, val, det, priv = doc["fidelity"], doc["validity"], doc["detection"], doc["privacy"]
    q, qh = _pair(fid["quality"])
    cs, csh = _pair(fid["column_shapes"])
    pt, pth = _pair(fid["column_pair_trends"])
    se, _ = _pair(fid["shape_error"])
    te, _ = _pair(fid["trend_error"])
    dv, dvh = _pair(val["data_validity"])
    ds, _ = _pair(val["data_structure"])
    copy, hcopy = _pair(priv["exact_copy_rate"])
    ratio, hratio = _pair(priv["nndr"], "median")
    return _ts_readings(doc.get("timeseries")) | {
        "quality": f"Overall quality {pct(q)}{_ceiling(qh)}: the mean of column shapes and pair "
                   "trends; 100% means the same statistics as the real data.",
        "column_shapes": f"Single-column distributions match {pct(cs)} on average (KS / TV "
                         f"complement){_ceiling(csh)}; shape error {num(se, 1)}.",
        "column_pair_trends": f"Correlations and associations between column pairs match "
                              f"{pct(pt)}{_ceiling(pth)}; trend error {num(te, 1)}.",
        "data_validity": f"{pct(dv)} of values stay within the real ranges and categories"
                         f"{_ceiling(dvh)}.",
        "data_structure": f"Column names and types agree {pct(ds, 0)} with the real table.",
        "logistic_detection": _detection("A logistic regression tells",
                                         *_pair(det["logistic"], "auc")),
        "gbt_detection": _detection("Gradient-boosted trees tell", *_pair(det["gbt"], "auc")),
        "ml_efficacy": _efficacy(doc["efficacy"]),
        "dcr": _dcr(*_pair(priv["dcr_share"], "share")),
        "exact_copy": f"{pct(copy, 2)} of synthetic rows are exact copies of training rows"
                      + ("" if hcopy is None else f"; the holdout's own rate is {pct(hcopy, 2)}")
                      + ".",
        "nndr": f"Median ratio of the distances to the nearest and second-nearest training row "
                f"is {num(ratio)}{_ceiling(hratio, num)}; values near 0 mean near copies.",
    }


def _ts_readings(ts: dict | None) -> dict[str, str]:
    """Readings of the ts_* scores (only in reports with a time-series section)."""
    if ts is None:
        return {}
    out = {}
    disc = ts["discriminative"]
    d, dh = (None, None) if disc is None else _pair(disc, "accuracy")
    if d is None:
        out["ts_discriminative"] = ("Not measured: too few windows of consecutive rows "
                                    "(see the time-series notes).")
    else:
        steps = ts["windows"]["used"]
        tail = "" if dh is None else f" (holdout: {dh:.2f})"
        out["ts_discriminative"] = (
            f"A GRU classifier tells synthetic from real windows of {steps} steps with "
            f"accuracy {d:.2f}{tail}; 0.5 means indistinguishable (discriminative score "
            f"{abs(d - 0.5):.3f}, lower is better).")
    lag = ts["lag1_coherence"]
    ls, lh = _pair(lag)
    out["ts_lag1_coherence"] = (
        "Not measured: no pair of consecutive rows." if ls is None else
        f"Associations between each column and the next step's columns match {pct(ls)}"
        f"{_ceiling(lh)}; 100% means rows follow each other as in the real data.")
    acf = ts["autocorrelation"]
    a, ah = _pair(acf)
    out["ts_autocorrelation"] = (
        "Not measured: no numeric time-varying column." if a is None else
        f"Autocorrelation up to lag {acf['max_lag']} matches {pct(a)}{_ceiling(ah)} "
        "(1 - mean |difference| / 2, averaged over numeric columns).")
    if ts["entity"] is not None:
        ln = ts["sequence_length"]
        s, h = _pair(ln)
        out["ts_sequence_length"] = (
            "Not measured." if s is None else
            f"Sequence lengths match {pct(s)} (KS complement){_ceiling(h)}; mean length "
            f"{num(ln['real_mean'], 1)} real vs {num(ln['synthetic_mean'], 1)} synthetic.")
    return out


def _detection(who: str, auc: float | None, hauc: float | None) -> str:
    if auc is None:
        return f"{who.rsplit(' ', 1)[0]} detector was not run (too few rows)."
    tail = "" if hauc is None else f" (holdout: {hauc:.2f})"
    return f"{who} synthetic from real rows with AUC {auc:.2f}{tail}; 0.5 means indistinguishable."


def _efficacy(eff: dict | None) -> str:
    if eff is None:
        return "Not measured: give a target column (--target) to compare models."
    real, syn = eff["train_on_real"], eff["train_on_synthetic"]
    if not real or not syn:
        return "Not measured: too few rows with a target value."
    key, name = ("auc", "AUC") if eff["task"] == "classification" else ("r2", "R2")
    if real.get(key) is None or syn.get(key) is None:
        key, name = ("accuracy", "accuracy") if eff["task"] == "classification" else ("rmse", "RMSE")
    return (f"A model trained on synthetic rows scores {name} {num(syn.get(key))} on real test "
            f"rows, against {num(real.get(key))} when trained on real rows"
            + ("" if eff["score"] is None else f": it keeps {pct(eff['score'], 0)} of the skill")
            + ".")


def _dcr(share: float | None, hshare: float | None) -> str:
    if share is None:
        return "Not measured: needs a holdout table (--holdout)."
    return (f"{pct(share)} of synthetic rows are closer to a training row than to a holdout row"
            f"{_ceiling(hshare)}; 50% is ideal, higher means copied or memorised rows.")


def verdict(doc: dict) -> dict:
    """{"level": good|fair|poor, "fidelity": level, "privacy": level, "text": one line}."""
    q = doc["fidelity"]["quality"]["synthetic"]
    auc = _pair(doc["detection"]["gbt"], "auc")[0]
    fid_level = _level(q is not None and q >= QUALITY_GOOD and (auc is None or auc <= AUC_GOOD),
                       q is not None and q >= QUALITY_FAIR and (auc is None or auc <= AUC_FAIR))
    fid_text = f"quality {pct(q)}" + ("" if auc is None else f", detection AUC {auc:.2f}")

    priv = doc["privacy"]
    copy, hcopy = _pair(priv["exact_copy_rate"])
    share = _pair(priv["dcr_share"], "share")[0]
    # Real data has duplicates of its own: judge copies against the holdout's rate.
    allowed = 0.01 if hcopy is None else max(2 * hcopy, hcopy + 0.005)
    copies_ok = copy <= allowed
    priv_level = _level(copies_ok and (share is None or share <= DCR_GOOD),
                        copies_ok and (share is None or share <= DCR_FAIR))
    priv_text = f"{pct(copy, 2)} exact copies" + ("" if share is None else f", DCR share {pct(share)}")
    levels = ["good", "fair", "poor"]
    level = levels[max(levels.index(fid_level), levels.index(priv_level))]
    return {
        "level": level, "fidelity": fid_level, "privacy": priv_level,
        "text": f"Fidelity {fid_level} ({fid_text}); privacy {priv_level} ({priv_text}).",
    }


def _level(good: bool, fair: bool) -> str:
    return "good" if good else "fair" if fair else "poor"
