"""Unit tests for helpers.py: shapes, values, gradients, properties and every bad-input error."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

import helpers

# ---------------------------------------------------------------- reproducibility


def test_set_seed_defaults_to_SEED_and_fixes_threads():
    assert helpers.set_seed() == helpers.SEED
    assert torch.get_num_threads() == helpers.NUM_THREADS
    a = torch.rand(3)
    helpers.set_seed()
    assert torch.equal(a, torch.rand(3))


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (1.5, TypeError), ("3", TypeError), (True, TypeError)])
def test_set_seed_rejects_bad_seed(bad, exc):
    with pytest.raises(exc, match="seed"):
        helpers.set_seed(bad)


@pytest.mark.parametrize("name, minimum", [("POSENC_SEED", 0), ("POSENC_THREADS", 1)])
def test_env_vars_are_validated(monkeypatch, name, minimum):
    monkeypatch.setenv(name, "abc")
    with pytest.raises(ValueError, match=f"{name} must be an integer >= {minimum}, got 'abc'"):
        helpers._int_from_env(name, 1, minimum)
    monkeypatch.setenv(name, str(minimum - 1))
    with pytest.raises(ValueError, match=f"{name} must be an integer >= {minimum}, got {minimum - 1}"):
        helpers._int_from_env(name, 1, minimum)
    monkeypatch.setenv(name, "7")
    assert helpers._int_from_env(name, 1, minimum) == 7
    monkeypatch.delenv(name)
    assert helpers._int_from_env(name, 1, minimum) == 1


def test_one_thread_by_default():
    assert helpers.NUM_THREADS == int(__import__("os").environ.get("POSENC_THREADS", "1"))


# ---------------------------------------------------------------- dataset and tasks


def test_dummy_dataset_shapes_values_and_determinism():
    ds = helpers.DummySequenceDataset(vocab_size=7, seq_len=5, num_samples=11, seed=3)
    assert len(ds) == 11
    item = ds[4]
    assert item.shape == (5,) and item.dtype == torch.long
    assert int(ds.data.min()) >= 0 and int(ds.data.max()) < 7
    again = helpers.DummySequenceDataset(vocab_size=7, seq_len=5, num_samples=11, seed=3)
    assert all(torch.equal(ds[i], again[i]) for i in range(len(ds)))
    other = helpers.DummySequenceDataset(vocab_size=7, seq_len=5, num_samples=11, seed=4)
    assert not torch.equal(ds.data, other.data)
    assert helpers.DummySequenceDataset(7, 5, 11).seed == helpers.SEED


def test_dummy_dataset_batches_with_dataloader():
    ds = helpers.DummySequenceDataset(10, 6, 9, seed=0)
    batches = list(torch.utils.data.DataLoader(ds, batch_size=4))
    assert [tuple(b.shape) for b in batches] == [(4, 6), (4, 6), (1, 6)]


def test_dummy_dataset_items_are_copies():
    ds = helpers.DummySequenceDataset(10, 6, 9, seed=0)
    before = ds.data.clone()
    item = ds[2]
    item += 1  # editing what __getitem__ returned must leave the dataset as it was
    assert torch.equal(ds.data, before) and torch.equal(ds[2], before[2])


@pytest.mark.parametrize("arg", ["vocab_size", "seq_len", "num_samples"])
def test_dummy_dataset_rejects_sizes_below_one(arg):
    kwargs = {"vocab_size": 5, "seq_len": 4, "num_samples": 3, arg: 0}
    with pytest.raises(ValueError, match=f"{arg} must be >= 1, got 0"):
        helpers.DummySequenceDataset(**kwargs)


def test_dummy_dataset_rejects_non_int_and_bad_index():
    with pytest.raises(TypeError, match="seq_len must be an int"):
        helpers.DummySequenceDataset(5, 4.0, 3)
    ds = helpers.DummySequenceDataset(5, 4, 3)
    with pytest.raises(IndexError, match="index 3 is out of range"):
        ds[3]
    with pytest.raises(ValueError, match="seed must be >= 0"):
        helpers.DummySequenceDataset(5, 4, 3, seed=-1)


def test_make_batch_targets():
    g = torch.Generator().manual_seed(0)
    x, y = helpers.make_batch("reverse", 3, 6, 9, g)
    assert torch.equal(y, x.flip(1))
    x, y = helpers.make_batch("shift", 3, 6, 9, g, k=2)
    assert (y[:, :2] == -100).all() and torch.equal(y[:, 2:], x[:, :4])
    x, y = helpers.make_batch("first", 3, 6, 9, g)
    assert torch.equal(y, x[:, :1].expand(3, 6))
    x, y = helpers.make_batch("copy_pos", 3, 6, 9, g)
    assert torch.equal(y, x)
    with pytest.raises(ValueError, match="task must be one of"):
        helpers.make_batch("sort", 3, 6, 9)
    with pytest.raises(ValueError, match="seq_len must be >= 1, got 0"):
        helpers.make_batch("reverse", 3, 0, 9)


# ---------------------------------------------------------------- learnable encoding


def test_learnable_pe_shape_and_values():
    pe = helpers.LearnablePositionalEncoding(d_model=8, max_len=10)
    params = list(pe.parameters())
    assert len(params) == 1 and params[0].shape == (1, 10, 8)
    x = torch.randn(3, 6, 8)
    out = pe(x)
    assert out.shape == (3, 6, 8)
    assert torch.equal(out, x + pe.pe[:, :6])
    assert torch.equal(pe(torch.randn(2, 10, 8)).shape and pe.pe[:, :10], pe.pe[:, :10])


def test_learnable_pe_default_init_scale_matches_sinusoidal():
    torch.manual_seed(0)
    pe = helpers.LearnablePositionalEncoding(d_model=64, max_len=512)
    sin = helpers.sinusoidal_table(512, 64)
    # same root-mean-square entry: every sinusoidal row has norm sqrt(D / 2) exactly
    rms = lambda t: t.pow(2).mean().sqrt().item()
    assert math.isclose(rms(sin), math.sqrt(0.5), rel_tol=1e-5)
    assert math.isclose(rms(pe.pe), rms(sin), rel_tol=0.05)
    zeros = helpers.LearnablePositionalEncoding(4, 5, init_std=0.0)
    assert torch.count_nonzero(zeros.pe) == 0


def test_learnable_pe_gradients_reach_only_used_rows():
    pe = helpers.LearnablePositionalEncoding(d_model=4, max_len=10)
    x = torch.randn(2, 6, 4, requires_grad=True)
    pe(x).pow(2).sum().backward()
    g = pe.pe.grad
    assert g.shape == (1, 10, 4)
    assert torch.count_nonzero(g[:, 6:]) == 0 and torch.count_nonzero(g[:, :6]) > 0
    # dL/dP[p] is the batch sum of dL/dx[:, p]
    assert torch.allclose(g[0, :6], x.grad.sum(0))


def test_learnable_pe_dropout_train_and_eval():
    torch.manual_seed(0)
    pe = helpers.LearnablePositionalEncoding(d_model=16, max_len=32, dropout=0.5)
    x = torch.randn(4, 32, 16)
    pe.train()
    out = pe(x)
    frac_zero = (out == 0).float().mean().item()
    assert 0.4 < frac_zero < 0.6
    pe.eval()
    assert torch.equal(pe(x), x + pe.pe)


def test_learnable_pe_too_long_names_both_numbers():
    pe = helpers.LearnablePositionalEncoding(d_model=4, max_len=5)
    with pytest.raises(ValueError, match=r"T=7 exceeds max_len=5: .* no rows for positions 5\.\.6$"):
        pe(torch.randn(1, 7, 4))
    with pytest.raises(ValueError, match=r"T=6 exceeds max_len=5: .* no row for position 5$"):
        pe(torch.randn(1, 6, 4))


@pytest.mark.parametrize(
    "x, exc, match",
    [
        (torch.randint(0, 5, (2, 3)), TypeError, "float embeddings"),
        (torch.randint(0, 5, (2, 3, 4)), TypeError, "token IDs must go through an nn.Embedding"),
        (torch.randn(3, 4), ValueError, "3-D"),
        (torch.randn(1, 2, 3, 4), ValueError, "3-D"),
        (torch.randn(2, 3, 5), ValueError, "d_model=4, got 5"),
        (torch.randn(2, 0, 4), ValueError, "T must be >= 1"),
        ([[0.0] * 4], TypeError, "torch.Tensor"),
    ],
)
def test_learnable_pe_bad_inputs(x, exc, match):
    pe = helpers.LearnablePositionalEncoding(d_model=4, max_len=5)
    with pytest.raises(exc, match=match):
        pe(x)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"d_model": 0, "max_len": 5}, "d_model must be >= 1, got 0"),
        ({"d_model": 4, "max_len": 0}, "max_len must be >= 1, got 0"),
        ({"d_model": 4, "max_len": 5, "dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"d_model": 4, "max_len": 5, "init_std": -1.0}, "init_std must be >= 0"),
    ],
)
def test_learnable_pe_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        helpers.LearnablePositionalEncoding(**kwargs)


def test_run_demo_prints_the_three_things(capsys):
    out = helpers.run_demo()
    text = capsys.readouterr().out
    assert "Token IDs" in text and "Token embeddings shape: (4, 8, 6)" in text
    assert "Output after adding the positional encoding" in text
    assert out.shape == (4, 8, 6)


# ---------------------------------------------------------------- sinusoidal


def test_sinusoidal_table_matches_closed_form():
    P, D = 50, 10
    table = helpers.sinusoidal_table(P, D)
    for p in (0, 1, 17, 49):
        for i in range(D // 2):
            angle = p / 10000 ** (2 * i / D)
            assert math.isclose(table[p, 2 * i].item(), math.sin(angle), abs_tol=1e-6)
            assert math.isclose(table[p, 2 * i + 1].item(), math.cos(angle), abs_tol=1e-6)
    odd = helpers.sinusoidal_table(5, 7)
    assert odd.shape == (5, 7)
    assert math.isclose(odd[3, 6].item(), math.sin(3 / 10000 ** (6 / 7)), abs_tol=1e-6)


def test_sinusoidal_module_any_length_and_stateless():
    pe = helpers.SinusoidalPositionalEncoding(d_model=8, max_len=16)
    assert "pe" not in pe.state_dict() and list(pe.parameters()) == []
    x = torch.zeros(2, 40, 8)
    out = pe(x)
    assert out.shape == (2, 40, 8)
    assert torch.allclose(out[0], helpers.sinusoidal_table(40, 8))
    assert pe.pe.shape == (16, 8)  # forward did not grow the cache
    with pytest.raises(ValueError, match="d_model=8, got 4"):
        pe(torch.zeros(1, 3, 4))
    with pytest.raises(TypeError, match="float embeddings"):
        pe(torch.zeros(1, 3, 8, dtype=torch.long))


# ---------------------------------------------------------------- rotary


def _scores(rope, q, k):
    return (rope(q) * rope(k)).sum(-1)


def test_rope_scores_depend_only_on_offset_and_keep_norms():
    torch.manual_seed(0)
    rope = helpers.RotaryPositionalEncoding(head_dim=8)
    T = 12
    q = torch.randn(8).expand(1, 1, T, 8)
    k = torch.randn(8).expand(1, 1, T, 8)
    rq, rk = rope(q)[0, 0], rope(k)[0, 0]  # same vectors placed at every position
    scores = rq @ rk.T  # (T, T), row m col n
    for offset in range(-3, 4):
        diag = torch.diagonal(scores, offset=offset)
        assert torch.allclose(diag, diag[0].expand_as(diag), atol=1e-5)
    x = torch.randn(2, 3, T, 8)
    assert torch.allclose(rope(x).norm(dim=-1), x.norm(dim=-1), atol=1e-5)
    assert torch.equal(rope(x)[:, :, 0], x[:, :, 0])


def test_rope_half_split_equals_interleaved_up_to_permutation():
    torch.manual_seed(1)
    rope = helpers.RotaryPositionalEncoding(head_dim=6)
    q, k = torch.randn(1, 1, 5, 6), torch.randn(1, 1, 5, 6)
    # interleaved RoPE: pair (2i, 2i+1) with the same frequencies
    cos, sin = rope.angles(5)
    def interleaved(x):
        x1, x2 = x[..., 0::2], x[..., 1::2]
        out = torch.empty_like(x)
        out[..., 0::2], out[..., 1::2] = x1 * cos - x2 * sin, x1 * sin + x2 * cos
        return out
    perm = torch.tensor([0, 2, 4, 1, 3, 5])  # interleaved layout -> half-split layout
    s_half = rope(q[..., perm]) @ rope(k[..., perm]).transpose(-2, -1)
    s_inter = interleaved(q) @ interleaved(k).transpose(-2, -1)
    assert torch.allclose(s_half, s_inter, atol=1e-5)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: helpers.RotaryPositionalEncoding(7), ValueError, "head_dim must be even"),
        (lambda: helpers.RotaryPositionalEncoding(0), ValueError, "head_dim must be >= 1"),
        (lambda: helpers.RotaryPositionalEncoding(8, base=1.0), ValueError, "base must be > 1"),
        (lambda: helpers.RotaryPositionalEncoding(8)(torch.randn(2, 5, 8)), ValueError, "4-D"),
        (lambda: helpers.RotaryPositionalEncoding(8)(torch.randn(1, 2, 5, 6)), ValueError, "head_dim=8, got 6"),
        (lambda: helpers.RotaryPositionalEncoding(8)(torch.ones(1, 2, 5, 8, dtype=torch.long)), TypeError, "float"),
    ],
)
def test_rope_bad_inputs(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


# ---------------------------------------------------------------- ALiBi


def test_alibi_slopes_power_of_two_and_not():
    assert torch.allclose(helpers.alibi_slopes(8), torch.tensor([2.0 ** -(i + 1) for i in range(8)]))
    assert torch.allclose(helpers.alibi_slopes(4), torch.tensor([2.0 ** -(2 * (i + 1)) for i in range(4)]))
    six = helpers.alibi_slopes(6)
    expected = [2.0 ** -(2 * (i + 1)) for i in range(4)] + [2.0 ** -1, 2.0 ** -3]
    assert torch.allclose(six, torch.tensor(expected))
    with pytest.raises(ValueError, match="num_heads must be >= 1, got 0"):
        helpers.alibi_slopes(0)


def test_alibi_bias_depends_only_on_distance():
    bias = helpers.alibi_bias(num_heads=4, seq_len=9)
    assert bias.shape == (4, 9, 9)
    slopes = helpers.alibi_slopes(4)
    for i in range(9):
        for j in range(9):
            assert torch.allclose(bias[:, i, j], -slopes * abs(i - j))
    for offset in range(-8, 9):
        diag = torch.diagonal(bias, offset=offset, dim1=1, dim2=2)
        assert torch.allclose(diag, diag[:, :1].expand_as(diag))
    with pytest.raises(ValueError, match="seq_len must be >= 1"):
        helpers.alibi_bias(4, 0)


# ---------------------------------------------------------------- model


@pytest.mark.parametrize("pe", helpers.PE_TYPES)
@pytest.mark.parametrize("norm", ["pre", "post", "none"])
def test_model_shapes_for_every_encoding(pe, norm):
    cfg = helpers.TransformerConfig(vocab_size=11, d_model=16, n_heads=4, n_layers=3, max_len=12, pe=pe, norm=norm)
    model = helpers.TinyTransformer(cfg)
    out = model(torch.randint(0, 11, (2, 7)), return_internals=True)
    assert out.logits.shape == (2, 7, 11)
    assert len(out.hidden_states) == 4 and all(h.shape == (2, 7, 16) for h in out.hidden_states)
    assert len(out.attentions) == 3 and all(a.shape == (2, 4, 7, 7) for a in out.attentions)
    assert torch.allclose(out.attentions[0].sum(-1), torch.ones(2, 4, 7))


def test_model_causal_mask_and_switches():
    cfg = helpers.TransformerConfig(vocab_size=5, d_model=8, n_heads=2, n_layers=2, causal=True, pe="rope")
    out = helpers.TinyTransformer(cfg)(torch.randint(0, 5, (1, 6)), return_internals=True)
    assert torch.count_nonzero(out.attentions[0][0, 0].triu(1)) == 0
    bare = helpers.TinyTransformer(replace(cfg, residual=False, mlp=False, norm="none"))
    assert bare.blocks[0].mlp is None and isinstance(bare.blocks[0].ln1, nn.Identity)
    every = helpers.TinyTransformer(replace(cfg, pe="sinusoidal", pe_every_layer=True))
    assert every(torch.randint(0, 5, (2, 6))).shape == (2, 6, 5)


def test_bidirectional_nope_is_permutation_equivariant():
    torch.manual_seed(0)
    model = helpers.TinyTransformer(helpers.TransformerConfig(vocab_size=9, d_model=16, n_layers=2, pe="none"))
    x = torch.randint(0, 9, (2, 8))
    perm = torch.randperm(8)
    assert torch.allclose(model(x)[:, perm], model(x[:, perm]), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pe": "relative"}, "pe must be one of"),
        ({"norm": "sandwich"}, "norm must be"),
        ({"d_model": 10, "n_heads": 4}, "divisible by n_heads"),
        ({"n_layers": 0}, "n_layers must be >= 1"),
        ({"pe": "rope", "d_model": 12, "n_heads": 4}, "even head dim"),
        ({"pe": "rope", "pe_every_layer": True}, "pe_every_layer applies"),
    ],
)
def test_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        helpers.TransformerConfig(**kwargs)


def test_model_rejects_bad_token_ids():
    model = helpers.TinyTransformer(helpers.TransformerConfig(vocab_size=5, d_model=8, n_heads=2, max_len=6))
    with pytest.raises(TypeError, match="integer token IDs"):
        model(torch.randn(2, 4))
    with pytest.raises(ValueError, match=r"vocab_size=5"):
        model(torch.tensor([[0, 5]]))
    with pytest.raises(ValueError, match="T=8 exceeds max_len=6"):
        model(torch.zeros(1, 8, dtype=torch.long))


def test_training_learns_reverse_with_position_and_not_without():
    accs = {}
    for pe in ("none", "learned"):
        helpers.set_seed(0)
        cfg = helpers.TransformerConfig(vocab_size=8, d_model=32, n_heads=4, n_layers=2, max_len=8, pe=pe)
        model = helpers.TinyTransformer(cfg)
        helpers.train_model(model, "reverse", steps=150, lengths=8, seed=0)
        accs[pe] = helpers.evaluate(model, "reverse", 8)
    assert accs["learned"] > 0.9 and accs["none"] < 0.5


def test_train_model_rejects_bad_lengths():
    model = helpers.TinyTransformer(helpers.TransformerConfig(vocab_size=5, d_model=8, n_heads=2))
    with pytest.raises(ValueError, match="lo <= hi"):
        helpers.train_model(model, "reverse", steps=1, lengths=(9, 4))
    with pytest.raises(ValueError, match="steps must be >= 1"):
        helpers.train_model(model, "reverse", steps=0, lengths=4)


# ---------------------------------------------------------------- measurements


def test_rank_collapse_metrics_on_known_inputs():
    same = torch.randn(1, 1, 6).expand(3, 5, 6).contiguous()
    assert helpers.relative_residual(same) < 1e-12
    assert math.isclose(helpers.token_uniformity(same), 1.0, abs_tol=1e-9)
    eye = torch.eye(4).expand(2, 4, 4)
    assert math.isclose(helpers.token_uniformity(eye), 0.0, abs_tol=1e-9)
    with pytest.raises(ValueError, match=r"\[N, T, D\]"):
        helpers.relative_residual(torch.randn(3, 4))


def test_attention_metrics_on_known_maps():
    T = 5
    uniform = torch.full((2, 3, T, T), 1.0 / T)
    assert math.isclose(helpers.attention_entropy(uniform), 1.0, rel_tol=1e-6)
    onehot = torch.eye(T).expand(2, 3, T, T)
    assert helpers.attention_entropy(onehot) < 1e-9
    assert math.isclose(helpers.head_similarity(onehot), 1.0, rel_tol=1e-9)
    causal_uniform = helpers._uniform_map(T, causal=True).expand(1, 2, T, T)
    assert math.isclose(helpers.attention_entropy(causal_uniform, causal=True), 1.0, rel_tol=1e-6)
    assert math.isclose(helpers.layer_similarity(onehot, onehot), 1.0, rel_tol=1e-9)
    with pytest.raises(ValueError, match="at least 2 heads"):
        helpers.head_similarity(torch.full((1, 1, T, T), 1.0 / T))


def test_position_probe_reads_position_and_not_noise():
    torch.manual_seed(0)
    table = torch.randn(16, 32)  # one distinct vector per position
    tr = table.expand(20, 16, 32) + 0.05 * torch.randn(20, 16, 32)
    te = table.expand(10, 16, 32) + 0.05 * torch.randn(10, 16, 32)
    assert helpers.position_probe(tr, te)["acc"] > 0.95
    noise_tr, noise_te = torch.randn(20, 16, 32), torch.randn(10, 16, 32)
    assert helpers.position_probe(noise_tr, noise_te)["acc"] < 0.2
    assert helpers.position_probe(tr, te, kind="mlp", steps=100)["acc"] > 0.9
    with pytest.raises(ValueError, match="kind must be"):
        helpers.position_probe(tr, te, kind="svm")


def test_gradient_memory_and_flop_counters():
    torch.manual_seed(0)
    cfg = helpers.TransformerConfig(vocab_size=6, d_model=16, n_heads=2, n_layers=2, max_len=8)
    model = helpers.TinyTransformer(cfg)
    x, y = helpers.make_batch("reverse", 4, 8, 6)
    g = helpers.gradient_norms(model, x, y)
    assert g["pos_table"] > 0 and len(g["hidden"]) == 3 and len(g["qk"]) == 2
    b1 = helpers.activation_bytes(model, x)
    deeper = helpers.TinyTransformer(replace(cfg, n_layers=4))
    assert helpers.activation_bytes(deeper, x) > b1 > 0
    assert helpers.count_flops(deeper, x) > helpers.count_flops(model, x) > 0


def test_measurements_leave_the_model_as_they_found_it():
    torch.manual_seed(0)
    cfg = helpers.TransformerConfig(vocab_size=6, d_model=16, n_heads=2, n_layers=1, max_len=8)
    model = helpers.TinyTransformer(cfg)
    x, _ = helpers.make_batch("reverse", 2, 8, 6)
    model.pos.pe.grad = torch.ones_like(model.pos.pe)
    for mode in (True, False):
        model.train(mode)
        helpers.activation_bytes(model, x)
        helpers.count_flops(model, x)
        assert model.training is mode
    assert torch.equal(model.pos.pe.grad, torch.ones_like(model.pos.pe)), "gradients are left untouched"
    assert helpers.count_flops(model, x, backward=False) < helpers.count_flops(model, x)


def test_evaluate_default_seed_follows_helpers_seed(monkeypatch):
    torch.manual_seed(0)
    model = helpers.TinyTransformer(helpers.TransformerConfig(vocab_size=6, d_model=16, n_heads=2, n_layers=1,
                                                              max_len=8))
    for seed in (0, 3):
        monkeypatch.setattr(helpers, "SEED", seed)
        assert helpers.evaluate(model, "reverse", 8) == helpers.evaluate(model, "reverse", 8, seed=seed + 12345)
    gens = [torch.Generator().manual_seed(s + 12345) for s in (0, 3)]
    batches = [helpers.make_batch("reverse", 64, 8, 6, g)[0] for g in gens]
    assert not torch.equal(*batches), "another POSENC_SEED gives other test batches"


def test_table_tools():
    t = torch.randn(6, 4)
    assert torch.allclose(helpers.cosine_similarity_matrix(t).diagonal(), torch.ones(6))
    assert helpers.pca_2d(t).shape == (6, 2)
    stretched = helpers.interpolate_table(t, 11)
    assert stretched.shape == (11, 4) and torch.allclose(stretched[::2], t, atol=1e-6)
    with pytest.raises(ValueError, match="new_len must be >= 2"):
        helpers.interpolate_table(t, 1)


def test_read_verdicts_parses_and_rejects_duplicates(tmp_path):
    import json

    def write(name, text):
        out = {"output_type": "stream", "name": "stdout", "text": [text]}
        nb = {"cells": [{"cell_type": "code", "source": [], "outputs": [out]}]}
        (tmp_path / name).write_text(json.dumps(nb))

    write("02_x.ipynb", "some line\nVERDICT a partly 0.55\n")
    write("03_y.ipynb", "VERDICT b not-supported 1.8\nVERDICT z maybe 1\n")
    assert helpers.read_verdicts(tmp_path) == {
        "a": {"verdict": "partly", "number": "0.55", "notebook": "02_x.ipynb"},
        "b": {"verdict": "not-supported", "number": "1.8", "notebook": "03_y.ipynb"},
    }
    write("04_z.ipynb", "VERDICT a supported 0.9\n")
    with pytest.raises(ValueError, match="two VERDICT lines"):
        helpers.read_verdicts(tmp_path)
    with pytest.raises(ValueError, match="notebook_dir"):
        helpers.read_verdicts(tmp_path / "missing")


def test_per_position_accuracy_matches_evaluate_and_marks_untargeted_positions():
    torch.manual_seed(0)
    cfg = helpers.TransformerConfig(vocab_size=6, d_model=16, n_heads=2, n_layers=1, max_len=12, causal=True)
    model = helpers.TinyTransformer(cfg)
    acc = helpers.per_position_accuracy(model, "shift", 12, num_samples=16, seed=5, k=3)
    assert acc.shape == (12,) and np.isnan(acc[:3]).all() and not np.isnan(acc[3:]).any()
    x, y = helpers.make_batch("shift", 16, 12, 6, torch.Generator().manual_seed(5), k=3)
    overall = helpers.masked_accuracy(model(x), y)
    assert abs(np.nanmean(acc) - overall) < 1e-6, "every scored position has the same number of targets"
    with pytest.raises(ValueError, match="num_samples"):
        helpers.per_position_accuracy(model, "shift", 12, num_samples=0)


# ---------------------------------------------------------------- claim margins


def test_check_claim_margin_both_directions():
    assert helpers.check_claim("above", 0.9, threshold=0.5, null=0.1) == pytest.approx(1.0)
    assert helpers.check_claim("below", 0.1, threshold=0.5, null=0.9) == pytest.approx(1.0)
    with pytest.raises(AssertionError, match=r"above: measured 0.4, needs > 0.5 \(null 0.1\)"):
        helpers.check_claim("above", 0.4, threshold=0.5, null=0.1)
    with pytest.raises(AssertionError, match="needs < 0.5"):
        helpers.check_claim("below", 0.5, threshold=0.5, null=0.9)


def test_check_claim_logs_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("POSENC_CLAIMS_LOG", str(log))
    helpers.check_claim("x", 0.8, threshold=0.6, null=0.2)
    row = __import__("json").loads(log.read_text())
    assert row["claim"] == "x" and row["margin"] == pytest.approx(0.5) and row["seed"] == helpers.SEED


@pytest.mark.parametrize("kwargs, match", [
    (dict(name="", value=1.0, threshold=0.5, null=0.0), "name must be a non-empty string"),
    (dict(name="x", value=float("nan"), threshold=0.5, null=0.0), "value must be a finite number"),
    (dict(name="x", value=1.0, threshold=0.5, null=0.5), "threshold must differ from null"),
])
def test_check_claim_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        helpers.check_claim(**kwargs)
