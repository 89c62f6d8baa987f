"""Report: the result of evaluate(), with headline scores as attributes and the full document
as a dict / JSON / self-contained HTML."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from ..errors import UsageError


class Report:
    """Scores of a synthetic table against real data (see schemas/report.schema.json)."""

    def __init__(self, doc: dict):
        self._doc = doc

    # ---- headline scores (synthetic table; the holdout ceiling is in .ceiling) -------------
    def _fid(self, key: str) -> float | None:
        return self._doc["fidelity"][key]["synthetic"]

    @property
    def quality(self) -> float | None:
        return self._fid("quality")

    @property
    def column_shapes(self) -> float | None:
        return self._fid("column_shapes")

    @property
    def column_pair_trends(self) -> float | None:
        return self._fid("column_pair_trends")

    @property
    def shape_error(self) -> float | None:
        return self._fid("shape_error")

    @property
    def trend_error(self) -> float | None:
        return self._fid("trend_error")

    @property
    def data_validity(self) -> float | None:
        return self._doc["validity"]["data_validity"]["synthetic"]

    @property
    def detection_auc(self) -> float | None:
        """AUC of the gradient-boosted-trees detector (0.5 = indistinguishable)."""
        return self._doc["detection"]["gbt"]["synthetic"]["auc"]

    @property
    def logistic_detection(self) -> float | None:
        return self._doc["scores"]["logistic_detection"]["synthetic"]

    @property
    def ml_efficacy(self) -> float | None:
        return self._doc["scores"]["ml_efficacy"]["synthetic"]

    @property
    def dcr_share(self) -> float | None:
        entry = self._doc["privacy"]["dcr_share"]
        return None if entry is None else entry["synthetic"]["share"]

    @property
    def exact_copy_rate(self) -> float:
        return self._doc["privacy"]["exact_copy_rate"]["synthetic"]

    @property
    def nndr(self) -> float | None:
        return self._doc["scores"]["nndr"]["synthetic"]

    # ---- time series (None when the report has no time-series section) ------------------
    @property
    def timeseries(self) -> dict | None:
        """The time-series section (a copy), or None for a report of a plain table."""
        ts = self._doc.get("timeseries")
        return None if ts is None else copy.deepcopy(ts)

    def _ts(self, key: str, field: str = "synthetic"):
        ts = self._doc.get("timeseries")
        entry = None if ts is None else ts[key]
        return None if entry is None else entry[field]

    @property
    def discriminative_score(self) -> float | None:
        """TimeGAN's discriminative score, |accuracy - 0.5| of a GRU classifier telling
        synthetic from real windows: 0 is best, 0.5 worst."""
        entry = self._ts("discriminative")
        return None if entry is None else entry["score"]

    @property
    def predictive_score(self) -> float | None:
        """TimeGAN's predictive score: mean absolute error of a next-step GRU trained on
        synthetic windows, on the report's test windows (lower is better; the train-on-real
        reference is timeseries["predictive"]["holdout"])."""
        return self._ts("predictive")

    @property
    def lag1_coherence(self) -> float | None:
        return self._ts("lag1_coherence")

    @property
    def autocorrelation(self) -> float | None:
        return self._ts("autocorrelation")

    @property
    def sequence_length_similarity(self) -> float | None:
        return self._ts("sequence_length")

    @property
    def verdict(self) -> str:
        return self._doc["verdict"]["text"]

    @property
    def scores(self) -> dict[str, float | None]:
        """Every gateable score (higher is better) for the synthetic table."""
        return {k: v["synthetic"] for k, v in self._doc["scores"].items()}

    @property
    def ceiling(self) -> dict[str, float | None]:
        """The same scores for the holdout in place of the synthetic table (None without one)."""
        return {k: v["holdout"] for k, v in self._doc["scores"].items()}

    def __repr__(self) -> str:
        return f"Report({self.verdict})"

    # ---- gates ---------------------------------------------------------------------------
    def failures(self, thresholds: dict[str, float]) -> list[str]:
        """One line per score below its threshold; a score that was not measured fails too."""
        from .evaluate import SCORE_LABELS

        out = []
        for name, minimum in thresholds.items():
            if name not in self._doc["scores"] and name in SCORE_LABELS:
                # A time-series score of a report without one (or without an entity).
                out.append(f"{name} was not measured (threshold {minimum:g})")
                continue
            if name not in self._doc["scores"]:
                raise UsageError(f"--fail-under names unknown score '{name}'; use one of "
                                 f"{', '.join(self._doc['scores'])}")
            value = self._doc["scores"][name]["synthetic"]
            if value is None:
                out.append(f"{name} was not measured (threshold {minimum:g})")
            elif value < minimum:
                out.append(f"{name} = {value:.4f} is below {minimum:g}")
        return out

    # ---- output --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return copy.deepcopy(self._doc)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self._doc, indent=indent, allow_nan=False) + "\n"

    def to_html(self, path: str | Path | None = None) -> str:
        """The self-contained HTML page; also written (atomically) to ``path`` if given."""
        from .html import render

        text = render(self._doc)
        if path is not None:
            from ..io import atomic_write_text

            atomic_write_text(path, text)
        return text
