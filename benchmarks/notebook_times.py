"""Execute every notebook of the series from a fresh kernel and print its wall time.

    python benchmarks/notebook_times.py                  # all notebooks, this machine as it is
    python benchmarks/notebook_times.py --busy 1         # with one other process keeping a core busy
    POSENC_CHECKPOINTS=off python benchmarks/notebook_times.py  # train every model instead of loading it
    python benchmarks/notebook_times.py 02 04 --out DIR  # some notebooks; keep the executed copies in DIR

The first lines name the CPU, its torch vector path and the thread count, so that a time is never
read without the machine that produced it. The README's run-time column comes from this script.
Environment variables (POSENC_SEED, POSENC_THREADS, POSENC_CHECKPOINTS, ATEN_CPU_CAPABILITY, ...) pass through
to the kernels, which is how tools/sweep_seeds.py runs the series under other seeds and code paths.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    import torch

    import helpers

    return (f"CPU: {cpu_model()} ({os.cpu_count()} logical cores); torch {torch.__version__}, vector path "
            f"{torch.backends.cpu.get_cpu_capability()}, threads per kernel {helpers.NUM_THREADS}")


def execute(path: Path, out_dir: Path | None) -> tuple[str, float, str]:
    """Run one notebook top to bottom in a fresh kernel; returns (name, seconds, error or '')."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except Exception as exc:  # report and go on with the other notebooks
        error = f"{type(exc).__name__}: {str(exc).splitlines()[-1] if str(exc) else ''}"
    seconds = time.perf_counter() - start
    if out_dir is not None:
        nbformat.write(nb, out_dir / path.name)
    return path.name, seconds, error


def busy_loop() -> None:
    while True:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: all)")
    parser.add_argument("--busy", type=int, default=0, help="other processes that keep a core busy meanwhile")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once (default 1)")
    parser.add_argument("--out", type=Path, help="folder for the executed copies (the committed ones are untouched)")
    args = parser.parse_args(argv)
    if args.busy < 0 or args.jobs < 1:
        parser.error(f"--busy must be >= 0 and --jobs >= 1, got {args.busy} and {args.jobs}")

    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if any(p.name.startswith(n) for n in args.notebooks)]
        if not paths:
            parser.error(f"no notebook matches {args.notebooks}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)

    print(machine_line())
    print(f"POSENC_SEED={os.environ.get('POSENC_SEED', '0')}, "
          f"POSENC_CHECKPOINTS={os.environ.get('POSENC_CHECKPOINTS', 'use')}, busy processes: {args.busy}, "
          f"notebooks at once: {args.jobs}, python {platform.python_version()}", flush=True)
    hogs = [mp.Process(target=busy_loop, daemon=True) for _ in range(args.busy)]
    for hog in hogs:
        hog.start()
    failed = 0
    total = 0.0
    try:
        with ProcessPoolExecutor(args.jobs) as pool:
            for name, seconds, error in pool.map(execute, paths, [args.out] * len(paths)):
                total += seconds
                failed += bool(error)
                print(f"{name:42s} {seconds:6.1f} s  {error}", flush=True)
    finally:
        for hog in hogs:
            hog.terminate()
    print(f"{'total':42s} {total:6.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
