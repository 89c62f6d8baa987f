"""Time series behind the Synthesizer API: fitting the step model and the entity table,
generating whole sequences and writing them back with the input's columns and formats."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import torch

from ..data import decode_table, encode_table, fit_encoders, train_val_split
from ..encoders import ColumnEncoder, IdEncoder, encoder_from_dict
from ..encoders.numeric import NumericEncoder
from ..errors import DataError, UsageError
from ..model import ModelConfig
from ..schema import Schema
from ..trainer import Progress, TrainConfig, train
from .events import (
    CONTINUE,
    StraightLines,
    event_value_codes,
    find_events,
    point_mass_values,
    with_point_mass_values,
)
from .model import SEQUENCE_START, WINDOW_CUT, SequenceModel, SeriesModelConfig
from .panel import (
    GAP,
    LENGTH,
    SERIES,
    START,
    SeriesLayout,
    change_scales,
    default_stride,
    make_layout,
    order_from_numbers,
    split_steps,
    step_limits,
    step_schema,
    windows,
)
from .sampler import generate_sequences

log = logging.getLogger("synthgen")
MIN_MODELLED_ENTITIES = 50  # fewer entities: their context rows are drawn from the real ones
ENTITY_BUDGET_SHARE = 0.1  # share of the time budget spent on the entity table
TABLE_MODELS = ("entity_model", "first_step_model")  # names of the table models inside a file
# One long series: share of the time budget spent on a table model of its rows, which gives each
# generated series its first step. The step model learns a row's joint distribution only from the
# first step of each training window (1 step in `window`); on energy its first steps' column
# correlations were off by 0.112 on average, a table model's by 0.044, and real first steps
# brought the discriminative score from 0.36 to 0.22. The opening row sets the levels the whole
# window moves on from: with the same 15-minute step model, a table model trained 10 minutes in
# place of 5 took energy from 0.217 to 0.194, while doubling the step model's training did not help
# (0.221). With 20 minutes, a share of 0.4 gave 0.181 and 0.139 (two seeds) against 0.197-0.233
# at 0.25, and 0.5 gave 0.151 (benchmarks/README.md). At most 0.5: the step model always gets at
# least half.
FIRST_STEP_BUDGET_SHARE = 0.4
MIN_FIRST_STEP_ROWS = 100  # fewer rows: the step model's own first step
# Steps per training batch, in whole windows (at least 4): many small steps learn faster. The step
# model is still improving when a 20-minute budget ends; 128 against 256 (4 windows of 24 steps
# against 8) gave 53-58 epochs against 32 and energy's discriminative score 0.216 and 0.207
# against 0.224 and 0.227 at 256, beijing_multisite 0.166 against 0.167 (benchmarks/README.md).
ROWS_PER_BATCH = 128
NOISED_VALUES_PER_BATCH = 16384  # score-matching targets per batch (see ModelConfig.score_repeats)
# Steps validated after each epoch, in whole windows: every epoch evaluates all of them, and on
# energy its 986 validation windows took 16 s of each 100 s epoch (341 windows: a third of that)
VAL_STEPS = 8192
MAX_CELLS_PER_BATCH = 4_000_000  # steps x columns generated per batch of sequences
SERIES_LAYERS = 3  # trunk blocks when n_layers is not given: what the series benchmarks measured


def series_layers(params) -> int:
    return SERIES_LAYERS if params.n_layers is None else params.n_layers


class SeriesBackend:
    def __init__(self, layout: SeriesLayout, encoders: list[ColumnEncoder], model: SequenceModel,
                 entity_source: dict, key_encoders: dict[str, IdEncoder]):
        self.layout = layout
        self.encoders = encoders  # of the step table: context, varying, gap
        self.model = model
        self.entity_source = entity_source  # {"mode": "model" | "empirical" | "single", ...}
        self.key_encoders = key_encoders  # entity and id columns: fresh keys
        self.entity_synth = None
        self.first_step_synth = None  # one long series: the table model of its rows (or None)

    # ---- fitting ----------------------------------------------------------------------
    @classmethod
    def fit(cls, frame: pd.DataFrame, schema: Schema, params, callback: Callable[[Progress], None] | None,
            device: torch.device) -> SeriesBackend:
        layout = make_layout(frame, schema, params.window)
        steps = split_steps(frame, layout)
        encoders = fit_encoders(steps.table, step_schema(schema, layout), seed=params.seed)
        n_given = len(layout.context)
        enc = _encode_steps(steps, encoders, n_given)
        # Columns learned as changes get an affine map in place of the quantile map: where values
        # repeat (a sensor's common readings) the quantile map is flat, so small changes vanish and
        # others snap to the next common value (energy's T1: 65 % of synthetic steps were zero
        # against 54 %, and the rest were 1.4 times too wide); a change must mean the same amount
        # at every level.
        affine = {j for j, sc in enumerate(enc.scales) if sc > 0 and isinstance(encoders[j], NumericEncoder)}
        if affine:
            encoders = [e.affine() if j in affine else e for j, e in enumerate(encoders)]
            enc = _encode_steps(steps, encoders, n_given, always=[sc > 0 for sc in enc.scales])
        codes, values, cont_codes, atom_values = enc.codes, enc.values, enc.cont_codes, enc.atom_values
        event_codes, scales, bounds, limits = enc.event_codes, enc.scales, enc.bounds, enc.limits
        panel = layout.entity is not None
        stride = default_stride(len(codes), layout.window)
        w = windows(codes, values, steps.offsets, layout.window, stride, panel)
        n_codes = [max(e.n_codes, 1) + sum(c >= 0 for c in ev) for e, ev in
                   zip(encoders, event_codes or [[]] * len(encoders), strict=True)]
        cfg = ModelConfig(n_codes=n_codes, cont_codes=cont_codes,
                          d_model=params.d_model, n_layers=series_layers(params), n_heads=params.n_heads,
                          d_denoiser=params.d_denoiser, n_given=n_given, event_codes=event_codes,
                          atom_values=atom_values if any(atom_values) else None)
        # a batch of many numeric columns holds thousands of values already: fewer noise draws each
        n_numeric = sum(c >= 0 for c in cfg.cont_codes[n_given:])
        cfg.score_repeats = int(np.clip(round(NOISED_VALUES_PER_BATCH / max(ROWS_PER_BATCH * n_numeric, 1)), 1, 4))
        cfg.edm.steps = params.sampling_steps
        torch.manual_seed(params.seed)
        model = SequenceModel(cfg, SeriesModelConfig(window=layout.window, history_noise=params.history_noise,
                                                     residual_scale=scales, value_range=bounds,
                                                     change_queries=True, step_limit=limits))
        total, started = params.max_minutes, time.perf_counter()
        share = lambda s: None if total is None else total * s  # noqa: E731
        entity_source, entity_synth = _fit_entities(steps.entities, schema, layout, params,
                                                    share(ENTITY_BUDGET_SHARE))
        first_step_synth = None
        if layout.entity is None:
            first_step_synth = _fit_first_steps(steps.table, step_schema(schema, layout), params,
                                                share(FIRST_STEP_BUDGET_SHARE), _later_phase(callback, started, total))
        # the step model gets what the table models left of the budget
        budget = None if total is None else max(total - (time.perf_counter() - started) / 60, total / 2)
        tc = TrainConfig(epochs=params.epochs, max_minutes=budget,
                         batch_size=max(4, 2 ** round(math.log2(max(ROWS_PER_BATCH / layout.window, 1)))),
                         max_steps_per_epoch=200)
        tensors = [torch.from_numpy(a) for a in w]
        train_idx, val_idx = train_val_split(len(tensors[0]), params.val_fraction, params.seed,
                                             max_val=max(VAL_STEPS // layout.window, 1))
        result = train(model, [t[train_idx] for t in tensors], [t[val_idx] for t in tensors], tc,
                       seed=params.seed, device=device, callback=_later_phase(callback, started, total, last=True))
        model.load_state_dict(result.state_dict)
        model.to("cpu").eval()
        keys = {c: IdEncoder.fit(c, frame[c]) for c in layout.ids + ([layout.entity] if layout.entity else [])}
        self = cls(layout, encoders, model, entity_source, keys)
        self.entity_synth = entity_synth
        self.first_step_synth = first_step_synth
        self.train_config = tc
        self.result = result
        log.info("fitted %d sequences, %d steps, %d windows of %d", len(steps.entities), len(codes),
                 len(tensors[0]), layout.window)
        return self

    # ---- sampling ---------------------------------------------------------------------
    def default_count(self) -> int:
        return 1 if self.entity_source["mode"] == "single" else int(self.entity_source["n_entities"])

    def sample_batches(self, n: int, length: int | None, seed: int, device: torch.device,
                       on_step: Callable[[int], None] | None = None) -> Iterator[pd.DataFrame]:
        if length is not None and (not isinstance(length, (int, np.integer)) or isinstance(length, bool) or length <= 0):
            raise UsageError(f"--length must be a positive whole number of steps, got {length!r}")
        gen = torch.Generator(device=device).manual_seed(int(seed))
        entities = self._entities(n, length, seed)
        lengths = entities[LENGTH].to_numpy(dtype=np.int64)
        per_batch = max(1, MAX_CELLS_PER_BATCH // max(1, int(lengths.max()) * self.model.n_columns))
        model = self.model.to(device).eval()
        n_given = len(self.layout.context)
        start_kind = SEQUENCE_START if self.layout.entity else WINDOW_CUT
        numbered = self.layout.entity is None and n > 1  # several series of a one-series model
        lines = StraightLines(self.encoders, model.cfg.event_codes)
        first_rows = None if self.first_step_synth is None else self.first_step_synth.sample(n, seed=seed)
        rows_done = 0
        for a in range(0, n, per_batch):
            part = entities.iloc[a:a + per_batch].reset_index(drop=True)
            context = None
            if n_given:
                c, v = encode_table(part[self.layout.context], self.encoders[:n_given])
                context = (torch.from_numpy(c), torch.from_numpy(v))
            first = None if first_rows is None else self._first_steps(first_rows.iloc[a:a + per_batch])
            codes, values = generate_sequences(model, torch.from_numpy(lengths[a:a + per_batch]), gen, context,
                                               start_kind, device, on_step, lines, first)
            df = self._decode(codes.cpu().numpy(), values.cpu().numpy(), part, a, rows_done, numbered)
            rows_done += len(df)
            yield df

    def _first_steps(self, rows: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        """Rows of the first-step model, encoded as the step model's given first-step columns."""
        columns = [j for j, e in enumerate(self.encoders) if e.name in rows.columns]
        codes, values = encode_table(rows, [self.encoders[j] for j in columns])
        atoms = self.model.cfg.atom_values
        if atoms:
            values = with_point_mass_values(codes, values, [atoms[j] for j in columns])
        return torch.from_numpy(codes), torch.from_numpy(values), columns

    def _entities(self, n: int, length: int | None, seed: int) -> pd.DataFrame:
        src = self.entity_source
        if src["mode"] == "model":
            ent = self.entity_synth.sample(n, seed=seed)
            for col, value in src["constants"].items():
                ent[col] = value
        elif src["mode"] == "empirical":
            table = pd.DataFrame(src["rows"])
            pick = np.random.default_rng(seed).integers(0, len(table), size=n)
            ent = table.iloc[pick].reset_index(drop=True)
        else:
            ent = pd.DataFrame({LENGTH: [src["length"]] * n, START: [src["start"]] * n})
        if length is not None:
            ent[LENGTH] = int(length)
        ent[LENGTH] = np.maximum(pd.to_numeric(ent[LENGTH]).round().astype("int64"), 1)
        return ent

    def _decode(self, codes: np.ndarray, values: np.ndarray, entities: pd.DataFrame, first: int,
                row_start: int, numbered: bool) -> pd.DataFrame:
        """Generated steps -> rows. first: index of the first sequence; row_start: of its first row."""
        lay = self.layout
        lengths = entities[LENGTH].to_numpy()
        n, T = len(lengths), codes.shape[1]
        valid = np.arange(T)[None, :] < lengths[:, None]
        cfg = self.model.cfg
        steps = decode_table(event_value_codes(codes[valid], cfg.event_codes, cfg.cont_codes), values[valid], self.encoders)
        seq = np.repeat(np.arange(n), lengths)
        out = {}
        if numbered:
            out[SERIES] = pd.Series(first + 1 + seq, dtype="int64")
        if lay.entity:
            keys = self.key_encoders[lay.entity].generate(n, start=first)
            out[lay.entity] = keys.iloc[seq].reset_index(drop=True)
        if lay.order:
            gap = pd.to_numeric(steps[GAP]).to_numpy(dtype=np.float64)
            gap = np.maximum(np.nan_to_num(gap, nan=lay.min_gap), lay.min_gap)
            firsts = np.r_[0, np.cumsum(lengths)[:-1]]
            gap[firsts] = 0.0
            start = pd.to_numeric(entities[START]).to_numpy(dtype=np.float64)
            cum = np.cumsum(gap)
            t = cum - np.repeat(cum[firsts], lengths) + np.repeat(start, lengths)
            out[lay.order] = order_from_numbers(t, lay.order, lay.order_kind, lay.order_codec)
        for c in lay.context + lay.varying:
            out[c] = steps[c]
        for c in lay.ids:
            out[c] = self.key_encoders[c].generate(len(seq), start=row_start)
        return pd.DataFrame(out)

    # ---- model file -------------------------------------------------------------------
    def to_doc(self) -> tuple[dict, dict]:
        tensors = dict(self.model.state_dict())
        doc = {"layout": self.layout.to_dict(), "series_config": self.model.series.to_dict(),
               "encoders": [e.to_dict() for e in self.encoders],
               "keys": {c: e.to_dict() for c, e in self.key_encoders.items()},
               "entity_source": self.entity_source}
        for name, synth in self._table_models().items():
            t, d = synth._to_doc()
            tensors.update({f"{name}.{k}": v for k, v in t.items()})
            doc[name] = d
        return tensors, doc

    def _table_models(self) -> dict:
        """The table models inside, by the name their tensors and JSON are stored under."""
        models = dict(zip(TABLE_MODELS, (self.entity_synth, self.first_step_synth), strict=True))
        return {name: synth for name, synth in models.items() if synth is not None}

    @classmethod
    def from_doc(cls, tensors: dict, doc: dict, model_config: ModelConfig) -> SeriesBackend:
        from ..api import Synthesizer

        layout = SeriesLayout.from_dict(doc["layout"])
        model = SequenceModel(model_config, SeriesModelConfig(**doc["series_config"]))
        own = {k: v for k, v in tensors.items() if not k.startswith(tuple(f"{name}." for name in TABLE_MODELS))}
        model.load_state_dict(own, strict=True)
        self = cls(layout, [encoder_from_dict(d) for d in doc["encoders"]], model.eval(), doc["entity_source"],
                   {c: IdEncoder.from_dict(d) for c, d in doc["keys"].items()})
        loaded = {}
        for name in TABLE_MODELS:
            if name in doc:
                sub = {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")}
                loaded[name] = Synthesizer._from_doc(sub, doc[name])
        self.entity_synth = loaded.get("entity_model")
        self.first_step_synth = loaded.get("first_step_model")
        return self


@dataclasses.dataclass
class _EncodedSteps:
    codes: np.ndarray  # (steps, m), events labelled
    values: np.ndarray  # (steps, m), point masses with their values
    cont_codes: list[int]
    atom_values: list[list[float]]
    event_codes: list[list[int]] | None
    scales: list[float]  # residual (change) scale per column, 0: generated as values
    bounds: list[list[float]]
    limits: list[float]  # largest step per column


def _encode_steps(steps, encoders: list[ColumnEncoder], n_given: int, always: list[bool] | None = None) -> _EncodedSteps:
    """The steps' table encoded for the step model, with its events, change scales and step limits.
    ``always``: columns learned as changes whatever their spread (default: those with straight
    lines; a second pass gives the first pass's choice, which includes them)."""
    codes, values = encode_table(steps.table, encoders)
    cont_codes = [e.cont_code for e in encoders]
    atom_values = point_mass_values(encoders, n_given)
    event_codes, labelled = find_events(steps.table, codes, steps.offsets, encoders, n_given, atom_values)
    # a line is continued from the last change, so a column with lines is generated as changes:
    # a value drawn afresh at each bend would give the next straight stretch a noisy slope
    straight = [ev[CONTINUE] >= 0 for ev in event_codes] if event_codes else None
    scales, bounds = change_scales(codes, values, steps.offsets, cont_codes, n_given,
                                   straight if always is None else always)
    filled = with_point_mass_values(codes, values, atom_values)
    limits = step_limits(codes, filled, steps.offsets, cont_codes, atom_values, bounds)
    return _EncodedSteps(labelled, filled, cont_codes, atom_values, event_codes, scales, bounds, limits)


def _fit_entities(entities: pd.DataFrame, schema: Schema, layout: SeriesLayout, params,
                  budget: float | None):
    """How new entities get their context, length and start: a table model of the entity
    table when there are enough entities, else draws from the real entities' rows."""
    if layout.entity is None:
        return {"mode": "single", "length": int(entities[LENGTH].iloc[0]),
                "start": float(entities[START].iloc[0])}, None
    n = len(entities)
    if n < MIN_MODELLED_ENTITIES:
        return _empirical(entities, n), None
    from ..api import Synthesizer
    from ..schema import ColumnSpec

    constants = {c: _scalar(entities[c].iloc[0]) for c in entities.columns
                 if entities[c].nunique(dropna=False) <= 1}
    modelled = [c for c in entities.columns if c not in constants]
    if not modelled:
        return _empirical(entities.iloc[:1], n), None
    specs = [schema[c] if c in layout.context else
             ColumnSpec(c, "integer" if c == LENGTH or np.all(entities[c] == np.round(entities[c])) else "numeric")
             for c in modelled]
    table = entities[modelled]
    if len(modelled) == 1:  # a table model needs two columns to have anything to relate
        return _empirical(entities, n), None
    synth = Synthesizer(schema=Schema(specs), max_minutes=budget if budget else 2.0, seed=params.seed,
                        d_model=params.d_model, n_layers=series_layers(params), n_heads=params.n_heads,
                        d_denoiser=params.d_denoiser, device=params.device)
    try:
        synth.fit(table)
    except DataError as exc:
        raise DataError(f"the entity table (one row per '{layout.entity}': context, length, start) cannot be learned: {exc}") from None
    return {"mode": "model", "n_entities": n, "constants": constants}, synth


def _fit_first_steps(table: pd.DataFrame, schema: Schema, params, budget: float | None,
                     callback: Callable[[Progress], None] | None):
    """One long series: a table model of its steps' columns (those that vary), which opens every
    generated series; the step model generates the rest of the first step given them. None where
    the series is too short or has fewer than two such columns (nothing to relate)."""
    if len(table) < MIN_FIRST_STEP_ROWS:
        return None
    varying = [c for c in table.columns if table[c].nunique(dropna=True) > 1]
    if len(varying) < 2:
        return None
    from ..api import Synthesizer

    synth = Synthesizer(schema=Schema([schema[c] for c in varying]), epochs=params.epochs, max_minutes=budget,
                        seed=params.seed, d_model=params.d_model, n_layers=params.n_layers, n_heads=params.n_heads,
                        d_denoiser=params.d_denoiser, sampling_steps=params.sampling_steps, device=params.device,
                        callback=callback)
    try:
        synth.fit(table[varying])
    except DataError as exc:  # the step model's own first step still works
        log.info("first steps come from the step model: a table model of the rows failed (%s)", exc)
        return None
    return synth


def _later_phase(callback: Callable[[Progress], None] | None, started: float, budget: float | None,
                 last: bool = False) -> Callable[[Progress], None] | None:
    """The progress callback for one phase of a fit made of several trainings (table models, then
    the step model): with a time budget, elapsed time counts from the fit's start against the whole
    budget, so a progress bar moves on through the phases; without one, only the last phase reports
    (epoch counts would start over). Only the last phase reports that training is done."""
    if callback is None or (budget is None and not last):
        return None
    offset = time.perf_counter() - started

    def report(p: Progress) -> None:
        if p.done and not last:
            return
        if budget is not None:
            p = dataclasses.replace(p, elapsed=p.elapsed + offset, budget=budget * 60)
        callback(p)

    return report


def _empirical(rows: pd.DataFrame, n_entities: int) -> dict:
    """New entities drawn from these real entity rows (stored as JSON lists)."""
    lists = rows.to_dict(orient="list")
    return {"mode": "empirical", "n_entities": n_entities,
            "rows": {str(k): [_scalar(v) for v in vals] for k, vals in lists.items()}}


def _scalar(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v



