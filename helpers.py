"""Shared code for the positional-encoding notebook series.

Every notebook does a plain ``import helpers``. Sections, in reading order:
reproducibility, data and toy tasks, positional encodings, model, training,
measurements, plotting.

Shape legend (code and prose alike): B batch, T sequence length, D d_model,
H heads, Dh head dim, V vocab, L layers.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import math
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

# ---------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------

def _int_from_env(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


# One torch thread by default. Measured on 2 cores (4-layer d=64 model, one training step): 1 thread 17 ms
# idle and 22 ms with another process busy; 2 threads 15 ms idle but 74 ms busy, because OpenMP's workers
# wait on each other when a core is taken. A fixed count also keeps float sums identical run after run.
# POSENC_THREADS=2 is a different float code path; CI uses it as one of its perturbations.
NUM_THREADS: int = _int_from_env("POSENC_THREADS", 1, 1)
SEED: int = _int_from_env("POSENC_SEED", 0, 0)  # read once; every notebook derives its seeds from it


def set_seed(seed: int | None = None) -> int:
    """Seed python, numpy and torch and fix the torch thread count; returns the seed used.

    Introduced in notebooks/11_dummy_dataset.ipynb.
    """
    if seed is None:
        seed = SEED
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(NUM_THREADS)
    try:  # the inter-op pool can only be sized once per process, before any parallel work
        torch.set_num_interop_threads(NUM_THREADS)
    except RuntimeError:
        pass
    return seed


def _check_int(name: str, value, minimum: int = 1) -> int:
    """Return value as an int, or raise naming the argument, the value and the limit."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_embeddings(x: torch.Tensor, d_model: int, who: str) -> tuple[int, int, int]:
    """Check that x is a float [B, T, d_model] tensor; return (B, T, D)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who} expects a torch.Tensor, got {type(x).__name__}")
    if not torch.is_floating_point(x):
        raise TypeError(
            f"{who} expects float embeddings of shape [B, T, {d_model}], got dtype {x.dtype}; "
            "token IDs must go through an nn.Embedding first"
        )
    if x.dim() != 3:
        raise ValueError(
            f"{who} expects x of shape [B, T, d_model] (3-D), got {x.dim()}-D shape {tuple(x.shape)}"
        )
    B, T, D = x.shape
    if D != d_model:
        raise ValueError(f"{who}: last dimension of x must be d_model={d_model}, got {D}")
    if T < 1:
        raise ValueError(f"{who}: sequence length T must be >= 1, got {T}")
    return B, T, D


# ---------------------------------------------------------------------------
# Data and toy tasks
# ---------------------------------------------------------------------------


class DummySequenceDataset(Dataset):
    """Random token sequences: item i is a LongTensor [seq_len] with values in [0, vocab_size).

    The whole dataset is drawn at construction from a generator seeded with ``seed``
    (``None`` means ``helpers.SEED``), so the same seed and index give the same sequence.
    Introduced in notebooks/11_dummy_dataset.ipynb.
    """

    def __init__(self, vocab_size: int, seq_len: int, num_samples: int, seed: int | None = None):
        self.vocab_size = _check_int("vocab_size", vocab_size)
        self.seq_len = _check_int("seq_len", seq_len)
        self.num_samples = _check_int("num_samples", num_samples)
        self.seed = SEED if seed is None else _check_int("seed", seed, minimum=0)
        gen = torch.Generator().manual_seed(self.seed)
        self.data = torch.randint(0, self.vocab_size, (self.num_samples, self.seq_len), generator=gen)

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, i: int) -> torch.Tensor:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"index must be an int, got {type(i).__name__}")
        if not -self.num_samples <= i < self.num_samples:
            raise IndexError(f"index {i} is out of range for a dataset of {self.num_samples} samples")
        return self.data[i].clone()  # a copy: editing an item in place must not change the dataset


TASKS = ("reverse", "shift", "first", "copy_pos")


def make_batch(
    task: str,
    batch_size: int,
    seq_len: int,
    vocab_size: int,
    generator: torch.Generator | None = None,
    k: int = 3,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch (x, y) of a toy task, both LongTensor [B, T]; y is -100 where undefined.

    Tasks (the answer at position t):
    - ``reverse``: x[T-1-t]. Needs absolute position (bidirectional models).
    - ``shift``:   x[t-k] (undefined for t < k). Needs relative position (causal models).
    - ``first``:   x[0]. A long-range lookup: attend to the first token from anywhere.
    - ``copy_pos``: x[t]. Needs no position at all (a negative control).
    Introduced in notebooks/11_dummy_dataset.ipynb.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    B = _check_int("batch_size", batch_size)
    T = _check_int("seq_len", seq_len)
    V = _check_int("vocab_size", vocab_size)
    x = torch.randint(0, V, (B, T), generator=generator)
    if task == "reverse":
        y = x.flip(1)
    elif task == "shift":
        k = _check_int("k", k)
        y = torch.full_like(x, -100)
        if k < T:
            y[:, k:] = x[:, : T - k]
    elif task == "first":
        y = x[:, :1].expand(B, T).clone()
    else:
        y = x.clone()
    return x, y


# ---------------------------------------------------------------------------
# Positional encodings
# ---------------------------------------------------------------------------

PE_TYPES = ("none", "sinusoidal", "learned", "rope", "alibi")

# Every row of a sinusoidal table has norm sqrt(D/2) exactly (sin^2 + cos^2 = 1 per pair),
# i.e. a root-mean-square entry of sqrt(1/2). A learned table drawn from N(0, 1/2) has the
# same expected row norm: it starts on an equal footing with the sinusoidal one and stays
# visible next to N(0, 1) token embeddings; a 0.02 start is ~35x smaller and can stall learning.
LEARNED_INIT_STD = math.sqrt(0.5)


class LearnablePositionalEncoding(nn.Module):
    """A learned table P of shape [1, max_len, d_model]; forward(x) = dropout(x + P[:, :T]).

    Default init N(0, 0.707^2) (``LEARNED_INIT_STD``): the same expected row norm as a
    sinusoidal table, sqrt(D/2), next to sqrt(D) for N(0, 1) token embeddings, so position is
    neither drowned out (std 0.02 is ~35x smaller) nor dominant. ``init_std=0`` starts from zeros.
    Introduced in notebooks/12_learnable_encoding.ipynb.
    """

    def __init__(self, d_model: int, max_len: int, dropout: float = 0.0, init_std: float = LEARNED_INIT_STD):
        super().__init__()
        self.d_model = _check_int("d_model", d_model)
        self.max_len = _check_int("max_len", max_len)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if not init_std >= 0.0:
            raise ValueError(f"init_std must be >= 0, got {init_std}")
        self.pe = nn.Parameter(torch.randn(1, self.max_len, self.d_model) * init_std)  # (1, max_len, D)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = _check_embeddings(x, self.d_model, "LearnablePositionalEncoding")
        if T > self.max_len:
            first = self.max_len
            missing = f"row for position {first}" if T - 1 == first else f"rows for positions {first}..{T - 1}"
            raise ValueError(f"sequence length T={T} exceeds max_len={first}: the learned table has no {missing}")
        return self.dropout(x + self.pe[:, :T])  # (1, T, D) broadcasts over the batch


def sinusoidal_table(num_positions: int, d_model: int) -> torch.Tensor:
    """Vaswani et al.'s table [num_positions, d_model]: PE[p, 2i] = sin(p/10000^(2i/D)), PE[p, 2i+1] = cos.

    Introduced in notebooks/13_training_and_inspecting.ipynb.
    """
    num_positions = _check_int("num_positions", num_positions)
    d_model = _check_int("d_model", d_model)
    pos = torch.arange(num_positions, dtype=torch.float64)[:, None]  # (P, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (ceil(D/2),)
    angles = pos / (10000.0 ** (two_i / d_model))  # (P, ceil(D/2))
    table = torch.zeros(num_positions, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return table.float()


class SinusoidalPositionalEncoding(nn.Module):
    """Fixed sinusoidal encoding: forward(x) = x + PE[:T] for any T.

    Rows up to ``max_len`` are cached in a non-persistent buffer; longer inputs get a table
    computed on the fly, and forward never changes the module's state.
    Introduced in notebooks/13_training_and_inspecting.ipynb.
    """

    def __init__(self, d_model: int, max_len: int):
        super().__init__()
        self.d_model = _check_int("d_model", d_model)
        self.max_len = _check_int("max_len", max_len)
        self.register_buffer("pe", sinusoidal_table(self.max_len, self.d_model), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = _check_embeddings(x, self.d_model, "SinusoidalPositionalEncoding")
        if T <= self.max_len:
            return x + self.pe[:T]  # (T, D) broadcasts over the batch
        return x + sinusoidal_table(T, D).to(device=x.device, dtype=x.dtype)


class RotaryPositionalEncoding(nn.Module):
    """RoPE (Su et al.): rotate each feature pair of x [B, H, T, Dh] by angle p * base^(-2i/Dh).

    Pairing: half-split, feature i is paired with feature i + Dh/2 (as in GPT-NeoX). The
    original paper pairs neighbours (2i, 2i+1). The two differ only by a fixed permutation
    of the head features; applied to both queries and keys, a permutation leaves every dot
    product q . k unchanged, so the attention scores are identical. Half-split is used
    because it needs two contiguous slices instead of strided ones.
    Introduced in notebooks/04_length_generalisation.ipynb.
    """

    def __init__(self, head_dim: int, base: float = 10000.0):
        super().__init__()
        self.head_dim = _check_int("head_dim", head_dim)
        if self.head_dim % 2:
            raise ValueError(f"head_dim must be even for rotary pairs, got {head_dim}")
        if not base > 1.0:
            raise ValueError(f"base must be > 1, got {base}")
        self.base = float(base)
        inv_freq = self.base ** (-torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim)
        self.register_buffer("inv_freq", inv_freq.float(), persistent=False)  # (Dh/2,)

    def angles(self, T: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin of the rotation angles, each [T, Dh/2]."""
        pos = torch.arange(T, device=device, dtype=torch.float32)
        theta = torch.outer(pos, self.inv_freq.to(device))  # (T, Dh/2)
        return theta.cos(), theta.sin()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not torch.is_floating_point(x):
            raise TypeError("RotaryPositionalEncoding expects a float tensor of shape [B, H, T, head_dim]")
        if x.dim() != 4:
            raise ValueError(
                f"RotaryPositionalEncoding expects x of shape [B, H, T, head_dim] (4-D), "
                f"got {x.dim()}-D shape {tuple(x.shape)}"
            )
        B, H, T, Dh = x.shape
        if Dh != self.head_dim:
            raise ValueError(f"RotaryPositionalEncoding: last dimension must be head_dim={self.head_dim}, got {Dh}")
        cos, sin = self.angles(T, x.device)
        cos, sin = cos.to(x.dtype), sin.to(x.dtype)
        x1, x2 = x[..., : Dh // 2], x[..., Dh // 2 :]  # (B, H, T, Dh/2) each
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


def alibi_slopes(num_heads: int) -> torch.Tensor:
    """Press et al.'s ALiBi head slopes [H]: 2^(-8/H), 2^(-16/H), ... for H a power of two.

    Otherwise: the slopes for the nearest lower power of two n, then every other slope of
    the 2n-head sequence until H slopes are filled (the paper's recipe).
    Introduced in notebooks/04_length_generalisation.ipynb.
    """
    H = _check_int("num_heads", num_heads)

    def power_of_two(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]

    n = 2 ** int(math.floor(math.log2(H)))
    slopes = power_of_two(n)
    if n < H:
        slopes += power_of_two(2 * n)[0::2][: H - n]
    return torch.tensor(slopes, dtype=torch.float32)


def alibi_bias(num_heads: int, seq_len: int) -> torch.Tensor:
    """ALiBi attention bias [H, T, T] with bias[h, i, j] = -slope[h] * |i - j| (no masking).

    Introduced in notebooks/04_length_generalisation.ipynb.
    """
    T = _check_int("seq_len", seq_len)
    slopes = alibi_slopes(num_heads)  # (H,)
    pos = torch.arange(T, dtype=torch.float32)
    dist = (pos[None, :] - pos[:, None]).abs()  # (T, T)
    return -slopes[:, None, None] * dist  # (H, T, T)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TransformerConfig:
    """Everything that defines a TinyTransformer; an ablation is ``replace(cfg, pe="rope")``.

    ``pe="rope"`` and ``pe="alibi"`` act on the attention scores of every layer (relative position) and add
    nothing to the hidden states. With ``causal=False``, ALiBi's bias -slope * |i - j| is symmetric: the model
    then commutes with reversing its input and cannot tell left from right
    (notebooks/09_position_inside_attention.ipynb).
    Introduced in notebooks/13_training_and_inspecting.ipynb.
    """

    vocab_size: int = 16
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    max_len: int = 64  # rows of a learned table; cache size of the sinusoidal one
    pe: str = "learned"  # one of PE_TYPES
    norm: str = "pre"  # "pre", "post" or "none"
    residual: bool = True
    mlp: bool = True
    causal: bool = False
    pe_every_layer: bool = False  # re-add the additive encoding before every block
    mlp_ratio: int = 4
    learned_init_std: float = LEARNED_INIT_STD
    n_outputs: int | None = None  # output classes; None means vocab_size

    def __post_init__(self):
        for name in ("vocab_size", "d_model", "n_heads", "n_layers", "max_len", "mlp_ratio"):
            _check_int(name, getattr(self, name))
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        if self.pe not in PE_TYPES:
            raise ValueError(f"pe must be one of {PE_TYPES}, got {self.pe!r}")
        if self.norm not in ("pre", "post", "none"):
            raise ValueError(f"norm must be 'pre', 'post' or 'none', got {self.norm!r}")
        if self.pe == "rope" and (self.d_model // self.n_heads) % 2:
            raise ValueError(f"pe='rope' needs an even head dim, got {self.d_model // self.n_heads}")
        if self.pe_every_layer and self.pe not in ("sinusoidal", "learned"):
            raise ValueError(
                f"pe_every_layer applies to additive encodings ('sinusoidal', 'learned'), got pe={self.pe!r}"
            )
        if self.n_outputs is not None:
            _check_int("n_outputs", self.n_outputs)

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads


class SelfAttention(nn.Module):
    """Multi-head self-attention that returns its attention maps [B, H, T, T].

    Position enters here only for RoPE (rotating q and k) and ALiBi (a bias on the scores).
    Introduced in notebooks/13_training_and_inspecting.ipynb.
    """

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.rope = RotaryPositionalEncoding(cfg.head_dim) if cfg.pe == "rope" else None
        if cfg.pe == "alibi":
            self.register_buffer("slopes", alibi_slopes(cfg.n_heads), persistent=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, T, D = x.shape
        H, Dh = self.cfg.n_heads, self.cfg.head_dim
        q, k, v = self.qkv(x).view(B, T, 3, H, Dh).permute(2, 0, 3, 1, 4)  # each (B, H, T, Dh)
        if self.rope is not None:
            q, k = self.rope(q), self.rope(k)
        scores = q @ k.transpose(-2, -1) / math.sqrt(Dh)  # (B, H, T, T)
        if self.cfg.pe == "alibi":
            pos = torch.arange(T, device=x.device)
            dist = (pos[None, :] - pos[:, None]).abs().to(x.dtype)  # (T, T)
            scores = scores - self.slopes.to(x.dtype)[:, None, None] * dist
        if self.cfg.causal:
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        attn = scores.softmax(dim=-1)  # (B, H, T, T)
        out = (attn @ v).transpose(1, 2).reshape(B, T, D)
        return self.proj(out), attn


class MLP(nn.Module):
    """The position-wise feed-forward sublayer: Linear, GELU, Linear."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, cfg.mlp_ratio * cfg.d_model)
        self.out = nn.Linear(cfg.mlp_ratio * cfg.d_model, cfg.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.gelu(self.fc(x)))


class Block(nn.Module):
    """One Transformer layer with switchable LayerNorm placement, residuals and MLP."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.attn = SelfAttention(cfg)
        self.mlp = MLP(cfg) if cfg.mlp else None
        use_ln = cfg.norm != "none"
        self.ln1 = nn.LayerNorm(cfg.d_model) if use_ln else nn.Identity()
        self.ln2 = nn.LayerNorm(cfg.d_model) if use_ln and cfg.mlp else nn.Identity()

    def _sublayer(self, x, fn, ln):
        if self.cfg.norm == "pre":
            y = fn(ln(x))
            return x + y if self.cfg.residual else y
        y = fn(x)
        y = x + y if self.cfg.residual else y
        return ln(y)  # Post-LN (ln is Identity when norm="none")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        maps = []

        def attend(h):
            out, attn = self.attn(h)
            maps.append(attn)
            return out

        x = self._sublayer(x, attend, self.ln1)
        if self.mlp is not None:
            x = self._sublayer(x, self.mlp, self.ln2)
        return x, maps[0]


@dataclass
class ModelOutput:
    """What TinyTransformer.forward returns when asked for internals."""

    logits: torch.Tensor  # (B, T, n_outputs)
    hidden_states: list = field(default_factory=list)  # L + 1 tensors (B, T, D); 0 = embeddings + PE
    attentions: list = field(default_factory=list)  # L tensors (B, H, T, T)


class TinyTransformer(nn.Module):
    """A small configurable Transformer encoder/decoder over token IDs [B, T].

    Introduced in notebooks/13_training_and_inspecting.ipynb; the Question 1 notebooks
    switch its encoding, depth, LayerNorm placement, residuals, MLP and masking.
    """

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        if cfg.pe == "learned":
            self.pos = LearnablePositionalEncoding(cfg.d_model, cfg.max_len, init_std=cfg.learned_init_std)
        elif cfg.pe == "sinusoidal":
            self.pos = SinusoidalPositionalEncoding(cfg.d_model, cfg.max_len)
        else:
            self.pos = None  # NoPE, or position enters inside attention (RoPE, ALiBi)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model) if cfg.norm == "pre" else nn.Identity()
        self.head = nn.Linear(cfg.d_model, cfg.n_outputs or cfg.vocab_size)

    def forward(self, idx: torch.Tensor, return_internals: bool = False):
        if not isinstance(idx, torch.Tensor) or torch.is_floating_point(idx) or idx.dim() != 2:
            got = tuple(idx.shape) if isinstance(idx, torch.Tensor) else type(idx).__name__
            raise TypeError(f"TinyTransformer expects integer token IDs of shape [B, T], got {got}")
        B, T = idx.shape
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.cfg.vocab_size):
            raise ValueError(
                f"token IDs must be in [0, vocab_size={self.cfg.vocab_size}), "
                f"got values in [{int(idx.min())}, {int(idx.max())}]"
            )
        x = self.tok_emb(idx)  # (B, T, D)
        if self.pos is not None:
            x = self.pos(x)
        hidden, maps = [x], []
        for i, block in enumerate(self.blocks):
            if i > 0 and self.cfg.pe_every_layer:
                x = self.pos(x)
            x, attn = block(x)
            hidden.append(x)
            maps.append(attn)
        logits = self.head(self.ln_f(x))
        if return_internals:
            return ModelOutput(logits, hidden, maps)
        return logits


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def masked_accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Share of positions with y != -100 where the arg-max prediction equals y."""
    keep = y != -100
    if not keep.any():
        raise ValueError("no scored positions: every target is -100")
    return (logits.argmax(-1)[keep] == y[keep]).float().mean().item()


def train_model(
    model: TinyTransformer,
    task: str,
    steps: int,
    lengths: tuple[int, int] | int,
    batch_size: int = 32,
    lr: float = 2e-3,
    weight_decay: float = 0.0,
    seed: int | None = None,
    k: int = 3,
    log_every: int = 0,
) -> list[float]:
    """Train ``model`` on ``task`` with Adam(W); one length per batch drawn from ``lengths``.

    ``lengths`` is a fixed T or an inclusive range (lo, hi). Returns the loss per step.
    Adam without weight decay by default, so rows never reached keep their initial values.
    The outcome of a run saved in ``checkpoints/`` is loaded instead of trained (see ``checkpointed``).
    Introduced in notebooks/13_training_and_inspecting.ipynb.
    """
    steps = _check_int("steps", steps)
    lo, hi = (lengths, lengths) if isinstance(lengths, int) else lengths
    _check_int("lengths[0]", lo)
    if _check_int("lengths[1]", hi) < lo:
        raise ValueError(f"lengths must satisfy lo <= hi, got ({lo}, {hi})")
    seed = SEED if seed is None else seed

    def run() -> list[float]:
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        losses = []
        model.train()
        for _ in range(steps):
            T = int(torch.randint(lo, hi + 1, (1,), generator=gen))
            x, y = make_batch(task, batch_size, T, model.cfg.vocab_size, gen, k=k)
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        return losses

    key = dict(fn="train_model", task=task, steps=steps, lengths=[lo, hi], batch_size=batch_size, lr=lr,
               weight_decay=weight_decay, seed=seed, k=k, code=_code_digest(train_model, make_batch))
    losses = checkpointed(model, run, key)
    if log_every:  # printed after the run, so that a loaded run prints the same lines
        for step in range(log_every - 1, steps, log_every):
            print(f"step {step + 1:4d}  loss {losses[step]:.3f}")
    return losses


# Saved training runs. Training every model of the series takes minutes; tools/train_checkpoints.py
# saves the outcome of each run here, and `checkpointed` loads it whenever the same run comes again:
# the same starting weights (bit for bit), the same settings, the same training code.
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
CHECKPOINT_MODES = ("use", "write", "off")  # load if saved | load if saved, else train and save | always train
# What a run's model computes: editing any of these (docstrings and comments aside) retires old checkpoints.
_MODEL_CODE = ("make_batch", "LearnablePositionalEncoding", "sinusoidal_table", "SinusoidalPositionalEncoding",
               "RotaryPositionalEncoding", "alibi_slopes", "alibi_bias", "SelfAttention", "MLP", "Block",
               "TinyTransformer")


def checkpoint_mode() -> str:
    """The checkpoint mode from ``$POSENC_CHECKPOINTS`` (default ``use``); see ``CHECKPOINT_MODES``."""
    mode = os.environ.get("POSENC_CHECKPOINTS", "use")
    if mode not in CHECKPOINT_MODES:
        raise ValueError(f"POSENC_CHECKPOINTS must be one of {CHECKPOINT_MODES}, got {mode!r}")
    return mode


@functools.cache
def _code_digest(*objects) -> str:
    # sha256 of the objects' syntax trees with docstrings removed: comments and docstrings may change freely
    parts = []
    for obj in objects:
        tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(obj)))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        parts.append(ast.dump(tree))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _tensor_digest(named_tensors) -> str:
    h = hashlib.sha256()
    for name, t in named_tensors:
        h.update(f"{name} {t.dtype} {tuple(t.shape)} {t.requires_grad}".encode())  # frozen or trained
        t = t.detach().cpu().contiguous()
        h.update(t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _has_hooks(model: nn.Module) -> bool:
    # hooks observe training as it happens; a loaded run would skip them, so such a run is always trained
    return (any(p._backward_hooks for p in model.parameters())
            or any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks
                   for m in model.modules()))


def checkpointed(model: nn.Module, train, key: dict):
    """Run ``train()``, which trains ``model`` in place and returns a result, or load a saved outcome.

    A run is identified by ``key`` (its settings; JSON-serialisable), the model's structure and config,
    its starting parameters and buffers bit for bit (so another seed or another CPU's random draws train anew) and
    the model code. ``$POSENC_CHECKPOINTS`` picks the mode: ``use`` (default) loads a saved run and
    trains an unsaved one, ``write`` also saves what it trains, ``off`` always trains. A model with
    hooks is always trained. Loading restores the trained state, the result, the train/eval mode and
    torch's global random state, so later cells print what they would have printed after training.
    Introduced in notebooks/02_position_across_depth.ipynb.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not callable(train):
        raise TypeError(f"train must be callable, got {type(train).__name__}")
    if not isinstance(key, dict):
        raise TypeError(f"key must be a dict, got {type(key).__name__}")
    mode = checkpoint_mode()
    if mode == "off" or _has_hooks(model):
        return train()
    try:
        key_text = json.dumps(key, sort_keys=True)
    except TypeError as err:
        raise TypeError(f"key must be JSON-serialisable: {err}") from None
    ident = hashlib.sha256("\n".join([
        key_text, repr(model), repr(getattr(model, "cfg", None)),  # RoPE or ALiBi change no weights
        _tensor_digest(model.state_dict(keep_vars=True).items()),
        _code_digest(*(globals()[name] for name in _MODEL_CODE)),
    ]).encode()).hexdigest()
    path = CHECKPOINT_DIR / f"{ident[:24]}.pt"
    rng_before = _tensor_digest([("rng", torch.get_rng_state())])
    saved = torch.load(path, weights_only=True) if path.exists() else None
    if saved is not None and (saved["rng_after"] is None or saved["rng_before"] == rng_before):
        model.load_state_dict(saved["state"])
        model.train(saved["training"])
        if saved["rng_after"] is not None:
            torch.set_rng_state(saved["rng_after"])
        _log_checkpoint(path)
        return saved["result"]
    result = train()
    if mode == "write":
        rng_after = torch.get_rng_state()
        CHECKPOINT_DIR.mkdir(exist_ok=True)
        torch.save({"key": key_text, "model": type(model).__qualname__, "training": model.training,
                    "state": {n: t.detach().clone() for n, t in model.state_dict().items()}, "result": result,
                    "rng_before": rng_before,
                    "rng_after": None if _tensor_digest([("rng", rng_after)]) == rng_before else rng_after},
                   path)
        _log_checkpoint(path)
    return result


def _log_checkpoint(path: Path) -> None:
    # tools/train_checkpoints.py lists the checkpoints a run of the series used, to remove stale ones
    log = os.environ.get("POSENC_CHECKPOINTS_LOG")
    if log:
        with open(log, "a") as f:
            f.write(path.name + "\n")


@torch.no_grad()
def evaluate(
    model: TinyTransformer,
    task: str,
    seq_len: int,
    num_batches: int = 4,
    batch_size: int = 64,
    seed: int | None = None,
    k: int = 3,
    positions: slice | None = None,
) -> float:
    """Accuracy of ``model`` on fresh batches of ``task`` at length ``seq_len``.

    ``positions`` (a slice over T) restricts scoring, e.g. ``slice(32, None)`` scores only
    positions beyond a training length of 32. The default ``seed`` is ``SEED + 12345``, so another
    ``POSENC_SEED`` gets other test batches too.
    """
    gen = torch.Generator().manual_seed(SEED + 12345 if seed is None else seed)
    model.eval()
    correct, total = 0, 0
    for _ in range(_check_int("num_batches", num_batches)):
        x, y = make_batch(task, batch_size, seq_len, model.cfg.vocab_size, gen, k=k)
        if positions is not None:
            y = y.clone()
            keep = torch.zeros(seq_len, dtype=torch.bool)
            keep[positions] = True
            y[:, ~keep] = -100
        pred = model(x).argmax(-1)
        mask = y != -100
        correct += (pred[mask] == y[mask]).sum().item()
        total += mask.sum().item()
    if total == 0:
        raise ValueError(f"no scored positions at seq_len={seq_len} with positions={positions}")
    return correct / total


@torch.no_grad()
def per_position_accuracy(
    model: TinyTransformer,
    task: str,
    seq_len: int,
    num_samples: int = 32,
    seed: int | None = None,
    k: int = 3,
) -> np.ndarray:
    """Accuracy at every position 0..T-1 over fresh sequences of ``task``: array [T], NaN where no target.

    The default ``seed`` is ``SEED + 777``. Introduced in notebooks/04_length_generalisation.ipynb.
    """
    gen = torch.Generator().manual_seed(SEED + 777 if seed is None else seed)
    x, y = make_batch(task, _check_int("num_samples", num_samples), seq_len, model.cfg.vocab_size, gen, k=k)
    model.eval()
    pred = model(x).argmax(-1)  # (N, T)
    has_target = y != -100
    return (((pred == y) & has_target).sum(0) / has_target.sum(0)).numpy()


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


@torch.no_grad()
def collect_states(
    model: TinyTransformer,
    task: str,
    seq_len: int,
    num_samples: int = 256,
    seed: int = 0,
    k: int = 3,
) -> ModelOutput:
    """Run ``model`` on ``num_samples`` fresh sequences of ``task``; hidden states and maps, stacked.

    Returns a ModelOutput whose hidden_states are L + 1 tensors [N, T, D] and attentions
    L tensors [N, H, T, T]. Introduced in notebooks/02_position_across_depth.ipynb.
    """
    gen = torch.Generator().manual_seed(seed)
    x, _ = make_batch(task, _check_int("num_samples", num_samples), seq_len, model.cfg.vocab_size, gen, k=k)
    model.eval()
    return model(x, return_internals=True)


def _check_states(h: torch.Tensor, name: str = "h") -> tuple[int, int, int]:
    if not isinstance(h, torch.Tensor) or not torch.is_floating_point(h) or h.dim() != 3:
        got = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
        raise ValueError(f"{name} must be a float tensor of shape [N, T, D], got {got}")
    return h.shape


def relative_residual(h: torch.Tensor) -> float:
    """Distance from rank one (Dong et al. 2021): ||X - 1 mean(X)^T||_F / ||X||_F, averaged over sequences.

    0 means every token in a sequence has the same vector (rank collapse).
    Introduced in notebooks/03_attention_collapse.ipynb.
    """
    _check_states(h)
    h = h.double()
    res = (h - h.mean(1, keepdim=True)).flatten(1).norm(dim=1)
    return (res / h.flatten(1).norm(dim=1).clamp_min(1e-300)).mean().item()


def token_uniformity(h: torch.Tensor) -> float:
    """Mean cosine similarity between different tokens of the same sequence (1 = all alike).

    Introduced in notebooks/03_attention_collapse.ipynb.
    """
    N, T, D = _check_states(h)
    if T < 2:
        raise ValueError(f"token_uniformity needs T >= 2 tokens, got T={T}")
    u = F.normalize(h.double(), dim=-1)
    sims = u @ u.transpose(1, 2)  # (N, T, T)
    off = sims.sum((1, 2)) - sims.diagonal(dim1=1, dim2=2).sum(1)
    return (off / (T * (T - 1))).mean().item()


def _uniform_map(T: int, causal: bool, dtype=torch.float64) -> torch.Tensor:
    """The attention map that attends equally to every allowed key: [T, T]."""
    allowed = torch.ones(T, T, dtype=torch.bool)
    if causal:
        allowed = allowed.tril()
    return allowed.to(dtype) / allowed.sum(-1, keepdim=True).to(dtype)


def _check_attn(attn: torch.Tensor) -> tuple[int, int, int, int]:
    if not isinstance(attn, torch.Tensor) or attn.dim() != 4 or attn.shape[-1] != attn.shape[-2]:
        got = tuple(attn.shape) if isinstance(attn, torch.Tensor) else type(attn).__name__
        raise ValueError(f"attn must be a tensor of shape [N, H, T, T], got {got}")
    return attn.shape


def attention_entropy(attn: torch.Tensor, causal: bool = False) -> float:
    """Mean attention entropy divided by its maximum (log of the number of allowed keys): 1 = uniform.

    Causal row 0 (a single allowed key) is left out. Introduced in notebooks/03_attention_collapse.ipynb.
    """
    N, H, T, _ = _check_attn(attn)
    a = attn.double()
    ent = -(a * a.clamp_min(1e-300).log()).sum(-1)  # (N, H, T)
    n_keys = torch.arange(1, T + 1, dtype=torch.float64) if causal else torch.full((T,), float(T), dtype=torch.float64)
    keep = n_keys > 1
    if not keep.any():
        raise ValueError("attention_entropy needs at least one row with 2 or more allowed keys")
    return (ent[..., keep] / n_keys[keep].log()).mean().item()


def _centred_cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine between flattened maps over the last two dims."""
    a, b = a.flatten(-2), b.flatten(-2)
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp_min(1e-300)


def head_similarity(attn: torch.Tensor, causal: bool = False) -> float:
    """Mean cosine between the maps of different heads in one layer, with the uniform map subtracted.

    Without the subtraction near-uniform maps at initialisation look alike for free.
    Introduced in notebooks/03_attention_collapse.ipynb.
    """
    N, H, T, _ = _check_attn(attn)
    if H < 2:
        raise ValueError(f"head_similarity needs at least 2 heads, got H={H}")
    a = attn.double() - _uniform_map(T, causal)
    sims = [_centred_cosine(a[:, i], a[:, j]).mean() for i in range(H) for j in range(i + 1, H)]
    return torch.stack(sims).mean().item()


def layer_similarity(attn_a: torch.Tensor, attn_b: torch.Tensor, causal: bool = False) -> float:
    """Cosine between the head-averaged maps of two layers, with the uniform map subtracted."""
    if _check_attn(attn_a) != _check_attn(attn_b):
        raise ValueError(f"attention shapes differ: {tuple(attn_a.shape)} vs {tuple(attn_b.shape)}")
    T = attn_a.shape[-1]
    u = _uniform_map(T, causal)
    return _centred_cosine(attn_a.double().mean(1) - u, attn_b.double().mean(1) - u).mean().item()


def _position_targets(N: int, T: int) -> torch.Tensor:
    return torch.arange(T).repeat(N)  # (N*T,) position class of every token


def position_probe(
    train_states: torch.Tensor,
    test_states: torch.Tensor,
    kind: str = "linear",
    ridge: float = 1e-2,
    steps: int = 200,
    hidden: int = 64,
    seed: int = 0,
) -> dict:
    """Decode each token's position from its hidden state; fit on one set, score on another.

    ``linear``: closed-form ridge regression onto one-hot positions (arg-max decides).
    ``mlp``: a two-layer MLP trained with Adam (reads what is there but not linearly).
    Features are not standardised: in collapsed states that would amplify float noise into
    fake "position". Returns {"acc": accuracy, "mad": mean absolute distance in positions}.
    Introduced in notebooks/02_position_across_depth.ipynb.
    """
    Ntr, T, D = _check_states(train_states, "train_states")
    Nte, T2, D2 = _check_states(test_states, "test_states")
    if (T, D) != (T2, D2):
        raise ValueError(f"train and test states must share [T, D], got {(T, D)} and {(T2, D2)}")
    if kind not in ("linear", "mlp"):
        raise ValueError(f"kind must be 'linear' or 'mlp', got {kind!r}")
    Xtr, Xte = train_states.detach().reshape(-1, D).double(), test_states.detach().reshape(-1, D).double()
    ytr, yte = _position_targets(Ntr, T), _position_targets(Nte, T)
    if kind == "linear":
        mu = Xtr.mean(0)
        A = torch.cat([Xtr - mu, torch.ones(len(Xtr), 1, dtype=Xtr.dtype)], 1)
        Y = F.one_hot(ytr, T).double()
        W = torch.linalg.solve(A.T @ A + ridge * torch.eye(D + 1, dtype=A.dtype), A.T @ Y)
        pred = (torch.cat([Xte - mu, torch.ones(len(Xte), 1, dtype=Xte.dtype)], 1) @ W).argmax(-1)
    else:
        gen = torch.Generator().manual_seed(seed)
        scale = Xtr.std().clamp_min(1e-12)  # one global scale: keeps relative sizes, so noise stays noise
        Xtr, Xte = Xtr.float(), Xte.float()
        net = nn.Sequential(nn.Linear(D, hidden), nn.GELU(), nn.Linear(hidden, T))
        with torch.no_grad():
            for p in net.parameters():
                p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * (1 / math.sqrt(p.shape[-1])))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        with torch.enable_grad():
            for _ in range(_check_int("steps", steps)):
                loss = F.cross_entropy(net(Xtr / scale), ytr)
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            pred = net(Xte / scale).argmax(-1)
    return {"acc": (pred == yte).double().mean().item(), "mad": (pred - yte).abs().double().mean().item()}


def gradient_norms(model: TinyTransformer, x: torch.Tensor, y: torch.Tensor) -> dict:
    """One backward pass on (x, y); the gradient norms that reach each part of the model.

    Returns {"pos_table": ||dL/dP|| or None (no learned table), "tok_emb": ||dL/dE||,
    "hidden": [||dL/dh_l|| for l = 0..L], "qk": [||dL/dW_QK|| per layer]}.
    Introduced in notebooks/07_gradients.ipynb.
    """
    model.zero_grad(set_to_none=True)
    model.train()
    out = model(x, return_internals=True)
    for h in out.hidden_states:
        h.retain_grad()
    logits = out.logits
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)
    loss.backward()
    D = model.cfg.d_model
    pos = model.pos.pe.grad.norm().item() if isinstance(model.pos, LearnablePositionalEncoding) else None
    result = {
        "loss": loss.item(),
        "pos_table": pos,
        "tok_emb": model.tok_emb.weight.grad.norm().item(),
        "hidden": [h.grad.norm().item() for h in out.hidden_states],
        "qk": [b.attn.qkv.weight.grad[: 2 * D].norm().item() for b in model.blocks],
    }
    model.zero_grad(set_to_none=True)
    model.eval()
    return result


def activation_bytes(model: nn.Module, *inputs) -> int:
    """Bytes of activations autograd saves for the backward pass of ``model(*inputs)``.

    Counted with torch.autograd.graph.saved_tensors_hooks; parameters and repeated saves of
    the same storage are counted once or not at all, so the number is exact and deterministic.
    Introduced in notebooks/06_compute_and_memory.ipynb.
    """
    param_ptrs = {p.data_ptr() for p in model.parameters()}
    seen: set = set()
    total = 0

    def pack(t: torch.Tensor):
        nonlocal total
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        if key[0] not in param_ptrs and key not in seen:
            seen.add(key)
            total += key[1]
        return t

    was_training = model.training
    model.train()  # count what a training step saves (dropout masks included)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(*inputs)
    del out
    model.train(was_training)
    return total


def count_flops(model: nn.Module, *inputs, backward: bool = True) -> int:
    """Floating-point operations of one forward (and backward) pass, from torch.utils.flop_counter.

    Counts matrix products (the dominant cost); element-wise ops are not counted.
    Introduced in notebooks/06_compute_and_memory.ipynb.
    """
    from torch.utils.flop_counter import FlopCounterMode

    # torch.autograd.grad leaves every .grad as it was (a .backward() here would add to them)
    leaves = [p for p in model.parameters() if p.requires_grad]
    leaves += [t for t in inputs if isinstance(t, torch.Tensor) and t.requires_grad]
    counter = FlopCounterMode(display=False)
    with counter:
        out = model(*inputs)
        if backward:
            if not leaves:
                raise ValueError("backward=True needs a parameter or an input with requires_grad=True")
            torch.autograd.grad(out.float().sum(), leaves, allow_unused=True)
    return int(counter.get_total_flops())


def cosine_similarity_matrix(table: torch.Tensor) -> torch.Tensor:
    """Cosine similarity between every pair of rows of a [N, D] table -> [N, N]."""
    if table.dim() != 2:
        raise ValueError(f"table must be 2-D [N, D], got shape {tuple(table.shape)}")
    t = F.normalize(table.detach().float(), dim=-1)
    return t @ t.T


def pca_2d(table: torch.Tensor) -> torch.Tensor:
    """Project the rows of a [N, D] table onto its top two principal components -> [N, 2]."""
    if table.dim() != 2 or table.shape[0] < 2:
        raise ValueError(f"table must be 2-D with at least 2 rows, got shape {tuple(table.shape)}")
    t = table.detach().double()
    t = t - t.mean(0)
    _, _, V = torch.linalg.svd(t, full_matrices=False)
    proj = t @ V[:2].T
    # fix the sign of each component so the picture does not flip between CPUs
    signs = torch.sign(proj[0]).where(proj[0] != 0, torch.ones(2, dtype=proj.dtype))
    return (proj * -signs).float()


def interpolate_table(table: torch.Tensor, new_len: int) -> torch.Tensor:
    """Stretch a [N, D] position table to [new_len, D] by linear interpolation along positions."""
    if table.dim() != 2:
        raise ValueError(f"table must be 2-D [N, D], got shape {tuple(table.shape)}")
    new_len = _check_int("new_len", new_len, minimum=2)
    t = table.detach().T[None]  # (1, D, N)
    out = F.interpolate(t, size=new_len, mode="linear", align_corners=True)
    return out[0].T.contiguous()


def check_claim(name: str, value: float, threshold: float, null: float) -> float:
    """Assert that ``value`` lies beyond ``threshold``, on the side away from ``null``; return the margin.

    ``null`` is what the measurement would give if the claim were false (chance accuracy, no
    difference, ...). The margin is ``(value - threshold) / (threshold - null)``: above 0 the claim
    holds, and the series asks for at least 0.25 in the worst of seeds 0-9 on two float code paths
    (tools/sweep_seeds.py), so that a claim never rests on a value that barely clears its bar.
    With ``POSENC_CLAIMS_LOG`` set to a file name, each check is appended to it as a JSON line.
    Introduced in notebooks/02_position_across_depth.ipynb.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    value, threshold, null = float(value), float(threshold), float(null)
    for arg, v in (("value", value), ("threshold", threshold), ("null", null)):
        if not math.isfinite(v):
            raise ValueError(f"{arg} must be a finite number, got {v} (claim {name!r})")
    if threshold == null:
        raise ValueError(f"threshold must differ from null, got both {threshold} (claim {name!r})")
    margin = (value - threshold) / (threshold - null)
    log = os.environ.get("POSENC_CLAIMS_LOG")
    if log:
        import json

        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"claim": name, "value": value, "threshold": threshold, "null": null,
                                "margin": margin, "seed": SEED, "threads": NUM_THREADS,
                                "vector_path": torch.backends.cpu.get_cpu_capability()}) + "\n")
    side = ">" if threshold > null else "<"
    assert margin > 0, f"{name}: measured {value:.4g}, needs {side} {threshold:g} (null {null:g})"
    return margin


VERDICT_WORDS = ("supported", "partly", "not-supported")
_VERDICT_LINE = r"^VERDICT ([a-z]) (" + "|".join(VERDICT_WORDS) + r") (\S+)$"


def read_verdicts(notebook_dir: str | os.PathLike | None = None) -> dict:
    """The ``VERDICT <claim> <word> <number>`` lines printed in committed claim notebooks.

    Returns {claim letter: {"verdict": word, "number": number as printed, "notebook": file name}}.
    ``notebook_dir`` defaults to the series' notebooks/ folder next to this file. A claim
    printed twice, or in two notebooks, is an error.
    Introduced in notebooks/01_answer.ipynb.
    """
    import json
    import re
    from pathlib import Path

    folder = Path(notebook_dir) if notebook_dir is not None else Path(__file__).resolve().parent / "notebooks"
    if not folder.is_dir():
        raise ValueError(f"notebook_dir must be a folder of notebooks, got {str(folder)!r}")
    verdicts: dict = {}
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", []))
                for claim, word, number in re.findall(_VERDICT_LINE, text, flags=re.M):
                    if claim in verdicts:
                        first = verdicts[claim]["notebook"]
                        raise ValueError(f"claim {claim!r} has two VERDICT lines ({first}, {path.name})")
                    verdicts[claim] = {"verdict": word, "number": number, "notebook": path.name}
    return dict(sorted(verdicts.items()))


# ---------------------------------------------------------------------------
# Plotting
# ---------------------------------------------------------------------------


def set_plot_style() -> None:
    """The one figure style of the series: seaborn whitegrid, colour-blind palette."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette="colorblind", context="notebook")
    mpl.rcParams["figure.dpi"] = 80
    mpl.rcParams["figure.figsize"] = (7.0, 3.6)


# ---------------------------------------------------------------------------
# Demo (the draft's "How to run")
# ---------------------------------------------------------------------------


def run_demo(
    vocab_size: int = 20,
    seq_len: int = 8,
    num_samples: int = 16,
    batch_size: int = 4,
    d_model: int = 6,
    max_len: int = 16,
) -> torch.Tensor:
    """Dataset -> token embeddings -> learnable positional encoding on one batch, printed.

    Returns the encoded batch [batch_size, seq_len, d_model].
    Introduced in notebooks/12_learnable_encoding.ipynb.
    """
    set_seed()
    dataset = DummySequenceDataset(vocab_size, seq_len, num_samples)
    loader = DataLoader(dataset, batch_size=_check_int("batch_size", batch_size), shuffle=False)
    token_emb = nn.Embedding(vocab_size, _check_int("d_model", d_model))
    pos_enc = LearnablePositionalEncoding(d_model, max_len)
    tokens = next(iter(loader))  # (B, T)
    with torch.no_grad():
        emb = token_emb(tokens)  # (B, T, D)
        out = pos_enc(emb)  # (B, T, D)
    print("Token IDs:")
    print(tokens)
    print("Token embeddings shape:", tuple(emb.shape))
    print("Output after adding the positional encoding: shape", tuple(out.shape))
    print("First sequence, first 3 positions (rounded to 3 decimals):")
    print(np.array2string(out[0, :3].numpy(), precision=3, suppress_small=True, floatmode="fixed"))
    return out
