"""The density-and-score Transformer over column tokens. Knows only tensors.

A row of m columns is read in some order pi (random while training, fixed when sampling).
Token i carries the *value* of column pi[i-1] (or a start token at i = 0) plus the *query*
embedding of column pi[i]; causal attention means position i sees exactly the columns before
pi[i] in the order. So every prediction is "column pi[i] given a random subset of the other
columns" - training over random orders is training with random column masks - and one model
generates in any column order, with a key/value cache so each column costs one token.

Heads on the trunk's output h_i (all trunk weights shared):
  density head: logits over the column's discrete codes (categories; missing; point masses;
                "continuous value follows"), exact probabilities by softmax;
  score head:   a small EDM denoiser for the column's continuous value, conditioned on h_i.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from .diffusion import Denoiser, EDMConfig, FourierFeatures, edm_loss
from .linear import Linear, linear, onednn_usable


@dataclass
class ModelConfig:
    n_codes: list[int]  # size of each column's discrete part (density head outputs)
    cont_codes: list[int]  # the code meaning "continuous value follows", -1 if none
    d_model: int = 64  # width of column tokens
    n_layers: int = 3  # Transformer blocks in the trunk
    n_heads: int = 4  # attention heads
    mlp_ratio: int = 2  # hidden width of each block's MLP, in multiples of d_model
    d_denoiser: int = 64  # hidden width of the score head
    dropout: float = 0.0
    n_given: int = 0  # leading columns that are always given (time-series context): read, never predicted
    score_repeats: int = 4  # noise draws per value in the score-matching loss (see edm_loss)
    # time series: per column, the codes of its REPEAT and CONTINUE events (-1: none; see
    # series/events.py). Those codes carry a value, which the caller fills in when sampling.
    event_codes: list[list[int]] | None = None
    # time series: per column, the continuous value of each point-mass code (codes 0..k-1), so
    # that the next step can move on from it like from any other number (empty: none)
    atom_values: list[list[float]] | None = None
    edm: EDMConfig = field(default_factory=EDMConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        d = dict(d)
        d["edm"] = EDMConfig(**d.get("edm", {}))
        return cls(**d)


class KVCache:
    """Keys and values of the tokens decoded so far, (length, batch, heads, head_dim),
    preallocated. Time-major: appending a token writes one contiguous block, and the
    attention's reductions over time run across whole contiguous (batch, heads, head_dim)
    slabs (about twice as fast on CPU as a batch-major cache, whose per-row slices are short)."""

    def __init__(self, batch: int, heads: int, length: int, head_dim: int, device, dtype=torch.float32):
        self.k = torch.empty(length, batch, heads, head_dim, device=device, dtype=dtype)
        self.v = torch.empty_like(self.k)
        self.t = 0

    def next_slots(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next token's key and value slots (batch, heads * head_dim), for a matrix product
        to write into directly; ``advance`` then counts them in."""
        B = self.k.shape[1]
        return self.k[self.t].view(B, -1), self.v[self.t].view(B, -1)

    def advance(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Count in the slots ``next_slots`` gave; returns all keys and values so far."""
        self.t += 1
        return self.k[:self.t], self.v[:self.t]

    def fill(self, k: torch.Tensor, v: torch.Tensor) -> None:
        """Store the keys and values of a whole prefix (batch, T, heads, head_dim) at once."""
        T = k.shape[1]
        self.k[self.t:self.t + T] = k.transpose(0, 1)
        self.v[self.t:self.t + T] = v.transpose(0, 1)
        self.t += T


LOOP_OVER_TIME_FROM = 1 << 16  # batch x width of a key slab from which attention loops over time


def attend_one_query(q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Softmax attention of one (already scaled) query per row, q (B, heads, head_dim), over
    cached keys and values (t, B, heads, head_dim). Returns (B, heads, head_dim).

    Elementwise products beat thousands of tiny batched matmuls on CPU. For big batches the
    products are taken one time step at a time: each step's slab stays in the core's cache,
    where products over all steps at once make a temporary of t slabs that goes through main
    memory twice (about 1.5x faster attention for 4,096 rows and 24 steps on one thread; slower
    below ~1,000 rows, where the per-step calls' overhead dominates)."""
    if q.numel() < LOOP_OVER_TIME_FROM:
        att = (keys * q).sum(-1, keepdim=True)  # (t, B, heads, 1)
        return (att.softmax(dim=0) * values).sum(0)
    t = keys.shape[0]
    p = torch.stack([(keys[i] * q).sum(-1, keepdim=True) for i in range(t)]).softmax(dim=0)
    out = p[0] * values[0]
    for i in range(1, t):
        out.addcmul_(p[i], values[i])
    return out


class Block(nn.Module):
    """Pre-norm Transformer block; attention optionally extends a key/value cache."""

    def __init__(self, d: int, n_heads: int, mlp_ratio: int, dropout: float):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = Linear(d, 3 * d)
        self.proj = Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(Linear(d, mlp_ratio * d), nn.GELU(), Linear(mlp_ratio * d, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        B, T, D = x.shape
        H = self.n_heads
        if cache is not None and T == 1:  # incremental decoding: one token sees everything cached
            a = self._attend_cached(self.ln1(x)[:, 0], cache).view(B, T, D)
        else:
            q, k, v = self.qkv(self.ln1(x)).split(D, dim=-1)
            if cache is not None:  # priming an empty cache with a prefix
                cache.fill(k.view(B, T, H, D // H), v.view(B, T, H, D // H))
            # (B, T, D) -> (B, heads, T, D / heads)
            q, k, v = (t.view(B, T, H, D // H).transpose(1, 2) for t in (q, k, v))
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, D)
        x = x + self.drop(self.proj(a))
        return x + self.drop(self._mlp(self.ln2(x)))

    def _mlp(self, x: torch.Tensor) -> torch.Tensor:
        """self.mlp, with the GELU fused into the first product where oneDNN runs it."""
        first, last = self.mlp[0], self.mlp[2]
        return last(linear(x, first.weight, first.bias, act="gelu"))

    def _attend_cached(self, x: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Attention of one normalised token per row, x (B, D), over the cache and itself. With
        MKL the token's key and value products write straight into the cache's next slots
        (copying them there took about 4 % of a table's generation); oneDNN's one product for
        all three, copied, is faster still."""
        B, D = x.shape
        H = self.n_heads
        w, b = self.qkv.weight, self.qkv.bias
        scale = (D // H) ** -0.5
        k_slot, v_slot = cache.next_slots()
        if onednn_usable(x, w):  # one product, about twice as fast as MKL's three (see linear.py)
            qkv = linear(x, w, b)
            q = qkv[:, :D] * scale
            k_slot.copy_(qkv[:, D:2 * D])
            v_slot.copy_(qkv[:, 2 * D:])
        elif torch.is_grad_enabled():  # products written with out= cannot be differentiated
            q = torch.addmm(b[:D], x, w[:D].t(), beta=scale, alpha=scale)
            k_slot.copy_(F.linear(x, w[D:2 * D], b[D:2 * D]))
            v_slot.copy_(F.linear(x, w[2 * D:], b[2 * D:]))
        else:
            q = torch.addmm(b[:D], x, w[:D].t(), beta=scale, alpha=scale)
            torch.addmm(b[D:2 * D], x, w[D:2 * D].t(), out=k_slot)
            torch.addmm(b[2 * D:], x, w[2 * D:].t(), out=v_slot)
        keys, values = cache.advance()  # (t, B, heads, head_dim)
        return attend_one_query(q.view(B, H, D // H), keys, values).reshape(B, D)


class TabularTransformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        m, d = len(cfg.n_codes), cfg.d_model
        self.n_columns = m
        offsets = torch.tensor([0] + cfg.n_codes[:-1]).cumsum(0)
        self.register_buffer("code_offsets", offsets, persistent=False)
        self.register_buffer("cont_code_t", torch.tensor(cfg.cont_codes), persistent=False)
        self.register_buffer("event_code_t", torch.tensor(cfg.event_codes or [[-1, -1]] * m), persistent=False)
        atoms = cfg.atom_values or [[] for _ in range(m)]
        table = torch.zeros(m, max([len(a) for a in atoms] + [1]))
        for j, a in enumerate(atoms):
            table[j, :len(a)] = torch.tensor(a, dtype=torch.float32)
        self.register_buffer("atom_value_t", table, persistent=False)
        self.register_buffer("n_atoms_t", torch.tensor([len(a) for a in atoms]), persistent=False)
        self.query_emb = nn.Embedding(m, d)  # "predict column j here"
        self.code_emb = nn.Embedding(sum(cfg.n_codes) + 1, d)  # every column's codes + start token
        self.bos_index = sum(cfg.n_codes)
        # low frequencies: values live on a standard-normal scale, and sharper features made the
        # trunk blur relations between numbers (a planted corr 0.91 came back 0.77 at scale 1)
        self.value_features = FourierFeatures(64, scale=0.2)
        self.value_proj = Linear(64 + 1, d)
        self.blocks = nn.ModuleList(Block(d, cfg.n_heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.density_heads = nn.ModuleList(Linear(d, k) for k in cfg.n_codes)
        self.numeric_columns = [j for j, c in enumerate(cfg.cont_codes) if c >= 0]
        self.score_head = Denoiser(d, cfg.d_denoiser, cfg.edm)
        # per column, from has_value itself so that the two never disagree
        self._carries_numbers = [bool(self.has_value(torch.arange(k)[:, None], torch.tensor([j])).any())
                                 for j, k in enumerate(cfg.n_codes)]
        self.apply(_init_weights)

    # ---- token embeddings ---------------------------------------------------------
    def embed_values(self, codes: torch.Tensor, values: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """Embedding of observed values. codes/values: (B, k) for columns ``cols`` (k,)."""
        e = self.code_emb(codes + self.code_offsets[cols])
        is_cont = self.has_value(codes, cols).unsqueeze(-1)
        feats = torch.cat([self.value_features(values), values.unsqueeze(-1)], dim=-1)
        return e + is_cont * self.value_proj(feats)

    def has_value(self, codes: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """Where codes (..., k) of columns ``cols`` (k,) carry a continuous value: the "number"
        code, and for time series the events (a repeat or continuation of earlier values) and the
        point masses of columns that have atom_values."""
        ok = codes == self.cont_code_t[cols]
        if self.cfg.atom_values:
            ok = ok | (codes < self.n_atoms_t[cols])
        if self.cfg.event_codes:
            events = self.event_code_t[cols]  # (k, 2)
            ok = ok | ((codes.unsqueeze(-1) == events) & (events >= 0)).any(-1)
        return ok

    def carries_numbers(self, j: int) -> bool:
        """Whether any code of column j carries a continuous value (see has_value)."""
        return self._carries_numbers[j]

    # ---- training -----------------------------------------------------------------
    def hidden(self, codes: torch.Tensor, values: torch.Tensor, perm: torch.Tensor,
               prefix: torch.Tensor | None = None, query_extra: torch.Tensor | None = None,
               value_emb: torch.Tensor | None = None) -> torch.Tensor:
        """Trunk output for predicting each column, in column order: (B, m, d).

        codes (B, m) long, values (B, m) float, perm (B, m) the order each row is read in.
        Time series add ``prefix`` (B, P, d), tokens every column sees (the history), and
        ``query_extra`` (B, m, d), added to each column's query (its own previous value).
        ``value_emb`` (B, m, d): embed_values of the row when the caller has it already."""
        B, m = codes.shape
        cols = torch.arange(m, device=codes.device)
        v = self.embed_values(codes, values, cols) if value_emb is None else value_emb  # (B, m, d), column order
        index = perm.unsqueeze(-1).expand(-1, -1, v.shape[-1])
        v_perm = v.gather(1, index)  # order pi
        bos = self.code_emb.weight[self.bos_index].expand(B, 1, -1)
        x = self.query_emb(perm) + torch.cat([bos, v_perm[:, :-1]], dim=1)
        if query_extra is not None:
            x = x + query_extra.gather(1, index)
        P = 0 if prefix is None else prefix.shape[1]
        if P:
            x = torch.cat([prefix, x], dim=1)
        for block in self.blocks:
            x = block(x)
        h = self.ln_f(x[:, P:])
        inv = perm.argsort(dim=1)  # position of each column in the order
        return h.gather(1, inv.unsqueeze(-1).expand(-1, -1, h.shape[-1]))

    def losses(self, codes: torch.Tensor, values: torch.Tensor, perm: torch.Tensor,
               generator: torch.Generator | None = None, prefix: torch.Tensor | None = None,
               query_extra: torch.Tensor | None = None, targets: torch.Tensor | None = None,
               value_emb: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Cross-entropy per row (summed over columns) and the score-matching loss.
        ``targets`` (B, m): what the score head learns to generate where it is not the value
        itself (a time series' step-to-step change); the trunk still reads ``values``."""
        targets = values if targets is None else targets
        h = self.hidden(codes, values, perm, prefix, query_extra, value_emb)
        ce = codes.new_zeros((), dtype=h.dtype)
        for j, head in enumerate(self.density_heads):
            if self.cfg.n_codes[j] > 1 and j >= self.cfg.n_given:
                ce = ce + F.cross_entropy(head(h[:, j]), codes[:, j])
        out = {"density": ce}
        conds, wanted = [], []
        for j in self.numeric_columns:
            if j < self.cfg.n_given:
                continue
            rows = codes[:, j] == self.cfg.cont_codes[j]
            conds.append(h[rows, j])
            wanted.append(targets[rows, j])
        if conds and sum(len(t) for t in wanted):
            film = self.score_head.film_params(torch.cat(conds))
            out["score"] = edm_loss(self.score_head, torch.cat(wanted), film, repeats=self.cfg.score_repeats,
                                    generator=generator)
        else:
            out["score"] = ce.new_zeros(())
        return out

    # ---- generation ---------------------------------------------------------------
    def new_caches(self, batch: int, device, prefix: int = 0) -> list[KVCache]:
        d, h = self.cfg.d_model, self.cfg.n_heads
        return [KVCache(batch, h, prefix + self.n_columns, d // h, device) for _ in self.blocks]

    def step(self, token: torch.Tensor, caches: list[KVCache]) -> torch.Tensor:
        """Feed one token per row (B, 1, d) through the trunk with caches; returns (B, d)."""
        x = token
        for block, cache in zip(self.blocks, caches, strict=True):
            x = block(x, cache)
        return self.ln_f(x)[:, 0]


def _init_weights(mod: nn.Module) -> None:
    if isinstance(mod, nn.Linear):
        nn.init.normal_(mod.weight, std=0.02)
        if mod.bias is not None:
            nn.init.zeros_(mod.bias)
    elif isinstance(mod, nn.Embedding):
        nn.init.normal_(mod.weight, std=0.02)
