"""Generation of sequences, one step at a time: every step's columns come from the table
sampler, with the history summary as a prefix and the previous step's values in the queries.
Knows only tensors."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..diffusion import flush_denormals
from ..sampler import generate_batch
from .model import WINDOW_CUT, SequenceModel


def generate_sequences(model: SequenceModel, lengths: torch.Tensor, generator: torch.Generator,
                       context: tuple[torch.Tensor, torch.Tensor] | None = None, start_kind: int = 0,
                       device: str | torch.device = "cpu",
                       on_step: Callable[[int], None] | None = None,
                       lines: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
                       first: tuple[torch.Tensor, torch.Tensor, list[int]] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate len(lengths) sequences. Returns codes and values (n, max length, m); steps
    past a sequence's length are zero. ``context``: given codes and values (n, n_given) of the
    leading context columns. ``start_kind``: SEQUENCE_START (sequences begin here) or
    WINDOW_CUT (a stretch taken anywhere from a long series). ``lines``: continues straight lines
    of encoded values (see SequenceModel.event_inputs). ``first``: codes and values (n, k) of
    columns ``first[2]`` at each sequence's first step, drawn elsewhere (a one-series model's
    row model); the step's other columns are generated given them."""
    with flush_denormals(), torch.inference_mode():
        return _generate(model, lengths, generator, context, start_kind, device, on_step, lines, first)


def _generate(model, lengths, generator, context, start_kind, device, on_step, lines, first):
    n, m, W = len(lengths), model.n_columns, model.series.window
    T = int(lengths.max())
    # longest first, so the sequences still going at step t are always rows [0, active)
    by_length = torch.argsort(lengths, descending=True, stable=True)
    lengths = lengths[by_length]
    codes = torch.zeros(n, T, m, dtype=torch.long, device=device)
    values = torch.zeros(n, T, m, device=device)
    order = list(range(m))
    n_given = model.cfg.n_given
    ctx_emb = None
    if context is not None:
        ctx_codes, ctx_values = (c[by_length].to(device) for c in context)
        ctx_emb = model.rows.embed_values(ctx_codes, ctx_values, torch.arange(n_given, device=device))
    if first is not None:
        first_codes, first_values = (f[by_length].to(device) for f in first[:2])
        first_columns = list(first[2])
        # given columns are read before the ones generated at the first step
        first_order = list(range(n_given)) + first_columns + [j for j in range(n_given, m) if j not in first_columns]
    history: list[torch.Tensor] = []  # step vectors of the last window - 1 steps
    recent: list[torch.Tensor] = []  # embeddings of the last n_lags steps, most recent first
    for t in range(T):
        active = int((lengths > t).sum())
        k = len(history)
        start = torch.full((active,), start_kind if t < W else WINDOW_CUT, dtype=torch.long, device=device)
        steps = torch.stack([h[:active] for h in history], dim=1) if k else values.new_zeros(active, 0, model.cfg.d_model)
        summary = model.summaries(steps, start, None if ctx_emb is None else ctx_emb[:active])[:, k]
        lag = model.lag_queries(recent, active)
        known = {j: (ctx_codes[:active, j], ctx_values[:active, j]) for j in range(n_given)} if n_given else None
        step_order = order
        if t == 0 and first is not None:
            known = (known or {}) | {j: (first_codes[:active, i], first_values[:active, i])
                                     for i, j in enumerate(first_columns)}
            step_order = first_order
        residual = None
        if t > 0:
            residual = (values[:active, t - 1], model.residual_scales(codes[:active, t - 1]), model.value_range,
                        model.step_limit)
        events = model.event_inputs(codes[:active], values[:active], t, lines) if model.cfg.event_codes else None
        changes = None
        if t > 0 and model.cross_change is not None:
            changes = (model.cross_change, model.changing.tolist(), _change_of(model, codes[:active, t - 1], values[:active, t - 1]))
            if t > 1:  # the previous step's changes (none at the first two steps, as in training)
                lag = lag + model.lagged_change_queries(_step_changes(model, codes[:active], values[:active], t - 1))
        c, v = generate_batch(model.rows, active, step_order, generator, known=known, device=device,
                               prefix=summary.unsqueeze(1), query_extra=lag, residual=residual, events=events,
                               changes=changes)
        codes[:active, t], values[:active, t] = c, v
        emb = model.embed_steps(c, v)
        recent = [emb] + recent[:model.series.n_lags - 1]
        history.append(model.step_vector(emb))
        if len(history) > W - 1:
            history.pop(0)
        if on_step:
            on_step(t)
    unsort = torch.argsort(by_length)
    return codes[unsort], values[unsort]


def _change_of(model: SequenceModel, prev_codes: torch.Tensor, prev_values: torch.Tensor) -> Callable:
    """change(i, codes, values): the change (n,) of the i-th changing column from the previous
    step's codes and values (n, m), as SequenceModel.step_changes gives it in training."""
    changing = model.changing

    def change(i: int, codes: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        j = changing[i:i + 1]
        return model.step_changes(prev_codes[:, j], prev_values[:, j], codes[:, None], values[:, None], j)[:, 0]

    return change


def _step_changes(model: SequenceModel, codes: torch.Tensor, values: torch.Tensor, t: int) -> torch.Tensor:
    """The changes (n, r) of the changing columns from step t - 1 to step t of (n, T, m) steps."""
    j = model.changing
    return model.step_changes(codes[:, t - 1, j], values[:, t - 1, j], codes[:, t, j], values[:, t, j])
