"""The claims ledger of notebooks/01_answer.ipynb agrees with the claim notebooks' VERDICT lines.

Both sides are read from committed outputs. Strict nbval already checks that those outputs match a
fresh run (verdict words exactly, trained numbers within their cell's tolerance), so together the two
tests tie the ledger to what the experiments measure today. The ledger's number must match the VERDICT
line within that same tolerance, so a claim notebook re-executed on another CPU does not force 01 to be.
"""

import json
import re
from pathlib import Path

import pytest

import helpers

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ANSWER = NOTEBOOKS / "01_answer.ipynb"
CLAIMS = "abcdef"


def ledger_rows() -> dict[str, list[str]]:
    """{claim letter: the cells of its ledger row} from the answer notebook's committed outputs."""
    rows: dict[str, list[str]] = {}
    for cell in json.loads(ANSWER.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            text = "".join(out.get("data", {}).get("text/markdown", []))
            for line in text.splitlines():
                match = re.match(r"^\| \(([a-z])\) \|", line)
                if match:
                    assert match.group(1) not in rows, f"two ledger rows for claim ({match.group(1)})"
                    rows[match.group(1)] = [c.strip() for c in line.strip().strip("|").split(" | ")]
    return rows


def verdict_tolerance(notebook: str, claim: str) -> tuple[float, float]:
    """(atol, rtol) of the cell that prints claim's VERDICT line; (0, 0) if it is compared exactly.

    The verdict word must match exactly; the number, which comes out of training for most claims, within
    the tolerance that strict nbval also applies to that cell (conftest.py)."""
    for cell in json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]:
        text = "".join("".join(out.get("text", [])) for out in cell.get("outputs", []))
        if re.search(rf"^VERDICT {claim} ", text, re.M):
            tol = cell.get("metadata", {}).get("tolerance", {})
            return float(tol.get("atol", 0.0)), float(tol.get("rtol", 0.0))
    raise AssertionError(f"{notebook} prints no VERDICT line for claim ({claim})")


@pytest.fixture(scope="module")
def verdicts():
    return helpers.read_verdicts(NOTEBOOKS)


@pytest.fixture(scope="module")
def rows():
    return ledger_rows()


def test_every_claim_has_a_verdict_and_a_row(verdicts, rows):
    assert sorted(verdicts) == list(CLAIMS), f"claim notebooks printed verdicts for {sorted(verdicts)}"
    assert sorted(rows) == list(CLAIMS), f"the ledger has rows for {sorted(rows)}"


@pytest.mark.parametrize("claim", list(CLAIMS))
def test_ledger_row_matches_verdict_line(claim, verdicts, rows):
    v, row = verdicts[claim], rows[claim]
    assert len(row) == 6, f"ledger row ({claim}) should have 6 columns, got {row}"
    _, _, verdict_cell, number_cell, link_cell, _ = row
    assert f"(`{v['verdict']}`)" in verdict_cell, (
        f"({claim}): ledger says {verdict_cell!r}, {v['notebook']} says {v['verdict']!r}"
    )
    atol, rtol = verdict_tolerance(v["notebook"], claim)
    shown = float(number_cell.split(":")[0].strip())
    assert abs(shown - float(v["number"])) <= atol + rtol * abs(float(v["number"])), (
        f"({claim}): ledger number {number_cell!r}, {v['notebook']} printed {v['number']!r} "
        f"(tolerance atol={atol}, rtol={rtol})"
    )
    assert f"]({v['notebook']})" in link_cell, f"({claim}): ledger should link {v['notebook']}, got {link_cell!r}"

