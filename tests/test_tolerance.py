"""The tolerant comparison of trained numbers (conftest.py): unit tests, committed cells moved just past
their tolerance, and one end-to-end run of nbval on a small notebook."""

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_numbers_within_tolerance_match(tolerant):
    match = tolerant["match"]
    assert match("acc 0.950 loss 0.010", "acc 0.949 loss 0.015", atol=0.01, rtol=0.0)
    assert not match("acc 0.950 loss 0.010", "acc 0.930 loss 0.010", atol=0.01, rtol=0.0)
    assert match("ratio 100.0", "ratio 104.9", atol=0.0, rtol=0.05)
    assert not match("ratio 100.0", "ratio 105.1", atol=0.0, rtol=0.05)


def test_text_between_numbers_must_match_exactly(tolerant):
    match = tolerant["match"]
    assert not match("VERDICT a partly 0.70", "VERDICT a supported 0.70", atol=1.0, rtol=1.0)
    assert not match("layer 4: collapsed", "layer 4: 0.03", atol=1.0, rtol=1.0)
    assert not match("0.1 0.2", "0.1 0.2 0.3", atol=1.0, rtol=1.0)
    # a column that gains a minus sign only changes its padding
    assert match("x    0.01 |", "x   -0.01 |", atol=0.05, rtol=0.0)


def test_integers_stay_exact_below_one(tolerant):
    assert not tolerant["match"]("steps 250", "steps 251", atol=0.5, rtol=0.0)
    assert tolerant["match"]("steps 250", "steps 250", atol=0.0, rtol=0.0)


def test_int_rtol_loosens_integers_alone(tolerant):
    match = tolerant["match"]
    assert match("step 100, acc 0.950", "step 108, acc 0.955", atol=0.01, rtol=0.0, int_rtol=0.1)
    assert not match("step 100, acc 0.950", "step 112, acc 0.950", atol=0.01, rtol=0.0, int_rtol=0.1)
    assert not match("step 100, acc 0.950", "step 100, acc 0.990", atol=0.01, rtol=0.0, int_rtol=0.1)
    assert not match("seed 0", "seed 1", atol=0.01, rtol=0.0, int_rtol=0.5)  # a label of 0 stays exact
    assert not match("step 100", "step 100.5", atol=0.01, rtol=0.0, int_rtol=0.1)  # not an integer on both sides


def test_nan_matches_only_nan(tolerant):
    assert tolerant["match"]("mean nan", "mean nan", atol=0.1, rtol=0.0)
    assert not tolerant["match"]("mean nan", "mean 0.0", atol=0.1, rtol=0.0)


def tolerant_cells():
    """(notebook, cell index, atol, rtol, committed text) for every committed text output with a tolerance."""
    found = []
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            tol = cell.get("metadata", {}).get("tolerance")
            if not tol:
                continue
            for out in cell.get("outputs", []):
                texts = [out.get("text")] + [v for k, v in out.get("data", {}).items() if not k.startswith("image/")]
                for text in texts:
                    text = "".join(text) if isinstance(text, list) else text
                    if text and re.search(r"\d\.\d", text):
                        found.append((path.name, i, tol.get("atol", 0.0), tol.get("rtol", 0.0), text))
    return found


def test_committed_notebooks_state_tolerances():
    assert tolerant_cells(), "no committed cell carries a tolerance: trained numbers would be compared exactly"


@pytest.mark.parametrize("name, cell, atol, rtol, text", tolerant_cells(), ids=lambda v: str(v)[:30])
def test_committed_number_moved_past_its_tolerance_fails(tolerant, name, cell, atol, rtol, text):
    match = tolerant["match"]
    m = re.search(r"(?<![\d.])(\d+\.\d+)", text)  # the first decimal number the cell shows
    value = float(m.group(1))
    allowed = atol + rtol * abs(value)
    decimals = len(m.group(1).split(".")[1])

    def moved(by: float) -> str:
        return text[: m.start(1)] + f"{value + by:.{decimals + 3}f}" + text[m.end(1):]

    assert match(text, moved(0.9 * allowed), atol, rtol), f"{name} cell {cell}: a move within tolerance failed"
    assert not match(text, moved(1.1 * allowed + 10 ** -(decimals + 3)), atol, rtol), (
        f"{name} cell {cell}: a move past its tolerance {allowed:g} still matched"
    )


def integer_tolerant_cells():
    found = []
    for path in NOTEBOOKS:
        for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            tol = cell.get("metadata", {}).get("tolerance") or {}
            if tol.get("int_rtol"):
                for out in cell.get("outputs", []):
                    text = "".join(out.get("text", [])) or "".join((out.get("data") or {}).get("text/markdown", []))
                    if re.search(r"(?<![\d.])\d{2,}(?![\d.])", text):
                        found.append((path.name, i, tol.get("atol", 0.0), tol.get("rtol", 0.0), tol["int_rtol"], text))
    return found


@pytest.mark.parametrize("name, cell, atol, rtol, int_rtol, text", integer_tolerant_cells(), ids=lambda v: str(v)[:30])
def test_committed_count_moved_past_its_tolerance_fails(tolerant, name, cell, atol, rtol, int_rtol, text):
    match = tolerant["match"]
    m = max(re.finditer(r"(?<![\d.])\d{2,}(?![\d.])", text), key=lambda m: int(m.group()))  # the largest count
    value = int(m.group())
    allowed = atol + (rtol + int_rtol) * value

    def moved(by: int) -> str:
        return text[: m.start()] + str(value + by) + text[m.end():]

    assert match(text, moved(int(0.9 * allowed)), atol, rtol, int_rtol), f"{name} cell {cell}: a move within failed"
    assert not match(text, moved(int(1.1 * allowed) + 1), atol, rtol, int_rtol), (
        f"{name} cell {cell}: a count moved past its tolerance {allowed:g} still matched"
    )


def _notebook(committed: str, atol: float) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell('print("accuracy 0.950")', execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=committed)]
    cell.metadata["tolerance"] = {"atol": atol}
    nb.cells = [cell]
    return nb


@pytest.mark.parametrize("committed, atol, passes", [
    ("accuracy 0.960\n", 0.011, True),    # fresh 0.950 is within 0.011 of the committed 0.960
    ("accuracy 0.970\n", 0.011, False),   # fresh 0.950 is 0.020 away
    ("accuracy 0.950!\n", 1.0, False),    # text differs
])
def test_nbval_uses_the_tolerance_end_to_end(pytester, committed, atol, passes):
    nbformat.write(_notebook(committed, atol), pytester.path / "t.ipynb")
    pytester.makeconftest((ROOT / "conftest.py").read_text(encoding="utf-8"))
    result = pytester.runpytest_subprocess("--nbval", "--nbval-current-env", "-p", "no:cacheprovider", "t.ipynb")
    result.assert_outcomes(passed=1 if passes else 0, failed=0 if passes else 1)


def test_proposed_tolerance_is_twice_the_spread_rounded_up(load_tool):
    spread = load_tool("output_spread")
    assert [spread.proposed_atol(x) for x in (0.0, 0.004, 0.006, 0.04, 0.07, 0.3)] == [0.01, 0.01, 0.02, 0.1, 0.2, 1.0]


def _executed(path: Path, text: str, tolerance=None) -> Path:
    cell = nbformat.v4.new_code_cell("print('x')", outputs=[nbformat.v4.new_output("stream", name="stdout", text=text)])
    if tolerance:
        cell.metadata["tolerance"] = tolerance
    path.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path / "99_t.ipynb")
    return path / "99_t.ipynb"


@pytest.mark.parametrize("tolerance, normal, perturbed, passes", [
    ({"atol": 0.01}, "acc 0.950\n", "acc 0.955\n", True),
    ({"atol": 0.01}, "acc 0.950\n", "acc 0.970\n", False),  # at this seed the float path moves it further
    (None, "acc 0.950\n", "acc 0.955\n", False),  # exact at seed 0, but not at this seed
    ({"atol": 1.0}, "acc 0.950\n", "acc collapsed\n", False),  # text flips: no tolerance helps
])
def test_output_spread_compares_each_seed_across_float_paths(load_tool, tmp_path, tolerance, normal, perturbed,
                                                              passes):
    spread = load_tool("output_spread")
    committed = _executed(tmp_path / "committed", "acc 0.900\n", tolerance)  # seed 0: not part of the pair
    pair = (_executed(tmp_path / "seed3-normal", normal).parent,
            _executed(tmp_path / "seed3-perturbed", perturbed).parent)
    [row] = spread.spread(committed, [], (), (pair,))
    assert row["passes"] is passes


def test_output_spread_measures_moved_counts_relatively(load_tool, tmp_path):
    spread = load_tool("output_spread")
    committed = _executed(tmp_path / "committed", "peak at step 200, acc 0.950\n", {"atol": 0.01})
    fresh = _executed(tmp_path / "perturbed", "peak at step 190, acc 0.951\n").parent
    [row] = spread.spread(committed, [fresh])
    assert (row["abs"], row["int_rel"], row["passes"]) == (pytest.approx(0.001), pytest.approx(0.05), False)
    assert spread.proposed_atol(row["int_rel"]) == 0.1  # what --write gives as int_rtol


def test_output_spread_lists_cells_that_move_with_the_seed(load_tool, tmp_path):
    spread = load_tool("output_spread")
    committed = _executed(tmp_path / "committed", "seed 0: acc 0.950\n")
    _executed(tmp_path / "seed1", "seed 1: acc 0.940\n")  # the label is an integer: counted apart
    _executed(tmp_path / "seed2", "seed 2: acc collapsed\n")
    [row] = spread.spread(committed, [], (tmp_path / "seed1", tmp_path / "seed2"))
    assert (row["seed_ints"], row["seed_abs"], row["seed_flips"], row["passes"]) == (1, pytest.approx(0.01),
                                                                                  ["seed2"], True)


def test_perturbation_moves_to_a_narrower_vector_path(load_tool, monkeypatch):
    import torch

    perturbed = load_tool("perturbed")
    for capability, expected in (("AVX512", "avx2"), ("AVX2", "default"), ("DEFAULT", "default")):
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda c=capability: c)
        env = perturbed.perturbation()
        assert env == {"ATEN_CPU_CAPABILITY": expected, "MKL_CBWR": "COMPATIBLE", "POSENC_THREADS": "2",
                       "POSENC_CHECKPOINTS": "off"}
