"""Linear layers through oneDNN (synthgen/linear.py) compute what F.linear computes."""

import pytest
import torch
from torch.nn import functional as F

import synthgen.linear as linear_module
from synthgen.linear import MIN_ROWS, linear, onednn_usable
from synthgen.model import ModelConfig, TabularTransformer
from synthgen.sampler import generate_batch

needs_onednn = pytest.mark.skipif(linear_module._ONEDNN is None, reason="this torch build has no oneDNN")


@needs_onednn
@pytest.mark.parametrize("act", ["none", "gelu"])
@pytest.mark.parametrize("shape", [(MIN_ROWS + 37, 16), (3, MIN_ROWS // 2 + 5, 16)], ids=["2d", "3d"])
def test_linear_matches_f_linear_with_gradients(shape, act):
    """Row counts that are no multiple of ROW_MULTIPLE are padded inside; the output and every
    gradient are those of F.linear (then GELU)."""
    torch.manual_seed(0)
    x = torch.randn(*shape, requires_grad=True)
    w = torch.randn(24, 16, requires_grad=True)
    b = torch.randn(24, requires_grad=True)
    assert onednn_usable(x, w)
    grad = torch.randn(*shape[:-1], 24)
    got = linear(x, w, b, act=act)
    got.backward(grad)
    got_grads = [t.grad.clone() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    want = F.linear(x, w, b)
    want = F.gelu(want) if act == "gelu" else want
    want.backward(grad)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    for g, t in zip(got_grads, (x, w, b), strict=True):
        torch.testing.assert_close(g, t.grad, rtol=1e-4, atol=1e-4)
    with torch.inference_mode():  # the path without autograd, GELU fused into the product
        torch.testing.assert_close(linear(x, w, b, act=act), want.detach(), rtol=1e-5, atol=1e-5)


def test_small_inputs_and_other_dtypes_take_f_linear():
    w = torch.randn(8, 16)
    assert not onednn_usable(torch.randn(MIN_ROWS - 1, 16), w)  # per-call cost outweighs the gain
    assert not onednn_usable(torch.randn(linear_module.MAX_ROWS + 1, 16), w)  # memory per row count
    assert not onednn_usable(torch.randn(MIN_ROWS, 16, dtype=torch.float64), w.double())
    with torch.autocast("cpu", dtype=torch.bfloat16):  # oneDNN's operator would ignore autocast
        assert not onednn_usable(torch.randn(MIN_ROWS, 16), w)
    x = torch.randn(10, 16, dtype=torch.float64)
    torch.testing.assert_close(linear(x, w.double()), F.linear(x, w.double()))


@needs_onednn
def test_unpadded_outputs_can_be_changed_in_place():
    """Without padding the product is returned as it is, not as a view, which autograd would
    forbid changing in place (as the sampler does to a density head's logits)."""
    w = torch.randn(8, 16, requires_grad=True)
    y = linear(torch.randn(MIN_ROWS, 16), w)
    y.masked_fill_(y > 0, 0.0).sum().backward()
    assert w.grad is not None


def _model():
    torch.manual_seed(1)
    cfg = ModelConfig(n_codes=[3, 2, 4], cont_codes=[-1, 1, 3], d_model=16, n_layers=2, n_heads=2, d_denoiser=24)
    return TabularTransformer(cfg)


@needs_onednn
def test_generation_and_training_match_without_onednn(monkeypatch):
    """A batch big enough for oneDNN (trunk, fused GELU, padded score-head rows) generates the same
    codes and, up to rounding, the same values as with MKL alone; the training losses and
    gradients agree too."""
    model = _model()
    n = 3 * MIN_ROWS + 100  # a third of the rows or more reach the score head
    shapes = []

    def counted(x, w, *rest):
        shapes.append((x.shape[0], tuple(w.shape), torch.is_grad_enabled()))
        return onednn(x, w, *rest)

    onednn = linear_module._ONEDNN
    monkeypatch.setattr(linear_module, "_ONEDNN", counted)

    def run():
        with torch.no_grad():
            codes, values = generate_batch(model.eval(), n, [2, 0, 1], torch.Generator().manual_seed(3))
        model.train()
        g = torch.Generator().manual_seed(4)
        perm = torch.stack([torch.randperm(3, generator=g) for _ in range(n)])
        losses = model.losses(codes.clone(), values.clone(), perm, generator=g)
        model.zero_grad()
        (losses["density"] + losses["score"]).backward()
        return codes, values, losses, {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}

    fast = run()
    mid = tuple(model.score_head.mid.weight.shape)
    assert any(w == mid and not grad for _, w, grad in shapes)  # the sampler's score head
    assert any(w == (48, 16) for _, w, _ in shapes)  # the trunk's keys, queries and values
    # oneDNN keeps memory for every row count it meets: it only ever sees a few
    assert all(rows == linear_module.padded_rows(rows) for rows, _, _ in shapes)
    monkeypatch.setattr(linear_module, "_ONEDNN", None)
    slow = run()
    assert torch.equal(fast[0], slow[0])
    torch.testing.assert_close(fast[1], slow[1], rtol=1e-4, atol=1e-4)
    for key in ("density", "score"):
        torch.testing.assert_close(fast[2][key], slow[2][key], rtol=1e-5, atol=1e-5)
    assert fast[3].keys() == slow[3].keys()
    for k in fast[3]:
        torch.testing.assert_close(fast[3][k], slow[3][k], rtol=1e-3, atol=1e-5, msg=k)


def test_block_mlp_with_fused_gelu_equals_its_modules():
    """The trunk's MLP, GELU fused into the first product, computes its nn.Sequential's output."""
    block = _model().blocks[0]
    x = torch.randn(MIN_ROWS + 5, 16)
    torch.testing.assert_close(block._mlp(x), block.mlp(x), rtol=1e-5, atol=1e-5)
    with torch.inference_mode():
        torch.testing.assert_close(block._mlp(x), block.mlp(x), rtol=1e-5, atol=1e-5)


def test_padded_row_counts_are_few_and_waste_little():
    counts = [linear_module.padded_rows(r) for r in range(MIN_ROWS, 1 << 16)]
    assert all(c >= r and c <= r * 1.0625 + linear_module.ROW_MULTIPLE
               for r, c in zip(range(MIN_ROWS, 1 << 16), counts, strict=True))
    assert len(set(counts)) <= 100  # oneDNN keeps memory for each (see ROW_MULTIPLE)
