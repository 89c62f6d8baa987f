"""Fidelity through sdmetrics: QualityReport (column shapes, column pair trends) and
DiagnosticReport (data validity, structure), plus missing-value rates per column."""

from __future__ import annotations

import math
import warnings

import pandas as pd

_TABLE = "table"  # sdmetrics' unified reports take {table name: frame}


def _num(x: object) -> float | None:
    """A plain float, or None for NaN / missing (JSON has no NaN)."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _metadata(meta: dict) -> dict:
    return {"tables": {_TABLE: meta}}


def quality(real: pd.DataFrame, other: pd.DataFrame, meta: dict) -> dict:
    """Column Shapes and Column Pair Trends of ``other`` against ``real``.

    Every column pair counts towards the trend score (sdmetrics' association thresholds are
    set to 0), as in the published benchmarks that report "trend error"."""
    from sdmetrics.reports import QualityReport

    report = QualityReport()
    report.real_correlation_threshold = 0
    report.real_association_threshold = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate({_TABLE: real}, {_TABLE: other}, _metadata(meta), verbose=False)
        props = dict(zip(report.get_properties()["Property"], report.get_properties()["Score"],
                         strict=True))
        shapes = report.get_details("Column Shapes")
        pairs = report.get_details("Column Pair Trends")
    per_column = {
        row["Column"]: {"metric": row["Metric"], "score": _num(row["Score"])}
        for _, row in shapes.iterrows()
    }
    per_pair = {}
    for _, row in pairs.iterrows():
        per_pair[(row["Column 1"], row["Column 2"])] = {
            "metric": row["Metric"],
            "score": _num(row["Score"]),
            "real_correlation": _num(row.get("Real Correlation")),
            "other_correlation": _num(row.get("Synthetic Correlation")),
        }
    shapes_score = _num(props.get("Column Shapes"))
    trends_score = _num(props.get("Column Pair Trends"))
    both = [s for s in (shapes_score, trends_score) if s is not None]
    return {
        "quality": sum(both) / len(both) if both else None,
        "column_shapes": shapes_score,
        "column_pair_trends": trends_score,
        "per_column": per_column,
        "per_pair": per_pair,
    }


def diagnostic(real: pd.DataFrame, other: pd.DataFrame, meta: dict) -> dict:
    """Data Validity (values inside real ranges / categories, keys unique) and Structure."""
    from sdmetrics.reports import DiagnosticReport

    report = DiagnosticReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate({_TABLE: real}, {_TABLE: other}, _metadata(meta), verbose=False)
        props = report.get_properties()
        details = report.get_details("Data Validity")
    scores = dict(zip(props["Property"], props["Score"], strict=True))
    return {
        "data_validity": _num(scores.get("Data Validity")),
        "data_structure": _num(scores.get("Data Structure")),
        "per_column": {row["Column"]: {"metric": row["Metric"], "score": _num(row["Score"])}
                       for _, row in details.iterrows()},
    }


def missing_rates(df: pd.DataFrame) -> dict[str, float]:
    return {c: float(df[c].isna().mean()) for c in df.columns}
