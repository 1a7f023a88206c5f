"""Saved training runs: helpers.checkpointed loads exactly what training would give, and only then."""

from dataclasses import replace

import pytest
import torch

import helpers

CFG = helpers.TransformerConfig(vocab_size=8, d_model=16, n_heads=2, n_layers=1, max_len=8, pe="learned")


def fresh(seed=0, cfg=CFG):
    helpers.set_seed(seed)
    return helpers.TinyTransformer(cfg)


def same_state(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(helpers, "CHECKPOINT_DIR", tmp_path)
    monkeypatch.setenv("POSENC_CHECKPOINTS", "write")
    return tmp_path


def test_a_loaded_run_equals_the_trained_run(store, monkeypatch):
    trained = fresh()
    losses = helpers.train_model(trained, "reverse", 5, 6, seed=3)
    assert len(list(store.glob("*.pt"))) == 1
    monkeypatch.setenv("POSENC_CHECKPOINTS", "use")
    loaded = fresh()
    assert not same_state(loaded, trained)
    assert helpers.train_model(loaded, "reverse", 5, 6, seed=3) == losses
    assert same_state(loaded, trained) and not loaded.training


def test_use_mode_loads_without_training(store, monkeypatch):
    helpers.train_model(fresh(), "reverse", 5, 6, seed=3)
    monkeypatch.setenv("POSENC_CHECKPOINTS", "use")
    calls = []
    result = helpers.checkpointed(fresh(), lambda: calls.append(1), key={"x": 1})
    assert calls == [1] and result is None  # another key: trained, and "use" saves nothing
    assert len(list(store.glob("*.pt"))) == 1


@pytest.mark.parametrize("change", ["seed", "steps", "weights", "config", "frozen"])
def test_any_change_to_the_run_trains_anew(store, change):
    helpers.train_model(fresh(), "reverse", 5, 6, seed=3)
    model = fresh(seed=1 if change == "weights" else 0, cfg=replace(CFG, n_heads=4) if change == "config" else CFG)
    if change == "frozen":
        model.pos.pe.requires_grad_(False)
    calls = []
    helpers.checkpointed(model, lambda: calls.append(1), key=dict(
        fn="train_model", task="reverse", steps=6 if change == "steps" else 5, lengths=[6, 6], batch_size=32,
        lr=2e-3, weight_decay=0.0, seed=4 if change == "seed" else 3, k=3,
        code=helpers._code_digest(helpers.train_model, helpers.make_batch)))
    assert calls == [1]


@pytest.mark.parametrize("a, b", [(dict(pe="rope"), dict(pe="none")), (dict(pe="alibi"), dict(pe="none")),
                                  (dict(causal=True), dict(causal=False))])
def test_configs_with_the_same_weights_are_different_runs(store, a, b):
    # RoPE, ALiBi and NoPE models of one seed have identical parameters; the config tells them apart
    model_a, model_b = fresh(cfg=replace(CFG, **a)), fresh(cfg=replace(CFG, **b))
    assert same_state(model_a, model_b)
    helpers.train_model(model_a, "reverse", 5, 6, seed=3)
    calls = []
    helpers.checkpointed(model_b, lambda: calls.append(1), key={"fn": "t"})
    helpers.train_model(model_b, "reverse", 5, 6, seed=3)
    assert len(list(store.glob("*.pt"))) == 3 and calls == [1]


def test_the_same_key_and_weights_hit(store):
    # the key test_any_change_to_the_run_trains_anew builds is train_model's own: unchanged, it loads
    helpers.train_model(fresh(), "reverse", 5, 6, seed=3)
    calls = []
    helpers.checkpointed(fresh(), lambda: calls.append(1), key=dict(
        fn="train_model", task="reverse", steps=5, lengths=[6, 6], batch_size=32, lr=2e-3, weight_decay=0.0,
        seed=3, k=3, code=helpers._code_digest(helpers.train_model, helpers.make_batch)))
    assert calls == []


def test_off_mode_always_trains(store, monkeypatch):
    helpers.train_model(fresh(), "reverse", 5, 6, seed=3)
    monkeypatch.setenv("POSENC_CHECKPOINTS", "off")
    calls = []
    helpers.checkpointed(fresh(), lambda: calls.append(1), key=dict(fn="train_model"))
    model = fresh()
    helpers.train_model(model, "reverse", 5, 6, seed=3)  # trains (same result, but no file is read)
    assert calls == [1] and len(list(store.glob("*.pt"))) == 1


def test_a_model_with_hooks_is_always_trained(store):
    model = fresh()
    seen = []
    model.pos.pe.register_hook(lambda g: seen.append(1))
    helpers.train_model(model, "reverse", 3, 6, seed=3)
    assert len(seen) == 3 and not list(store.glob("*.pt"))


def test_the_global_random_state_after_training_is_restored(store, monkeypatch):
    def train(model):
        torch.randn(5)  # training that draws from torch's global generator
        with torch.no_grad():
            model.head.weight.add_(1.0)
        return [1, 2]

    model = fresh()
    torch.manual_seed(11)
    assert helpers.checkpointed(model, lambda: train(model), key={"fn": "t"}) == [1, 2]
    after = torch.rand(3)
    monkeypatch.setenv("POSENC_CHECKPOINTS", "use")
    loaded = fresh()
    torch.manual_seed(11)
    assert helpers.checkpointed(loaded, lambda: 1 / 0, key={"fn": "t"}) == [1, 2]
    assert torch.equal(torch.rand(3), after) and same_state(loaded, model)
    torch.manual_seed(12)  # another global state: the saved run does not apply, so it trains
    with pytest.raises(ZeroDivisionError):
        helpers.checkpointed(fresh(), lambda: 1 / 0, key={"fn": "t"})


def test_log_every_prints_the_same_lines_when_loaded(store, monkeypatch, capsys):
    helpers.train_model(fresh(), "reverse", 4, 6, seed=3, log_every=2)
    trained = capsys.readouterr().out
    monkeypatch.setenv("POSENC_CHECKPOINTS", "use")
    helpers.train_model(fresh(), "reverse", 4, 6, seed=3, log_every=2)
    assert capsys.readouterr().out == trained and trained.count("loss") == 2


def documented():
    def f(x):
        """Doc."""
        return x + 1  # comment

    return f


def bare():
    def f(x):
        return x + 1

    return f


def changed():
    def f(x):
        return x + 2

    return f


def test_code_digest_ignores_docstrings_and_comments():
    assert helpers._code_digest(documented()) == helpers._code_digest(bare()) != helpers._code_digest(changed())


@pytest.mark.parametrize("mode", ["", "yes", "USE"])
def test_bad_mode_is_rejected(monkeypatch, mode):
    monkeypatch.setenv("POSENC_CHECKPOINTS", mode)
    with pytest.raises(ValueError, match="POSENC_CHECKPOINTS must be one of"):
        helpers.checkpointed(fresh(), lambda: None, key={})


@pytest.mark.parametrize("args, match", [
    (("model", lambda: None, {}), "model must be an nn.Module"),
    ((CFG, lambda: None, {}), "model must be an nn.Module"),
    ((None, 3, {}), "train must be callable"),
    ((None, lambda: None, [1]), "key must be a dict"),
    ((None, lambda: None, {"f": object()}), "key must be JSON-serialisable"),
])
def test_bad_arguments_are_rejected(store, args, match):
    model, train, key = args
    with pytest.raises(TypeError, match=match):
        helpers.checkpointed(fresh() if model is None else model, train, key)


def test_committed_checkpoints_load_and_stay_small():
    files = sorted(helpers.CHECKPOINT_DIR.glob("*.pt"))
    assert files, "the series ships its checkpoints (tools/train_checkpoints.py makes them)"
    assert sum(f.stat().st_size for f in files) < 72 * 2**20, "checkpoints/ is committed to git: keep it small"
    for f in files:
        saved = torch.load(f, weights_only=True)
        assert set(saved) == {"key", "model", "training", "state", "result", "rng_before", "rng_after"}, f.name
