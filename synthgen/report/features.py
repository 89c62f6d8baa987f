"""Tables -> numeric matrices for the scikit-learn models of the detection and efficacy
checks. Gradient-boosted trees split on raw numbers and take categories natively, so the
encoding is plain: numbers as floats, dates as seconds, labels as integer codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import datetime_seconds

# HistGradientBoosting accepts at most 255 category codes per feature (one bin is kept for
# missing values); rarer categories share one "other" code.
MAX_CATEGORIES = 250


def encode(frames: list[pd.DataFrame], kinds: dict[str, str], columns: list[str]
           ) -> tuple[list[np.ndarray], np.ndarray]:
    """Encode several tables with one shared code book.

    Returns one float matrix per table (NaN = missing) and a boolean mask of the columns
    that are categorical, for HistGradientBoosting's ``categorical_features``."""
    mats: list[list[np.ndarray]] = [[] for _ in frames]
    is_cat = []
    for col in columns:
        kind = kinds[col]
        if kind == "datetime":
            for out, df in zip(mats, frames, strict=True):
                out.append(datetime_seconds(df[col]))
            is_cat.append(False)
        elif kind in ("numeric", "integer"):
            for out, df in zip(mats, frames, strict=True):
                out.append(df[col].to_numpy(dtype=float))
            is_cat.append(False)
        else:
            # Codes in order of frequency in the first table, so the most common categories
            # keep their own code when there are too many.
            counts = pd.concat([df[col] for df in frames]).value_counts()
            first = frames[0][col].value_counts()
            order = list(first.index) + [v for v in counts.index if v not in first.index]
            codes = {v: min(i, MAX_CATEGORIES) for i, v in enumerate(order)}
            for out, df in zip(mats, frames, strict=True):
                out.append(df[col].map(codes).to_numpy(dtype=float))
            is_cat.append(True)
    arrays = [np.column_stack(m) if m else np.zeros((len(df), 0))
              for m, df in zip(mats, frames, strict=True)]
    return arrays, np.array(is_cat, dtype=bool)
