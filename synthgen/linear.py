"""Linear layers whose CPU matrix products go through oneDNN.

torch's CPU builds take fp32 matrix products from MKL, and MKL runs its AVX2 code on AMD CPUs:
on an AMD EPYC with AVX-512 (this project's build machine) oneDNN, which ships in the same torch
build, computed a 4,096 x 64 by 64 x 64 product 2.2x faster, with equal results. ``linear``
uses oneDNN for float32 CPU tensors where torch has it, and ``F.linear`` everywhere else (GPUs,
other dtypes, builds without oneDNN). oneDNN's operator has no gradient, so in training the
product runs in an autograd function: oneDNN for the forward product and the input's gradient,
MKL for the weight's gradient (a product over the rows, which oneDNN would need transposed
copies for).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

_ONEDNN = getattr(torch.ops.mkldnn, "_linear_pointwise", None) if torch.backends.mkldnn.is_available() else None

# oneDNN costs about 10 us more per call than MKL, and building a kernel for a new shape about
# 0.6 ms: it pays from a few hundred rows (64 x 64 weights: 0.048 ms against MKL's 0.086 at
# 1,024 rows, 0.013 against 0.004 at 16)
MIN_ROWS = 1024
# ... and up to this many: oneDNN keeps memory for each row count (see ROW_MULTIPLE), and a time
# series' history meets a new, large one at every step it generates (5,000 sequences of 1-24
# steps: 5,000-120,000 rows), which raised sampling's peak by 550 MB
MAX_ROWS = 1 << 15

# oneDNN keeps memory for each row count it meets (about 1 MB for 2,000 rows of 64 inputs, 5 MB
# for 23,000 rows with their gradients): a generator whose score-head rows changed from call to
# call grew by hundreds of MB, and so did a fit. Rows are padded to a multiple of ROW_MULTIPLE,
# or of a 16th to a 32nd of their count where that is larger (at most 6 % more rows), so that a
# process meets a few dozen row counts at most.
ROW_MULTIPLE = 128


def onednn_usable(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """Whether ``linear`` runs x @ weight.T through oneDNN."""
    return (_ONEDNN is not None and torch.backends.mkldnn.enabled and x.device.type == "cpu"
            and not _cpu_autocast()  # oneDNN's operator has no autocast rule
            and x.dtype == torch.float32 and weight.dtype == torch.float32 and x.shape[-1] == weight.shape[1]
            and MIN_ROWS * x.shape[-1] <= x.numel() <= MAX_ROWS * x.shape[-1])


def _cpu_autocast() -> bool:
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch before 2.4 takes no device
        return torch.is_autocast_cpu_enabled()


def padded_rows(rows: int) -> int:
    """The row count oneDNN sees for ``rows`` rows (see ROW_MULTIPLE)."""
    step = max(ROW_MULTIPLE, 1 << max(0, rows.bit_length() - 5))
    return -(-rows // step) * step


def pad_rows(x: torch.Tensor) -> torch.Tensor:
    """x with zero rows added up to padded_rows (x itself if it has that many)."""
    padded = padded_rows(x.shape[0]) - x.shape[0]
    return torch.cat([x, x.new_zeros(padded, *x.shape[1:])]) if padded else x


def _onednn(x2: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, act: str = "none") -> torch.Tensor:
    """x2 (rows, in) @ weight.T + bias, then the activation ("none" or "gelu"), by oneDNN on
    padded rows (see ROW_MULTIPLE). The result is a view only where rows were added."""
    rows = x2.shape[0]
    y = _ONEDNN(pad_rows(x2), weight, bias, act, [], "none" if act == "gelu" else "")
    return y[:rows] if len(y) > rows else y


class _OneDNNLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x2, weight, bias):
        ctx.save_for_backward(x2, weight)
        ctx.has_bias = bias is not None
        return _onednn(x2, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x2, weight = ctx.saved_tensors
        grad_x = _onednn(grad.contiguous(), weight.t().contiguous(), None) if ctx.needs_input_grad[0] else None
        grad_w = grad.t() @ x2 if ctx.needs_input_grad[1] else None
        grad_b = grad.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           act: str = "none") -> torch.Tensor:
    """F.linear (followed by GELU when act is "gelu"), through oneDNN where it helps."""
    if not onednn_usable(x, weight):
        y = F.linear(x, weight, bias)
        return F.gelu(y) if act == "gelu" else y
    x2 = x.reshape(-1, x.shape[-1])
    needs_grad = torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad
                                              or (bias is not None and bias.requires_grad))
    if needs_grad:
        y = _OneDNNLinear.apply(x2, weight, bias)
        if act == "gelu":
            y = F.gelu(y)
    else:
        y = _onednn(x2, weight, bias, act)
    return y.view(*x.shape[:-1], weight.shape[0])


class Linear(nn.Linear):
    """nn.Linear (same parameters, same saved names) computed by ``linear``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)
