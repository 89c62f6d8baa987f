"""Generation, column by column in a fixed order, one trunk token per column (KV cache).
Knows only tensors."""

from __future__ import annotations

from collections.abc import Callable

import torch

from .diffusion import flush_denormals, sample_values
from .model import TabularTransformer


def generate_batch(*args, **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    with flush_denormals():
        return _generate_batch(*args, **kwargs)


@torch.inference_mode()
def _generate_batch(model: TabularTransformer, n: int, order: list[int], generator: torch.Generator,
                   known: dict[int, tuple[torch.Tensor, torch.Tensor]] | None = None,
                   device: str | torch.device = "cpu", prefix: torch.Tensor | None = None,
                   query_extra: torch.Tensor | None = None,
                   residual: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
                   events: tuple[torch.Tensor, torch.Tensor] | None = None,
                   changes: tuple[torch.Tensor, list[int], Callable] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample ``n`` rows. Returns codes (n, m) long and values (n, m) float.

    ``known`` maps a column to given (codes, values) of shape (n,): those columns are not
    sampled but read as visible context (conditional generation); put them first in ``order``.
    ``prefix`` (n, P, d) and ``query_extra`` (n, m, d): a time series' history (see
    TabularTransformer.hidden). ``residual`` (base, scale, bounds, limit), (n, m), (n, m), (2, m) and
    (m,): where scale > 0 the score head generates a change, and the value is base + scale * change,
    kept within bounds (changes add up over a sequence) and within limit of base, and point masses
    further than limit from base are never drawn. ``events`` (values, possible), both (n, m, 2):
    the value each of a column's event codes (model.cfg.event_codes) stands for, and where that
    event can happen at all (it needs earlier values); impossible events are never drawn.
    ``changes`` (weight, columns, change): a time series' change queries (SequenceModel.change_queries):
    once column ``columns[i]`` is drawn, ``change(i, codes, values)`` gives its change (n,), and
    every later column j's token gets the changes so far times weight[j] (m, r, d).
    """
    m = model.n_columns
    known = known or {}
    codes = torch.zeros(n, m, dtype=torch.long, device=device)
    values = torch.zeros(n, m, device=device)
    P = 0 if prefix is None else prefix.shape[1]
    caches = model.new_caches(n, device, P)
    if P:
        model.step(prefix, caches)  # fills the caches; the prefix predicts nothing itself
    prev: int | None = None
    if changes is not None:
        cross_weight, changing, change_of = changes
        change_index = {j: i for i, j in enumerate(changing)}
        drawn_changes = values.new_zeros(n, len(changing))  # zero until drawn: adds nothing
    for j in order:
        if prev is None:
            token = model.code_emb.weight[model.bos_index].expand(n, -1)
        elif model.carries_numbers(prev):
            col = torch.tensor([prev], device=device)
            token = model.embed_values(codes[:, prev:prev + 1], values[:, prev:prev + 1], col)[:, 0]
        else:  # codes only: the value part of the embedding would be multiplied by zero
            token = model.code_emb(codes[:, prev] + model.code_offsets[prev])
        token = token + model.query_emb.weight[j]
        if query_extra is not None:
            token = token + query_extra[:, j]
        if changes is not None:
            token = token + drawn_changes @ cross_weight[j]
        token = token.unsqueeze(1)
        if prev is None and P == 0 and query_extra is None:
            h = _first_step(model, token[:1], caches).expand(n, -1)
        else:
            h = model.step(token, caches)  # (n, d)
        if j in known:
            codes[:, j], values[:, j] = known[j]
        else:
            logits = model.density_heads[j](h).float()
            if residual is not None and model.cfg.atom_values and model.cfg.atom_values[j]:
                _mask_far_point_masses(logits, model.atom_value_t[j, :len(model.cfg.atom_values[j])], residual, j)
            event_codes = model.cfg.event_codes[j] if events is not None and model.cfg.event_codes else ()
            for k, c in enumerate(event_codes):
                if c >= 0:
                    logits[:, c].masked_fill_(~events[1][:, j, k], -torch.inf)
            probs = torch.softmax(logits, dim=-1)
            codes[:, j] = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            for k, c in enumerate(event_codes):
                if c >= 0:
                    hit = codes[:, j] == c
                    values[hit, j] = events[0][hit, j, k]
            if model.cfg.atom_values and model.cfg.atom_values[j]:
                hit = codes[:, j] < len(model.cfg.atom_values[j])
                values[hit, j] = model.atom_value_t[j, codes[hit, j]]
            cont = model.cfg.cont_codes[j]
            if cont >= 0:
                rows = (codes[:, j] == cont).nonzero().squeeze(1)
                if len(rows):
                    film = model.score_head.film_params(h[rows])
                    y = sample_values(model.score_head, film, generator)
                    if residual is not None:
                        base, scale, bounds, limit = (residual[0][rows, j], residual[1][rows, j], residual[2][:, j],
                                                      residual[3][j])
                        low, high = torch.clamp(base - limit, min=bounds[0]), torch.clamp(base + limit, max=bounds[1])
                        y = torch.where(scale > 0, torch.minimum(torch.maximum(base + scale * y, low), high), y)
                    values[rows, j] = y
        if changes is not None and j in change_index:
            i = change_index[j]
            drawn_changes[:, i] = change_of(i, codes[:, j], values[:, j])
        prev = j
    return codes, values


def _mask_far_point_masses(logits: torch.Tensor, atoms: torch.Tensor, residual: tuple, j: int) -> None:
    """Rule out, in place, column j's point masses (codes 0..k-1, values ``atoms``) further than
    its step limit from the previous value, in rows where it is generated as a change."""
    base, scale, _, limit = residual
    far = (atoms - base[:, j:j + 1]).abs() > limit[j]
    logits[:, :len(atoms)].masked_fill_(far & (scale[:, j:j + 1] > 0), -torch.inf)


def _first_step(model: TabularTransformer, token: torch.Tensor, caches: list) -> torch.Tensor:
    """The first token of a row without history is the same for every row: run it once and
    broadcast its keys and values into the batch's caches. Returns its output (1, d)."""
    one = model.new_caches(1, token.device)
    h = model.step(token, one)
    for cache, single in zip(caches, one, strict=True):
        cache.k[0] = single.k[0]
        cache.v[0] = single.v[0]
        cache.t = 1
    return h
