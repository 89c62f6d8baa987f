"""Training loop: AdamW, EMA weights, validation for early stopping and best-weight keeping,
an epoch cap and a time budget, a progress callback, and a clean stop on Ctrl-C.
Knows only tensors."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .diffusion import flush_denormals
from .model import TabularTransformer


@dataclass
class TrainConfig:
    epochs: int | None = None  # None: until early stopping (capped by max_epochs) or the budget
    max_epochs: int = 1000
    max_minutes: float | None = None  # time budget for the whole fit
    batch_size: int | None = None  # None: chosen from the table size
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    ema_decay: float = 0.995
    patience: int = 12  # epochs without validation improvement before stopping
    lr_patience: int = 4  # epochs without improvement before halving the learning rate
    fixed_order_share: float = 0.5  # share of rows read in the sampling order, the rest random
    grad_clip: float = 1.0
    score_weight: float = 1.0  # weight of the score-matching loss beside the cross-entropy
    max_steps_per_epoch: int | None = None  # long series: validate (and keep the best) this often


@dataclass
class Progress:
    epoch: int
    epochs: int | None
    step: int
    train_loss: float
    val_loss: float | None
    best_val: float | None
    elapsed: float
    budget: float | None
    done: bool = False


@dataclass
class TrainResult:
    state_dict: dict
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_by: str = ""  # "early-stopping" | "epochs" | "time-budget" | "interrupted"


# Validation rows per forward pass. Batches of 4,096 rows spill the CPU caches: validating energy's
# 341 windows of 24 steps took 3.3 s in 4,096-row batches and 1.8 s in 1,024-row ones (one thread),
# a tenth of each epoch; adult's 3,257 rows 0.38 s against 0.23 s.
VAL_ROWS_PER_BATCH = 1024


def default_batch_size(n_rows: int) -> int:
    # about 50+ steps per epoch on small tables, large batches on big ones (CPU efficiency)
    return int(min(1024, max(32, 2 ** round(math.log2(max(n_rows / 50, 1))))))


def train(model: TabularTransformer, train_data: tuple[torch.Tensor, ...],
          val_data: tuple[torch.Tensor, ...], cfg: TrainConfig, seed: int = 0,
          device: torch.device | str = "cpu",
          callback: Callable[[Progress], None] | None = None) -> TrainResult:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    data = [t.to(device) for t in train_data]  # rows (tables) or windows (time series) first
    val = [t.to(device) for t in val_data]
    n, m = len(data[0]), model.n_columns
    bs = cfg.batch_size or default_batch_size(n)
    bs = min(bs, n)
    steps_per_epoch = max(1, n // bs)
    if cfg.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, cfg.max_steps_per_epoch)
    model.to(device).train()
    opt = _adamw(model, cfg)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    canonical = torch.arange(m, device=device)
    val_perm = canonical.expand(len(val[0]), m)  # judge the order we sample in
    result = TrainResult(state_dict=_cpu_state(ema))
    best_val, since_best, since_lr = math.inf, 0, 0
    lr_scale = 1.0
    start = time.monotonic()
    budget = cfg.max_minutes * 60 if cfg.max_minutes else None
    max_epochs = cfg.epochs or cfg.max_epochs
    step = 0
    result.stopped_by = "epochs"
    with flush_denormals():  # tiny gradients late in training are slow on CPUs otherwise
        try:
            for epoch in range(1, max_epochs + 1):
                model.train()
                order = torch.randperm(n, generator=gen).to(device)
                total = 0.0
                for b in range(steps_per_epoch):
                    idx = order[b * bs:(b + 1) * bs]
                    batch = [t[idx] for t in data]
                    perm = _orders(len(idx), m, cfg.fixed_order_share, gen).to(device)
                    lr = cfg.lr * lr_scale * min(1.0, (step + 1) / cfg.warmup_steps)
                    for g in opt.param_groups:
                        g["lr"] = lr
                    losses = model.losses(*batch, perm=perm)
                    loss = losses["density"] + cfg.score_weight * losses["score"]
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                    opt.step()
                    _ema_update(ema, model, cfg.ema_decay if step > cfg.warmup_steps else 0.9)
                    total += loss.item()
                    step += 1
                    if budget is not None and time.monotonic() - start > budget:
                        break  # long epochs (big series) must not overrun the budget
                train_loss = total / (b + 1)
                val_loss = evaluate(ema, val, val_perm, cfg, seed)
                elapsed = time.monotonic() - start
                rec = {"epoch": epoch, "train_loss": round(train_loss, 5), "val_loss": round(val_loss, 5),
                       "lr": lr, "seconds": round(elapsed, 2)}
                result.history.append(rec)
                if val_loss < best_val - 1e-4:
                    best_val, since_best, since_lr = val_loss, 0, 0
                    result.state_dict = _cpu_state(ema)
                    result.best_epoch = epoch
                else:
                    since_best += 1
                    since_lr += 1
                    if since_lr >= cfg.lr_patience:
                        lr_scale, since_lr = lr_scale * 0.5, 0
                if callback:
                    callback(Progress(epoch, cfg.epochs, step, train_loss, val_loss, best_val, elapsed, budget))
                if cfg.epochs is None and since_best >= cfg.patience:
                    result.stopped_by = "early-stopping"
                    break
                # stop when another epoch would overrun the budget
                if budget is not None and (elapsed * (epoch + 1) / epoch > budget or elapsed > budget):
                    result.stopped_by = "time-budget"
                    break
        except KeyboardInterrupt:
            result.stopped_by = "interrupted"
    if callback:
        elapsed = time.monotonic() - start
        callback(Progress(len(result.history), cfg.epochs, step, math.nan, None, best_val, elapsed, budget, done=True))
    return result


@torch.no_grad()
def evaluate(model: TabularTransformer, data: list[torch.Tensor], perm: torch.Tensor,
             cfg: TrainConfig, seed: int, batch: int | None = None) -> float:
    """Validation loss with fixed noise, so epochs compare fairly."""
    model.eval()
    gen = torch.Generator(device=data[0].device).manual_seed(seed + 1)
    n = len(data[0])
    batch = batch or max(1, VAL_ROWS_PER_BATCH // max(1, data[0][0].numel() // model.n_columns))
    total, count = 0.0, 0
    for i in range(0, n, batch):
        part = [t[i:i + batch] for t in data]
        losses = model.losses(*part, perm=perm[i:i + batch], generator=gen)
        total += (losses["density"] + cfg.score_weight * losses["score"]).item() * len(part[0])
        count += len(part[0])
    return total / max(count, 1)


def _adamw(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW, fused into one kernel where this torch has it for the device (CPU from torch 2.4)."""
    kwargs = dict(lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.99))
    try:
        return torch.optim.AdamW(model.parameters(), fused=True, **kwargs)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(model.parameters(), foreach=True, **kwargs)


def _orders(b: int, m: int, fixed_share: float, gen: torch.Generator) -> torch.Tensor:
    """Per-row column orders: the sampling order for a share of rows, random for the rest."""
    perm = torch.rand(b, m, generator=gen).argsort(dim=1)
    fixed = torch.rand(b, generator=gen) < fixed_share
    perm[fixed] = torch.arange(m)
    return perm


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)


def _cpu_state(model: torch.nn.Module) -> dict:
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
