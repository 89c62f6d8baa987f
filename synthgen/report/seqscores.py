"""The discriminative and predictive scores of the TimeGAN evaluation protocol (Yoon, Jarrett
and van der Schaar, NeurIPS 2019), the numbers published for the stocks and energy
benchmarks, written here from the protocol's description.

Both take windows: (windows, steps, features) float arrays with the features min-max scaled
to [0, 1] with the real data's range (see sequences.FeatureSpace).

- Discriminative score: a post-hoc classifier, one GRU layer (hidden size max(dim // 2, 4))
  whose last hidden state feeds one logit, learns to tell real windows (label 1) from the
  other table's windows (label 0). Equal numbers of windows from each side, each side split
  80% train / 20% test, Adam with its default settings (learning rate 0.001; a parameter,
  so that tests can converge in few steps), ``iterations`` steps of a batch of
  ``batch_size`` windows from each side. Score = |test accuracy - 0.5|: 0 means the
  classifier cannot tell them apart, 0.5 means it always can. Lower is better.
- Predictive score: a one-layer GRU (the same hidden size) with a sigmoid output reads the
  first dim - 1 features at steps 0..T-2 and predicts the last feature at steps 1..T-1. It
  is trained on one set of windows (mean absolute error loss, Adam) and scored by the mean
  absolute error on another (the mean over test windows of each window's mean error).
  Train on synthetic, test on real; the same model trained on real windows is the
  reference. Lower is better.

Seeded: model weights come from torch's generator seeded inside a forked RNG state (the
caller's global state is left as it was), batches from a numpy generator. The number of
torch threads is left to the caller."""

from __future__ import annotations

import numpy as np

MIN_WINDOWS = 10  # per side; below this the scores are not measured
EVAL_CHUNK = 2048  # windows per forward pass when scoring


def hidden_size(dim: int) -> int:
    return max(dim // 2, 4)


def _torch():
    import torch

    return torch


def _split(n: int, rng: np.random.Generator, train_share: float = 0.8):
    idx = rng.permutation(n)
    cut = int(round(train_share * n))
    return idx[:cut], idx[cut:]


def _make_gru(dim: int, hidden: int, sigmoid: bool):
    torch = _torch()
    nn = torch.nn

    class GRUHead(nn.Module):
        """One GRU layer and a linear head: on the last step (classifier) or every step."""

        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(dim, hidden, num_layers=1, batch_first=True)
            self.head = nn.Linear(hidden, 1)

        def forward(self, x):
            out, last = self.gru(x)
            if sigmoid:  # per-step prediction in [0, 1]
                return torch.sigmoid(self.head(out)).squeeze(-1)
            return self.head(last[-1]).squeeze(-1)  # one logit per window

    return GRUHead()


def _batch(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    # As in the protocol: a batch is the first ``size`` indices of a fresh permutation.
    return rng.permutation(n)[: min(size, n)]


def _predict(model, x: np.ndarray) -> np.ndarray:
    torch = _torch()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), EVAL_CHUNK):
            outs.append(model(torch.from_numpy(np.ascontiguousarray(x[i:i + EVAL_CHUNK]))).numpy())
    return np.concatenate(outs) if outs else np.zeros(0, dtype=np.float32)


def discriminative_score(real: np.ndarray, other: np.ndarray, iterations: int = 2000,
                         batch_size: int = 128, seed: int = 0,
                         learning_rate: float = 1e-3) -> dict | None:
    """{"score": |accuracy - 0.5|, "accuracy", "train_windows", "test_windows", "hidden",
    "iterations"} (window counts per side), or None with fewer than MIN_WINDOWS a side."""
    torch = _torch()
    n = min(len(real), len(other))
    if n < MIN_WINDOWS or real.shape[2] == 0:
        return None
    rng = np.random.default_rng(seed)
    real = real[rng.permutation(len(real))[:n]].astype(np.float32)
    other = other[rng.permutation(len(other))[:n]].astype(np.float32)
    r_tr, r_te = _split(n, rng)
    o_tr, o_te = _split(n, rng)
    dim = real.shape[2]
    hidden = hidden_size(dim)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _make_gru(dim, hidden, sigmoid=False)
        opt = torch.optim.Adam(model.parameters(), lr=learning_rate)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        xr, xo = torch.from_numpy(real[r_tr]), torch.from_numpy(other[o_tr])
        for _ in range(iterations):
            br = xr[_batch(len(r_tr), batch_size, rng)]
            bo = xo[_batch(len(o_tr), batch_size, rng)]
            # One forward pass over both batches (the GRU's cost is per call, mostly).
            logits = model(torch.cat([br, bo]))
            lr, lo = logits[: len(br)], logits[len(br):]
            loss = loss_fn(lr, torch.ones_like(lr)) + loss_fn(lo, torch.zeros_like(lo))
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        p_real = _predict(model, real[r_te])
        p_other = _predict(model, other[o_te])
    # A logit above 0 is a probability above 0.5 of being real.
    correct = np.r_[p_real > 0, p_other <= 0]
    accuracy = float(correct.mean())
    return {"score": abs(accuracy - 0.5), "accuracy": accuracy, "train_windows": len(r_tr),
            "test_windows": len(r_te), "hidden": hidden, "iterations": int(iterations)}


def _xy(windows: np.ndarray, autoregressive: bool) -> tuple[np.ndarray, np.ndarray]:
    x = windows[:, :-1, :] if autoregressive else windows[:, :-1, :-1]
    return np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(windows[:, 1:, -1],
                                                                            dtype=np.float32)


def train_predictor(train: np.ndarray, iterations: int = 5000, batch_size: int = 128,
                    seed: int = 0, learning_rate: float = 1e-3):
    """The protocol's next-step predictor trained on ``train`` windows (None if too few).

    With a single feature there is nothing else to read, so the predictor reads the target
    itself at steps 0..T-2 (one-step-ahead autoregression); ``predictor_inputs`` says which."""
    torch = _torch()
    if len(train) < MIN_WINDOWS or train.shape[1] < 2 or train.shape[2] == 0:
        return None
    dim = train.shape[2]
    autoregressive = dim == 1
    x, y = _xy(train, autoregressive)
    hidden = hidden_size(dim)
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _make_gru(x.shape[2], hidden, sigmoid=True)
        opt = torch.optim.Adam(model.parameters(), lr=learning_rate)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        for _ in range(iterations):
            b = _batch(len(x), batch_size, rng)
            loss = torch.mean(torch.abs(model(xt[b]) - yt[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    model.autoregressive = autoregressive
    model.hidden = hidden
    return model


def predictive_mae(model, test: np.ndarray) -> float | None:
    """Mean over test windows of the mean absolute error of the next-step predictions."""
    if model is None or len(test) == 0:
        return None
    x, y = _xy(test, model.autoregressive)
    pred = _predict(model, x)
    return float(np.mean(np.mean(np.abs(pred - y), axis=1)))


def predictor_inputs(dim: int) -> str:
    if dim == 1:
        return "the target itself (one feature only)"
    return f"the other {dim - 1} features"
