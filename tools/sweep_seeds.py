"""Every claim check of the series over many seeds and two float code paths, with its margin.

    python tools/sweep_seeds.py                       # seeds 0-9, normal and perturbed path: hours of CPU
    python tools/sweep_seeds.py --seeds 0 1 --paths normal --notebooks 02 03

For developers, not CI. Each run executes the chosen notebooks (benchmarks/notebook_times.py) with
POSENC_SEED set and POSENC_CLAIMS_LOG pointing at a log file, so every ``helpers.check_claim`` in
them records its value. The perturbed path is the one of tools/perturbed.py. At the end it prints,
per claim, its threshold, the value its null would give, the worst value over all runs and the
worst margin, ``(value - threshold) / (threshold - null)``. The series asks for a worst margin of at
least 0.25: a claim that clears its bar by less is not robust, and the experiment needs redesigning.
Runs whose notebooks failed (an assertion, a crash) are listed too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_MARGIN = 0.25


def run(seed: int, path: str, notebooks: list[str], jobs: int, log: Path, threads: int | None = None,
        keep: Path | None = None) -> str:
    """Execute the notebooks once; returns the runner's per-notebook lines.

    With ``keep``, the executed copies stay in ``keep/seed<N>-<path>/`` (for tools/output_spread.py).
    """
    sys.path.insert(0, str(ROOT / "tools"))
    from perturbed import perturbation

    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "POSENC_THREADS")}
    env.update(POSENC_SEED=str(seed), POSENC_CLAIMS_LOG=str(log))
    if path == "perturbed":
        env.update(perturbation())
        if threads is not None:  # still another float path: the vector width and MKL's mode change too
            env["POSENC_THREADS"] = str(threads)
        if int(env["POSENC_THREADS"]) > 1:
            jobs = 1  # two threads per kernel already fill two cores
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) if keep is None else keep / f"seed{seed}-{path}"
        out.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "notebook_times.py"), *notebooks,
                               "--jobs", str(jobs), "--out", str(out)], env=env, capture_output=True, text=True)
    return proc.stdout


def summarise(rows: list[dict]) -> tuple[list[str], int]:
    """Table lines, one per claim, and the count of claims short of the required margin."""
    claims: dict[str, list[dict]] = {}
    for row in rows:
        claims.setdefault(row["claim"], []).append(row)
    lines = [f"{'claim':64s} {'threshold':>9s} {'null':>7s} {'worst':>8s} {'margin':>7s} {'runs':>4s}"]
    short = 0
    for name, runs in claims.items():
        worst = min(runs, key=lambda r: r["margin"])
        ok = worst["margin"] >= REQUIRED_MARGIN
        short += not ok
        lines.append(f"{name[:64]:64s} {worst['threshold']:9.4g} {worst['null']:7.4g} {worst['value']:8.4g} "
                     f"{worst['margin']:7.2f} {len(runs):4d}  {'ok' if ok else 'SHORT'}"
                     f"  (worst: seed {worst['seed']}, {worst['vector_path']}, {worst['threads']} thread(s))")
    return lines, short


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--paths", nargs="+", choices=("normal", "perturbed"), default=["normal", "perturbed"])
    parser.add_argument("--notebooks", nargs="+", default=[], help="notebook numbers (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks at once on the normal path (default 2)")
    parser.add_argument("--threads", type=int, help="threads per kernel on the perturbed path (default: that of "
                        "tools/perturbed.py, 2); 1 keeps a sweep from slowing down beside other work")
    parser.add_argument("--keep", type=Path, help="keep the executed notebooks in KEEP/seed<N>-<path>/")
    parser.add_argument("--log", type=Path, help="JSON-lines file of every check (default: a temporary file)")
    args = parser.parse_args(argv)
    if any(s < 0 for s in args.seeds) or args.jobs < 1 or (args.threads is not None and args.threads < 1):
        parser.error(f"seeds must be >= 0, --jobs and --threads >= 1, got {args.seeds}, {args.jobs}, {args.threads}")

    log = args.log or Path(tempfile.mkdtemp()) / "claims.jsonl"
    failed = []
    for seed in args.seeds:
        for path in args.paths:
            out = run(seed, path, args.notebooks, args.jobs, log, args.threads, args.keep)
            # notebook_times prints "NN_name.ipynb   12.3 s  <error, if any>" per notebook
            bad = [m.group(1) for m in re.finditer(r"^(\d\d_\S+\.ipynb) +[\d.]+ s  (.+)$", out, re.M)]
            print(f"seed {seed}, {path} path: " + ("ok" if not bad else f"FAILED in {', '.join(bad)}"), flush=True)
            failed += [(seed, path, name) for name in bad]
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    lines, short = summarise(rows)
    print(f"\nchecks logged to {log}")
    print("\n".join(lines))
    print(f"\n{short} claim(s) short of a margin of {REQUIRED_MARGIN}; {len(failed)} failed notebook run(s)")
    return 1 if short or failed else 0


if __name__ == "__main__":
    sys.exit(main())
