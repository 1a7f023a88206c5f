"""How far fresh notebook outputs are from the committed ones, cell by cell.

    python benchmarks/notebook_times.py --out /tmp/avx2          # with e.g. ATEN_CPU_CAPABILITY=avx2 set
    python tools/output_spread.py /tmp/avx2 [/tmp/threads2 ...]  # compare each folder with notebooks/

For every code cell whose text outputs differ in some folder, prints the largest absolute and relative
change of a number, the cell's tolerance (if it has one) and whether strict nbval plus conftest.py
would pass it. A cell that differs in anything but numbers is flagged: its outputs flip, and no
tolerance can make it portable. This is how the tolerances in the notebooks' cell metadata were
measured (docs/notebook-ci.md).

    python tools/output_spread.py --write /tmp/avx2 /tmp/combo

also gives every differing cell that has no tolerance yet, or too small a one, the tolerance
``{"atol": A}`` with A = twice the largest change measured, rounded up to 1, 2 or 5 times a power of
ten, and at least 0.01. Integers that moved (a step count out of training) are measured relatively
and get ``"int_rtol"`` by the same rule, which loosens them alone. Check each written value against
the effect its cell's claim rests on.

The spread of a float path can depend on the seed: a value near a rounding edge at one seed moves,
at another it does not. ``--pair NORMAL PERTURBED`` (repeatable) adds two runs of the same seed on
the two paths (tools/sweep_seeds.py --keep writes them as seedN-normal and seedN-perturbed), compared
with each other the way CI compares the committed outputs with a perturbed run.

``--seed-runs DIR...`` adds runs under other seeds, for information only: a cell whose numbers
change with the seed comes from random draws (training, or float32 draws), and one that has no
tolerance is marked "random, exact". That is allowed only where no float path moves it; the list is
for a reader to check. Integers that differ between seeds (seed labels, counts) are counted apart.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("posenc_conftest", ROOT / "conftest.py")
compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare)


def cell_texts(cell) -> list[str]:
    """The text outputs of a code cell, streams joined by name as nbval joins them."""
    streams: dict[str, str] = {}
    texts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + "".join(out["text"])
        elif out["output_type"] in ("display_data", "execute_result"):
            for key, value in sorted(out.get("data", {}).items()):
                if not key.startswith("image/"):
                    texts.append("".join(value) if isinstance(value, list) else value)
    return [streams[k] for k in sorted(streams)] + texts


def spread(committed: Path, fresh_dirs: list[Path], seed_dirs: tuple[Path, ...] = (),
           pairs: tuple[tuple[Path, Path], ...] = ()) -> list[dict]:
    """One row per code cell that differs from its committed outputs in at least one folder.

    ``fresh_dirs`` are runs on other float paths, compared as CI compares them. ``seed_dirs`` are
    runs under other seeds: their largest change is recorded as ``seed_abs``, text that differs as
    ``seed_flips`` and integers that differ as ``seed_ints``, never as a failure. ``pairs`` are
    (normal, perturbed) runs of one seed, compared with each other as CI compares committed and fresh.
    """
    ref = json.loads(committed.read_text(encoding="utf-8"))["cells"]
    rows = []
    for i, cell in enumerate(ref):
        if cell["cell_type"] != "code" or "nbval-ignore-output" in cell["metadata"].get("tags", []):
            continue
        row = {"notebook": committed.name, "cell": i, "abs": 0.0, "rel": 0.0, "int_rel": 0.0, "flips": [],
               "seed_abs": 0.0, "seed_flips": [], "seed_ints": 0,
               "tolerance": cell["metadata"].get("tolerance"), "passes": True}
        tol = compare._tolerance(cell["metadata"])
        for folder in seed_dirs:
            other = folder / committed.name
            if not other.exists():
                continue
            a, b = cell_texts(cell), cell_texts(json.loads(other.read_text(encoding="utf-8"))["cells"][i])
            if a == b:
                continue
            if len(a) != len(b) or any(compare.number_diffs(x, y) is None for x, y in zip(a, b, strict=True)):
                row["seed_flips"].append(folder.name)
                continue
            for x, y in zip(a, b, strict=True):
                for p, q in zip(compare.NUMBER.findall(x), compare.NUMBER.findall(y), strict=True):
                    if p == q:
                        continue
                    if compare.INTEGER.fullmatch(p) and compare.INTEGER.fullmatch(q):
                        row["seed_ints"] += 1  # a seed label or a count: listed for a reader to judge, not measured
                        continue
                    row["seed_abs"] = max(row["seed_abs"], abs(float(p) - float(q)))
        comparisons = [(cell, folder / committed.name, folder.name) for folder in fresh_dirs]
        for normal, perturbed in pairs:
            if (normal / committed.name).exists():
                base = json.loads((normal / committed.name).read_text(encoding="utf-8"))["cells"][i]
                comparisons.append((base, perturbed / committed.name, f"{normal.name}/{perturbed.name}"))
        for base, other, label in comparisons:
            if not other.exists():
                continue
            fresh = json.loads(other.read_text(encoding="utf-8"))["cells"][i]
            a, b = cell_texts(base), cell_texts(fresh)
            if a == b:
                continue
            if len(a) != len(b):
                row["flips"].append(label)
                row["passes"] = False
                continue
            for x, y in zip(a, b, strict=True):
                if x == y:
                    continue
                diffs = compare.number_diffs(x, y)
                if diffs is None:
                    row["flips"].append(label)
                    row["passes"] = False
                    continue
                tokens = zip(compare.NUMBER.findall(x), compare.NUMBER.findall(y), strict=True)
                for (p, q), (tp, tq) in zip(diffs, tokens, strict=True):
                    if p == q:
                        continue
                    if compare.INTEGER.fullmatch(tp) and compare.INTEGER.fullmatch(tq):  # a count: judged relatively
                        row["int_rel"] = max(row["int_rel"], abs(p - q) / max(abs(p), 1.0))
                        continue
                    row["abs"] = max(row["abs"], abs(p - q))
                    row["rel"] = max(row["rel"], abs(p - q) / max(abs(p), 1e-12))
                if tol is None or not compare.tolerant_match(x, y, *tol):
                    row["passes"] = False
        if row["abs"] or row["int_rel"] or row["flips"] or row["seed_abs"] or row["seed_flips"] or row["seed_ints"]:
            rows.append(row)
    return rows


def proposed_atol(max_change: float) -> float:
    """Twice the largest measured change, rounded up to 1, 2 or 5 x 10^k, at least 0.01."""
    target = max(2 * max_change, 0.01)
    k = math.floor(math.log10(target))
    for step in (1, 2, 5, 10):
        if step * 10**k >= target * (1 - 1e-9):
            return float(f"{step * 10**k:.10g}")
    raise AssertionError("unreachable")


def write_tolerances(rows: list[dict]) -> None:
    """Set {"atol": proposed_atol(change)} on each failing cell that differs only in numbers."""
    by_notebook: dict[str, list[dict]] = {}
    for row in rows:
        if not row["passes"] and not row["flips"]:
            by_notebook.setdefault(row["notebook"], []).append(row)
    for name, todo in by_notebook.items():
        import nbformat

        path = ROOT / "notebooks" / name
        nb = nbformat.read(path, as_version=4)
        for row in todo:
            old = nb.cells[row["cell"]].metadata.get("tolerance", {})
            new = {**old, "atol": max(proposed_atol(row["abs"]), old.get("atol", 0.0))}
            if row["int_rel"]:  # integers that moved (step counts): a relative tolerance for them alone
                new["int_rtol"] = max(proposed_atol(row["int_rel"]), old.get("int_rtol", 0.0))
            nb.cells[row["cell"]].metadata["tolerance"] = new
        nbformat.write(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="folders of executed copies of the notebooks")
    parser.add_argument("--pair", nargs=2, type=Path, action="append", default=[], metavar=("NORMAL", "PERTURBED"),
                        help="two runs of one seed on the normal and a perturbed path (repeatable)")
    parser.add_argument("--seed-runs", nargs="+", type=Path, default=[], help="runs under other seeds (information)")
    parser.add_argument("--write", action="store_true", help="give failing cells a tolerance (see above)")
    args = parser.parse_args(argv)
    for folder in [*args.folders, *args.seed_runs, *(f for pair in args.pair for f in pair)]:
        if not folder.is_dir():
            parser.error(f"folders must be folders of executed notebooks, got {str(folder)!r}")
    failing = random_exact = 0
    rows_all = []
    print(f"{'notebook':40s} {'cell':>4s} {'max |d|':>9s} {'max rel':>8s} {'int rel':>8s} {'seeds |d|':>9s}  "
          f"{'tolerance':28s} result")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for row in spread(path, args.folders, tuple(args.seed_runs), tuple(map(tuple, args.pair))):
            rows_all.append(row)
            failing += not row["passes"]
            what = "ok" if row["passes"] else "FAILS"
            if row["tolerance"] is None and row["seed_abs"]:
                random_exact += 1
                what += "; random, exact"
            if row["flips"]:
                what += f" (text differs in {', '.join(row['flips'])})"
            if row["seed_flips"]:
                what += f" (text differs between seeds: {len(row['seed_flips'])} run(s))"
            if row["seed_ints"]:
                what += f" ({row['seed_ints']} integer(s) differ between seeds)"
            print(f"{row['notebook']:40s} {row['cell']:4d} {row['abs']:9.3g} {row['rel']:8.3g} {row['int_rel']:8.3g} "
                  f"{row['seed_abs']:9.3g}  "
                  f"{json.dumps(row['tolerance']) if row['tolerance'] else '-':28s} {what}")
    print(f"{failing} cell(s) would fail; {random_exact} cell(s) move with the seed but are compared exactly")
    if args.write:
        write_tolerances(rows_all)
        print("tolerances written; rerun without --write to check")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
