"""Model, diffusion and sampler pieces on tensors alone."""

import pytest
import torch

import synthgen.model as model_module
from synthgen.diffusion import (
    Denoiser,
    EDMConfig,
    _FixedSigmaDenoiser,
    heun_sample,
    sample_values,
)
from synthgen.model import ModelConfig, TabularTransformer
from synthgen.sampler import generate_batch


def tiny_model(seed=0):
    torch.manual_seed(seed)
    cfg = ModelConfig(n_codes=[3, 2, 4], cont_codes=[-1, 1, 3], d_model=16, n_layers=2, n_heads=2, d_denoiser=16)
    return TabularTransformer(cfg).eval()


@pytest.mark.parametrize("loop_from", [1 << 60, 0], ids=["all-steps-at-once", "step-by-step"])
def test_cached_decoding_matches_full_forward(monkeypatch, loop_from):
    """One token at a time with the KV cache gives the same hidden states as the causal pass,
    with either way of attending over the cache (big batches loop over time steps)."""
    monkeypatch.setattr(model_module, "LOOP_OVER_TIME_FROM", loop_from)
    model = tiny_model()
    B = 5
    codes = torch.tensor([[0, 1, 3], [2, 0, 1], [1, 1, 0], [0, 0, 2], [2, 1, 3]])
    values = torch.randn(B, 3)
    order = [2, 0, 1]
    perm = torch.tensor(order).expand(B, 3)
    full = model.hidden(codes, values, perm)  # (B, m, d) in column order
    caches = model.new_caches(B, "cpu")
    prev = None
    for j in order:
        if prev is None:
            token = model.code_emb.weight[model.bos_index].expand(B, -1)
        else:
            token = model.embed_values(codes[:, prev:prev + 1], values[:, prev:prev + 1], torch.tensor([prev]))[:, 0]
        h = model.step((token + model.query_emb.weight[j]).unsqueeze(1), caches)
        torch.testing.assert_close(h, full[:, j], atol=1e-5, rtol=1e-5)
        prev = j


def test_prediction_never_sees_its_own_or_later_columns():
    model = tiny_model()
    codes = torch.tensor([[0, 1, 3]])
    values = torch.zeros(1, 3)
    perm = torch.tensor([[0, 1, 2]])
    base = model.hidden(codes, values, perm)
    changed = codes.clone()
    changed[0, 2] = 0  # the last column in the order: nothing may depend on it
    other = model.hidden(changed, values, perm)
    torch.testing.assert_close(base, other)
    changed = codes.clone()
    changed[0, 0] = 2  # the first column: every later prediction may depend on it
    other = model.hidden(changed, values, perm)
    torch.testing.assert_close(base[:, 0], other[:, 0])
    assert not torch.allclose(base[:, 1], other[:, 1])


class _ExactGaussianDenoiser(torch.nn.Module):
    """The ideal denoiser for N(mu, 1) data, to test the sampler as an oracle."""

    def __init__(self, mu):
        super().__init__()
        self.cfg = EDMConfig(steps=32)
        self.mu = mu

    def forward(self, x, sigma, film):
        return self.mu + (x - self.mu) / (1 + sigma**2)


def test_heun_sampler_recovers_gaussian_with_exact_denoiser():
    den = _ExactGaussianDenoiser(mu=1.5)
    g = torch.Generator().manual_seed(0)
    x = heun_sample(den, torch.zeros(20000, 1), g)
    assert abs(x.mean().item() - 1.5) < 0.02
    assert abs(x.std().item() - 1.0) < 0.03


class _ExactMixtureDenoiser(torch.nn.Module):
    """The ideal denoiser for a two-component Gaussian mixture (a bimodal column)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.w, self.mu, self.s = torch.tensor([0.3, 0.7]), torch.tensor([-1.5, 0.8]), torch.tensor([0.3, 0.5])

    def forward(self, x, sigma, film):
        var = self.s**2 + sigma**2
        resp = (self.w.log() - 0.5 * (x[:, None] - self.mu) ** 2 / var - 0.5 * var.log()).softmax(-1)
        return (resp * (self.mu + self.s**2 / var * (x[:, None] - self.mu))).sum(-1)


@pytest.mark.parametrize("settings", [{}, {"solver": "dpm2m", "rho": 7.0}], ids=["heun", "dpm2m"])
def test_solvers_recover_a_bimodal_distribution_with_exact_denoiser(settings):
    """Heun (the default) and DPM-Solver++(2M) on its rho-7 schedule reproduce both modes' shares
    and spreads; a solver with a wrong update (e.g. the previous step's output weighted the wrong
    way) does not."""
    den = _ExactMixtureDenoiser(EDMConfig(**settings))
    x = sample_values(den, torch.zeros(40000, 1), torch.Generator().manual_seed(0))
    assert abs((x < -0.5).float().mean().item() - 0.3) < 0.01
    low, high = x[x < -0.5], x[x >= -0.5]
    assert abs(low.mean().item() + 1.5) < 0.03 and abs(low.std().item() - 0.3) < 0.03
    assert abs(high.mean().item() - 0.8) < 0.03 and abs(high.std().item() - 0.5) < 0.03


def test_unknown_solver_is_refused():
    with pytest.raises(ValueError, match="solver"):
        sample_values(_ExactMixtureDenoiser(EDMConfig(solver="euler")), torch.zeros(4, 1), None)


@torch.no_grad()
def test_sampling_denoiser_equals_the_trained_one():
    """The sampler's denoiser (precomputed condition, in-place buffers reused across calls)
    computes exactly what the trained module does, at every noise level, call after call."""
    torch.manual_seed(0)
    den = Denoiser(16, 16, EDMConfig())
    for p in den.parameters():
        p.normal_(0, 0.3)
    film, x = torch.randn(50, 64), torch.randn(50)
    fast = _FixedSigmaDenoiser(den, film)
    for sigma in (10.0, 1.0, 0.05, 1.0):
        torch.testing.assert_close(fast(x, sigma), den(x, torch.tensor(sigma), film), atol=1e-5, rtol=1e-5)


def test_losses_are_finite_and_have_gradients_for_both_heads():
    model = tiny_model().train()
    codes = torch.tensor([[0, 1, 3], [2, 0, 1]] * 8)
    values = torch.randn(16, 3)
    perm = torch.rand(16, 3).argsort(dim=1)
    losses = model.losses(codes, values, perm)
    (losses["density"] + losses["score"]).backward()
    assert torch.isfinite(losses["density"]) and torch.isfinite(losses["score"])
    assert model.density_heads[0].weight.grad.abs().sum() > 0
    assert model.score_head.out.weight.grad.abs().sum() > 0
    assert model.blocks[0].qkv.weight.grad.abs().sum() > 0  # the trunk is shared by both heads


def test_generate_respects_known_columns_and_code_ranges():
    model = tiny_model()
    g = torch.Generator().manual_seed(0)
    known = {0: (torch.full((50,), 2), torch.zeros(50))}
    codes, values = generate_batch(model, 50, [0, 1, 2], g, known=known)
    assert (codes[:, 0] == 2).all()
    assert codes[:, 1].max() < 2 and codes[:, 2].max() < 4
    assert torch.isfinite(values).all()
    assert (values[codes[:, 1] != 1, 1] == 0).all()  # no continuous value unless the code says so


def test_shared_first_step_equals_running_every_row():
    """The sampler runs a history-free first token once and broadcasts it into the caches."""
    from synthgen.sampler import _first_step

    model = tiny_model()
    token = (model.code_emb.weight[model.bos_index] + model.query_emb.weight[1]).expand(6, 1, -1)
    full_caches, shared_caches = model.new_caches(6, "cpu"), model.new_caches(6, "cpu")
    full = model.step(token, full_caches)
    shared = _first_step(model, token[:1], shared_caches).expand(6, -1)
    torch.testing.assert_close(shared, full)
    for a, b in zip(full_caches, shared_caches, strict=True):
        assert a.t == b.t == 1
        torch.testing.assert_close(a.k[:1], b.k[:1])
        torch.testing.assert_close(a.v[:1], b.v[:1])


def test_columns_without_numbers_are_embedded_by_their_codes_alone():
    model = tiny_model()
    assert [model.carries_numbers(j) for j in range(3)] == [False, True, True]
    codes, values = torch.tensor([[0], [2]]), torch.randn(2, 1)
    full = model.embed_values(codes, values, torch.tensor([0]))[:, 0]
    torch.testing.assert_close(full, model.code_emb(codes[:, 0] + model.code_offsets[0]))


def test_optimizer_is_fused_where_torch_has_it_and_falls_back_where_not(monkeypatch):
    import synthgen.trainer as trainer

    model, cfg = tiny_model(), trainer.TrainConfig()
    fused_ok = trainer._adamw(model, cfg)
    has_fused_cpu = tuple(int(x) for x in torch.__version__.split(".")[:2]) >= (2, 4)
    assert bool(fused_ok.defaults["fused"]) == has_fused_cpu and fused_ok.defaults["lr"] == cfg.lr

    real = torch.optim.AdamW

    def old_torch(params, fused=None, **kwargs):  # a torch without a fused CPU kernel
        if fused:
            raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices")
        return real(params, **kwargs)

    monkeypatch.setattr(torch.optim, "AdamW", old_torch)
    fallback = trainer._adamw(model, cfg)
    assert not fallback.defaults["fused"] and fallback.defaults["foreach"]
    assert fallback.defaults["betas"] == (0.9, 0.99) and fallback.defaults["weight_decay"] == cfg.weight_decay
