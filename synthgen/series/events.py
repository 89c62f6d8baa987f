"""Exact repeats and straight-line continuations of a number, as discrete events.

Many sensors report a value only when it changes, so a reading often equals the previous one
exactly; readings taken hourly and interpolated onto a finer grid move in straight lines
between the hours. A score head draws every value afresh and never repeats one exactly, so
such series come back jittery where the real ones are flat or straight. Here these steps get
codes of their own after the column's other codes: REPEAT (the previous value again) and
CONTINUE (the previous value plus the previous change). The density head learns how often
they happen given the history, like any other code; the sampler fills in their values from
the history. A column gets an event only where the data has it often. The point masses of a
number column (a wind speed recorded in whole numbers every hour and interpolated in between)
carry their value in a series, so that a repeat, a line or a change can go on from them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..encoders import ColumnEncoder

REPEAT, CONTINUE = 0, 1  # index of each event in a column's [repeat code, continue code]
EVENT_MIN_SHARE = 0.05  # of the column's steps that follow a number
MIN_EVENTS = 20
REL_TOLERANCE = 1e-9  # of the column's largest magnitude: float noise in "equal" and "straight"


def point_mass_values(encoders: list[ColumnEncoder], n_given: int) -> list[list[float]]:
    """Per column, the continuous value of each point mass of a number column that also has
    continuous values (a wind speed held at whole numbers between fractions): a step after a
    point mass can then repeat it, continue a line through it or change from it. Context
    columns (constant in a sequence) and columns without point masses get none."""
    out = []
    for j, enc in enumerate(encoders):
        inner = _number_encoder(enc)
        atoms = getattr(inner, "atoms", [])
        ok = j >= n_given and enc.cont_code >= 0 and len(atoms) and hasattr(inner, "to_normal")
        out.append([float(v) for v in inner.to_normal(np.asarray(atoms, dtype=np.float64))] if ok else [])
    return out


def with_point_mass_values(codes: np.ndarray, values: np.ndarray, atom_values: list[list[float]]) -> np.ndarray:
    """Encoded steps' values (steps, m) with every point mass given its value."""
    values = values.copy()
    for j, atoms in enumerate(atom_values):
        if atoms:
            hit = codes[:, j] < len(atoms)
            values[hit, j] = np.asarray(atoms, dtype=values.dtype)[codes[hit, j]]
    return values


def find_events(table: pd.DataFrame, codes: np.ndarray, offsets: np.ndarray, encoders: list[ColumnEncoder],
                n_given: int, atom_values: list[list[float]] | None = None) -> tuple[list[list[int]] | None, np.ndarray]:
    """Label the events of each time-varying number column.

    ``table`` the steps, ``codes`` (steps, m) their codes, sequences starting at ``offsets``;
    the previous steps may be point masses with ``atom_values`` (point_mass_values). Returns
    per column its [repeat code, continue code] (-1 where the column has no such event; None
    when no column has any) and the codes with the events relabelled. An event step keeps its
    encoded value: later steps read it like any other number."""
    n = len(codes)
    follows = np.ones(n, dtype=bool)  # the step has a previous step in its sequence
    follows[offsets[:-1]] = False
    follows2 = follows & np.r_[False, follows[:-1]]  # ... and the one before that
    labelled = codes.copy()
    found = []
    for j, enc in enumerate(encoders):
        events = [-1, -1]
        x = _numbers(enc, table[enc.name]) if j >= n_given and enc.cont_code >= 0 else None
        if x is not None:
            is_num = codes[:, j] == enc.cont_code
            has_num = is_num | (codes[:, j] < len(atom_values[j] if atom_values else []))  # point masses too
            prev = follows & np.r_[False, has_num[:-1]]
            prev2 = follows2 & prev & np.r_[False, False, has_num[:-2]][:n]
            tol = REL_TOLERANCE * max(1.0, float(np.abs(x[is_num]).max()) if is_num.any() else 1.0)
            x1, x2 = np.r_[np.nan, x[:-1]][:n], np.r_[np.nan, np.nan, x[:-2]][:n]
            with np.errstate(invalid="ignore"):
                repeat = is_num & prev & (np.abs(x - x1) <= tol)
                straight = is_num & prev2 & ~repeat & (np.abs(x - 2 * x1 + x2) <= tol)
            enough = max(MIN_EVENTS, EVENT_MIN_SHARE * int((is_num & prev).sum()))
            code = max(enc.n_codes, 1)
            for kind, where in ((REPEAT, repeat), (CONTINUE, straight)):
                if where.sum() >= enough:
                    events[kind] = code
                    labelled[where, j] = code
                    code += 1
        found.append(events)
    return (found if any(c >= 0 for ev in found for c in ev) else None), labelled


def event_value_codes(codes: np.ndarray, event_codes: list[list[int]] | None, cont_codes: list[int]) -> np.ndarray:
    """Codes (..., m) with every event code replaced by its column's "number" code, for decoding."""
    if not event_codes:
        return codes
    out = codes.copy()
    for j, events in enumerate(event_codes):
        for c in events:
            if c >= 0:
                out[..., j][codes[..., j] == c] = cont_codes[j]
    return out


class StraightLines:
    """Continues straight lines in each column's own units: the encoded values (n, m) of the
    previous two steps -> the encoded value that puts the next one on their line. (The
    encoder's quantile map bends lines, so a line drawn in the encoded scale is not straight
    in the data's.) Columns with no continuation event are continued in the encoded scale."""

    def __init__(self, encoders: list[ColumnEncoder], event_codes: list[list[int]] | None):
        self.columns = [(j, _number_encoder(encoders[j])) for j, ev in enumerate(event_codes or [])
                        if ev[CONTINUE] >= 0]

    def __call__(self, last: torch.Tensor, before: torch.Tensor) -> torch.Tensor:
        out = 2 * last - before
        for j, enc in self.columns:
            number = np.full(len(last), enc.cont_code)
            a = enc.decode_numbers(number, last[:, j].cpu().numpy())
            b = enc.decode_numbers(number, before[:, j].cpu().numpy())
            out[:, j] = torch.as_tensor(enc.to_normal(2 * a - b), dtype=out.dtype, device=out.device)
        return out


def _number_encoder(enc: ColumnEncoder) -> ColumnEncoder:
    """The encoder of a column's numbers (a datetime column's wraps one)."""
    return getattr(enc, "inner", enc)


def _numbers(enc: ColumnEncoder, s: pd.Series) -> np.ndarray:
    """The column's numbers in its own units (float64, NaN where not a number)."""
    if hasattr(enc, "numbers"):  # datetimes
        return np.asarray(enc.numbers(s), dtype=np.float64)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
