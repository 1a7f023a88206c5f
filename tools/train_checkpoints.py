"""Train the series' models once, save them in checkpoints/, and commit the notebooks executed from them.

    python tools/train_checkpoints.py          # every notebook: trains what is not saved, removes stale files
    python tools/train_checkpoints.py 02 05    # some notebooks (nothing is removed)

Each notebook is executed from a fresh kernel with POSENC_CHECKPOINTS=write, so every run that goes
through ``helpers.checkpointed`` (every ``helpers.train_model`` call, and 05's skewed-length loop)
is loaded when saved and trained and saved when not; the executed notebook is written back in place
(unless it failed).
The checkpoints are made on the default path (POSENC_SEED 0, one thread, torch's own vector path),
so this script clears the variables that would change it. After a run of every notebook, files in
checkpoints/ that no notebook used are removed (a changed setting leaves its old file behind).

A loaded run is the same run, bit for bit, as a trained one on the machine that saved it; on
another machine the notebook tests compare it within tolerance like any trained number, and CI's
perturbed pass (tools/perturbed.py) trains every model anew with POSENC_CHECKPOINTS=off.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from notebook_times import NOTEBOOKS, execute, machine_line  # noqa: E402

CHECKPOINTS = ROOT / "checkpoints"
CLEARED = ("POSENC_SEED", "POSENC_THREADS", "ATEN_CPU_CAPABILITY", "MKL_CBWR", "POSENC_CLAIMS_LOG")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: all)")
    args = parser.parse_args(argv)

    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if any(p.name.startswith(n) for n in args.notebooks)]
        if not paths:
            parser.error(f"no notebook matches {args.notebooks}")
    for name in CLEARED:
        os.environ.pop(name, None)
    print(machine_line(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "used.txt"
        log.touch()
        os.environ.update(POSENC_CHECKPOINTS="write", POSENC_CHECKPOINTS_LOG=str(log))
        failed = 0
        for path in paths:
            name, seconds, error = execute(path, Path(tmp))
            failed += bool(error)
            if not error:  # a notebook that failed is not written back
                (Path(tmp) / name).replace(path)
            print(f"{name:42s} {seconds:6.1f} s  {error}", flush=True)
        used = set(log.read_text().split())
    saved = sorted(CHECKPOINTS.glob("*.pt"))
    print(f"{len(used)} checkpoints used; {len(saved)} files, "
          f"{sum(f.stat().st_size for f in saved) / 2**20:.1f} MiB in {CHECKPOINTS.relative_to(ROOT)}/")
    if failed:
        print(f"FAIL: {failed} notebook(s) failed; nothing removed")
        return 1
    if len(paths) == len(list(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))):
        stale = [f for f in saved if f.name not in used]
        for f in stale:
            f.unlink()
        print(f"removed {len(stale)} stale checkpoint(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
