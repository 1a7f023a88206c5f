"""Run a command on another float code path, after proving that the path really differs.

    python tools/perturbed.py pytest notebooks/

Sets a perturbation for the command: torch's kernels for the next narrower vector unit (AVX2 on a
machine with AVX-512, the non-vectorised ones on any other), MKL's conditional-numerical-reproducibility
mode COMPATIBLE, and two torch threads instead of one; and no saved training run is loaded
(POSENC_CHECKPOINTS=off), so every model of the series is trained anew on that path. Readers'
CPUs differ from ours in exactly these ways: vector width, BLAS kernels and thread count. A
perturbation counts only if it trains different weights, so the script first prints a hash of
briefly trained weights on the normal and on the perturbed path and stops with an error if the two
are equal. Then it runs the command with the perturbation and exits with its status.
"""

from __future__ import annotations

import os
import subprocess
import sys

NARROWER = {"AVX512": "avx2"}  # any other vector path falls back to torch's non-vectorised kernels

HASH_SCRIPT = """
import hashlib, torch, helpers
helpers.set_seed(helpers.SEED)
cfg = helpers.TransformerConfig(vocab_size=32, d_model=64, n_heads=4, n_layers=2, max_len=32, pe="learned")
model = helpers.TinyTransformer(cfg)
helpers.train_model(model, "reverse", 30, 32, batch_size=16, seed=helpers.SEED)
digest = hashlib.sha256()
for name, tensor in sorted(model.state_dict().items()):
    digest.update(name.encode() + tensor.detach().contiguous().numpy().tobytes())
print(digest.hexdigest()[:16], torch.backends.cpu.get_cpu_capability(), helpers.NUM_THREADS)
"""


def trained_weights_hash(env: dict) -> tuple[str, str]:
    """(hash of briefly trained weights, 'vector path, threads') in a fresh process with ``env``."""
    out = subprocess.run([sys.executable, "-c", HASH_SCRIPT], env=env, check=True, capture_output=True, text=True)
    digest, path, threads = out.stdout.split()
    return digest, f"vector path {path}, {threads} thread(s)"


def perturbation() -> dict[str, str]:
    """The environment variables that move this machine onto another float code path."""
    import torch

    capability = NARROWER.get(torch.backends.cpu.get_cpu_capability(), "default")
    # POSENC_CHECKPOINTS=off: every model is trained on the perturbed path, none loaded from checkpoints/
    return {"ATEN_CPU_CAPABILITY": capability, "MKL_CBWR": "COMPATIBLE", "POSENC_THREADS": "2",
            "POSENC_CHECKPOINTS": "off"}


def main(argv: list[str]) -> int:
    if not argv:
        raise SystemExit("usage: python tools/perturbed.py COMMAND [ARGS...]")
    PERTURBATION = perturbation()
    normal_env = {k: v for k, v in os.environ.items() if k not in PERTURBATION}
    perturbed_env = {**normal_env, **PERTURBATION}
    normal, normal_path = trained_weights_hash(normal_env)
    perturbed, perturbed_path = trained_weights_hash(perturbed_env)
    print(f"trained-weights hash, normal path:    {normal}  ({normal_path})")
    print(f"trained-weights hash, perturbed path: {perturbed}  ({perturbed_path}; "
          + " ".join(f"{k}={v}" for k, v in PERTURBATION.items()) + ")", flush=True)
    if normal == perturbed:
        print("FAIL: the perturbation trains the same weights as the normal path, so it tests nothing")
        return 1
    return subprocess.run(argv, env=perturbed_env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
