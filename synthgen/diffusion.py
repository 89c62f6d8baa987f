"""One-dimensional denoising diffusion for numeric values, written the way EDM writes it
(Karras et al. 2022, arXiv 2206.00364): preconditioning, the score-matching loss and a Heun
sampler. Knows only tensors."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from .linear import Linear, linear, onednn_usable, pad_rows


@dataclass
class EDMConfig:
    sigma_data: float = 1.0  # encoders map continuous values to a standard normal
    P_mean: float = -1.2  # log-normal distribution of training noise levels
    P_std: float = 1.2
    # Sampling schedule, tuned for one-dimensional values on the benchmark tables: the sampler
    # starts around the conditional mean (see heun_sample), so a moderate sigma_max loses
    # nothing, and steps are spent where the distribution takes shape rather than at tiny
    # noise levels (adult shape error 0.73 -> 0.58 %, magic 2.45 -> 1.69 %, same 16 steps).
    sigma_min: float = 0.05
    sigma_max: float = 10.0
    rho: float = 3.0
    steps: int = 16  # solver steps when sampling
    # "heun": EDM's second-order Heun steps (2 * steps - 1 denoiser calls); "dpm2m": DPM-Solver++
    # (2M), second order from the previous step's output, one denoiser call per step. Heun is the
    # default: dpm2m with 16 steps on a rho-7 schedule matched its shape error and detector AUC
    # at half the calls, but it reached a heavy-tailed column's extremes less often, and
    # sdmetrics' trend error, which bins each table by its own range, about doubled on default
    # (benchmarks/README.md).
    solver: str = "heun"


@contextmanager
def flush_denormals() -> Iterator[None]:
    """Denormal floats (tiny gradients late in training, tiny values near the end of reverse
    diffusion) make CPU arithmetic tens of times slower; flushing them to zero changes nothing
    measurable. torch has no getter for the flag; its default is off, which is restored."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def preconditioning(sigma, sigma_data: float):
    """EDM's c_skip, c_out and c_in for a noise level given as a float or a tensor."""
    var = sigma**2 + sigma_data**2
    root = math.sqrt(var) if isinstance(var, float) else var.sqrt()
    return sigma_data**2 / var, sigma * sigma_data / root, 1 / root


class FourierFeatures(nn.Module):
    """Fixed random Fourier features of a scalar, as in score-based models."""

    def __init__(self, n: int, scale: float = 4.0, seed: int = 1234):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("freqs", torch.randn(n // 2, generator=g) * scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (...,) -> (..., n)
        arg = 2 * math.pi * x[..., None] * self.freqs
        return torch.cat([arg.cos(), arg.sin()], dim=-1)


class Denoiser(nn.Module):
    """D(x; sigma, cond) = c_skip x + c_out F(c_in x, c_noise, cond) for a scalar x.

    ``cond`` is the trunk's context vector for the column; it enters every hidden layer as a
    FiLM scale and shift, computed once per row so the sampler's inner loop stays cheap.
    """

    def __init__(self, d_cond: int, hidden: int, cfg: EDMConfig):
        super().__init__()
        self.cfg = cfg
        self.noise_features = FourierFeatures(32)
        self.inp_x = nn.Linear(1, hidden, bias=False)
        self.inp_noise = Linear(32, hidden)
        self.film = Linear(d_cond, 4 * hidden)  # scale and shift for two layers
        self.mid = Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def film_params(self, cond: torch.Tensor) -> torch.Tensor:
        return self.film(cond)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, film: torch.Tensor) -> torch.Tensor:
        c_skip, c_out, c_in = preconditioning(sigma, self.cfg.sigma_data)
        c_noise = sigma.log() / 4
        s1, b1, s2, b2 = film.chunk(4, dim=-1)
        # sigma is one scalar for the whole batch when sampling: its features are computed once
        h = (c_in * x)[..., None] * self.inp_x.weight[:, 0] + self.inp_noise(self.noise_features(c_noise))
        h = torch.nn.functional.silu(h * (1 + s1) + b1)
        h = torch.nn.functional.silu(self.mid(h) * (1 + s2) + b2)
        return c_skip * x + c_out * self.out(h).squeeze(-1)


def edm_loss(denoiser: Denoiser, y: torch.Tensor, film: torch.Tensor, repeats: int = 4,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Denoising score matching with EDM's noise distribution and weighting; mean over values.

    Several noise draws per value cut the variance of the loss at little cost, since the
    trunk (which produced ``film``) runs once."""
    cfg = denoiser.cfg
    y = y.repeat(repeats)
    film = film.repeat(repeats, 1)
    n = torch.randn(y.shape, generator=generator, device=y.device)
    sigma = (n * cfg.P_std + cfg.P_mean).exp()
    weight = (sigma**2 + cfg.sigma_data**2) / (sigma * cfg.sigma_data) ** 2
    noise = torch.randn(y.shape, generator=generator, device=y.device) * sigma
    d = denoiser(y + noise, sigma, film)
    return (weight * (d - y) ** 2).mean()


def sigma_schedule(cfg: EDMConfig, device=None) -> torch.Tensor:
    i = torch.arange(cfg.steps, dtype=torch.float32, device=device)
    inv = 1 / cfg.rho
    t = (cfg.sigma_max**inv + i / (cfg.steps - 1) * (cfg.sigma_min**inv - cfg.sigma_max**inv)) ** cfg.rho
    return torch.cat([t, torch.zeros(1, device=device)])


class _FixedSigmaDenoiser:
    """The denoiser with everything that depends only on sigma or on the condition computed
    once per sampling call: the sampler's inner loop is then a few fused matrix operations,
    in place in two buffers reused by every call (the loop runs 32 times per value)."""

    def __init__(self, den: Denoiser, film: torch.Tensor):
        self.den = den
        s1, b1, s2, b2 = film.chunk(4, dim=-1)
        self.scale1, self.shift1 = (1 + s1).contiguous(), b1.contiguous()
        self.scale2 = (1 + s2).contiguous()
        # the middle layer's bias folded into the shift: the loop's matrix product needs no bias
        self.shift2 = torch.addcmul(b2, den.mid.bias, self.scale2)
        self.w_x = den.inp_x.weight[:, 0]
        self.w_out, self.b_out = den.out.weight[0], den.out.bias
        self.h1 = torch.empty_like(self.shift1)
        self.onednn = onednn_usable(self.h1, den.mid.weight)
        # MKL's product writes into a buffer of its own; oneDNN's returns a new tensor
        self.h2 = None if self.onednn else torch.empty_like(self.shift1)
        self.per_sigma: dict[float, tuple[torch.Tensor, torch.Tensor]] = {}

    def prepare(self, sigmas: list[float]) -> None:
        """Compute the noise-level embedding and the scaled input weight of every noise level in
        one batched call: per denoiser call they were a dozen tiny operations, and each tiny
        operation costs a hand-over of Python's lock when batches run side by side in threads."""
        sigmas = [s for s in sigmas if s > 0 and s not in self.per_sigma]
        if not sigmas:
            return
        device = self.w_x.device
        c_noise = torch.tensor([math.log(s) / 4 for s in sigmas], device=device)
        noise = self.den.inp_noise(self.den.noise_features(c_noise))
        c_in = torch.tensor([preconditioning(s, self.den.cfg.sigma_data)[2] for s in sigmas], device=device)
        w_x = self.w_x * c_in[:, None]
        for i, s in enumerate(sigmas):
            self.per_sigma[s] = (noise[i], w_x[i])

    def __call__(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        den = self.den
        c_skip, c_out, _ = preconditioning(sigma, den.cfg.sigma_data)
        if sigma not in self.per_sigma:
            self.prepare([sigma])
        noise, w_x = self.per_sigma[sigma]
        h = torch.addcmul(noise, x[:, None], w_x, out=self.h1)
        torch.nn.functional.silu(torch.addcmul(self.shift1, h, self.scale1, out=h), inplace=True)
        if self.onednn:  # twice as fast as MKL's product on AMD CPUs (see linear.py)
            h = linear(h, self.den.mid.weight)
        else:
            h = torch.mm(h, self.den.mid.weight.t(), out=self.h2)
        torch.nn.functional.silu(torch.addcmul(self.shift2, h, self.scale2, out=h), inplace=True)
        return torch.addmv(self.b_out, h, self.w_out, alpha=c_out, beta=c_out).add_(x, alpha=c_skip)


def _start(denoiser, film: torch.Tensor, generator: torch.Generator | None):
    """The schedule, the denoiser as den(x, sigma) and the starting point at sigma_max."""
    cfg = denoiser.cfg
    t = sigma_schedule(cfg).tolist()
    rows = film.shape[0]
    noise = torch.randn(rows, generator=generator, device=film.device) * math.sqrt(t[0] ** 2 + cfg.sigma_data**2)
    if isinstance(denoiser, Denoiser):
        if onednn_usable(film[:, :denoiser.mid.in_features], denoiser.mid.weight):
            # rows padded with zeros: the column's rows differ from batch to batch, and oneDNN
            # builds a kernel for each new row count (see linear.py); the caller drops them
            film, noise = pad_rows(film), pad_rows(noise)
        den = _FixedSigmaDenoiser(denoiser, film)
        den.prepare(t)
    else:  # any module with the same signature, e.g. an exact denoiser used as a test oracle
        den = lambda x, s: denoiser(x, torch.tensor(s), film)  # noqa: E731
    # The noisy marginal at sigma_max is centred on the conditional mean, not on 0: one
    # denoiser call finds that mean, so the prior carries no bias of order mean / sigma_max.
    return t, den, noise + den(noise, t[0])


@torch.no_grad()
def sample_values(denoiser: Denoiser, film: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Reverse diffusion for a batch of scalars with the solver the config names."""
    solver = denoiser.cfg.solver
    if solver == "heun":
        return heun_sample(denoiser, film, generator)
    if solver == "dpm2m":
        return dpm2m_sample(denoiser, film, generator)
    raise ValueError(f"unknown diffusion solver {solver!r} (heun or dpm2m)")


@torch.no_grad()
def dpm2m_sample(denoiser: Denoiser, film: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """DPM-Solver++(2M) (Lu et al. 2022, arXiv 2211.01095) in EDM's sigma parameterisation: each
    step is exact for a denoiser output that is linear in log sigma, extrapolated from this step's
    and the previous step's outputs, so it costs one denoiser call where Heun costs two."""
    t, den, x = _start(denoiser, film, generator)
    prev, h_prev = None, 0.0
    for i in range(denoiser.cfg.steps):
        t_cur, t_next = t[i], t[i + 1]
        d = den(x, t_cur)
        if t_next == 0:
            return d[:film.shape[0]]
        h = math.log(t_cur / t_next)
        target = d if prev is None else torch.lerp(prev, d, 1 + h / (2 * h_prev))
        x = torch.lerp(target, x, t_next / t_cur)
        prev, h_prev = d, h
    return x[:film.shape[0]]


@torch.no_grad()
def heun_sample(denoiser: Denoiser, film: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """EDM Algorithm 1 (deterministic Heun sampler) for a batch of scalars."""
    cfg = denoiser.cfg
    t, den, x = _start(denoiser, film, generator)
    for i in range(cfg.steps):
        t_cur, t_next = t[i], t[i + 1]
        d1 = den(x, t_cur)
        if t_next == 0:  # the Euler step to sigma 0 lands on the denoiser's output
            return d1[:film.shape[0]]  # without _start's padding rows
        # The Euler step x + (t_next - t_cur) (x - d1) / t_cur, then Heun's average of the two
        # slopes, each written as a weighted sum of x, d1 and d2: three fused operations where
        # the textbook form takes ten (each a hand-over of Python's lock between threads).
        euler = torch.lerp(d1, x, t_next / t_cur)
        d2 = den(euler, t_next)
        a, b, r = (t_next - t_cur) / (2 * t_next), (t_next - t_cur) / (2 * t_cur), t_next / t_cur
        x = d1.mul_((1 + a) * (1 - r) + b).add_(x, alpha=(1 + a) * r - b).add_(d2, alpha=-a)
    return x[:film.shape[0]]
