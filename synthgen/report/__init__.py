"""Fidelity and privacy report: judges any generator's output from tables alone.

    from synthgen.report import evaluate
    report = evaluate(real, synthetic, holdout=holdout, target="income")
    report.quality, report.detection_auc, report.dcr_share
    report.to_html("report.html"); report.to_json()
"""

from .evaluate import DEFAULT_MAX_ROWS, FORMAT_VERSION, SCORE_LABELS, evaluate
from .report import Report

__all__ = ["DEFAULT_MAX_ROWS", "FORMAT_VERSION", "SCORE_LABELS", "Report", "evaluate"]
