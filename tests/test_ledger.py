"""The claims ledger of notebooks/01_answer.ipynb agrees with the claim notebooks' VERDICT lines.

Both sides are read from committed outputs. Strict nbval already checks that those outputs match a
fresh run, so together the two tests tie the ledger to what the experiments measure today.
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
    assert number_cell.split(":")[0].strip() == v["number"], (
        f"({claim}): ledger number {number_cell!r}, {v['notebook']} printed {v['number']!r}"
    )
    assert f"]({v['notebook']})" in link_cell, f"({claim}): ledger should link {v['notebook']}, got {link_cell!r}"

