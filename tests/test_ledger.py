"""The claims ledger of the answer notebook shows the verdicts the claim notebooks measured."""

import json
import re
from pathlib import Path

import helpers

ROOT = Path(__file__).resolve().parent.parent
ANSWER = ROOT / "notebooks" / "01_answer.ipynb"
CLAIMS = "abcdef"


def _ledger_rows() -> dict:
    """Claim letter -> the ledger row, from the committed outputs of the answer notebook."""
    nb = json.loads(ANSWER.read_text(encoding="utf-8"))
    rows = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            text = "".join(out.get("data", {}).get("text/markdown", []))
            for line in text.splitlines():
                m = re.match(r"^\| \(([a-f])\) \|", line)
                if m:
                    rows[m.group(1)] = line
    return rows


def test_every_claim_has_a_verdict_line():
    verdicts = helpers.read_verdicts(ROOT / "notebooks")
    assert sorted(verdicts) == list(CLAIMS)
    assert all(v["verdict"] in helpers.VERDICT_WORDS for v in verdicts.values())


def test_ledger_matches_the_claim_notebooks():
    verdicts = helpers.read_verdicts(ROOT / "notebooks")
    rows = _ledger_rows()
    assert sorted(rows) == list(CLAIMS), f"ledger rows found for {sorted(rows)}"
    for claim, v in verdicts.items():
        cells = [c.strip() for c in rows[claim].strip("|").split("|")]
        assert f"(`{v['verdict']}`)" in cells[2], f"claim {claim}: ledger verdict {cells[2]!r}, measured {v['verdict']}"
        assert cells[3].startswith(v["number"] + ":"), f"claim {claim}: ledger number {cells[3]!r}, measured {v['number']}"
        assert f"({v['notebook']})" in cells[4], f"claim {claim}: ledger links {cells[4]!r}, measured in {v['notebook']}"


def test_read_verdicts_rejects_a_duplicate(tmp_path):
    out = {"output_type": "stream", "name": "stdout", "text": ["VERDICT a partly 0.5\n"]}
    nb = {"cells": [{"cell_type": "code", "source": [], "outputs": [out]}]}
    for name in ("02_x.ipynb", "03_y.ipynb"):
        (tmp_path / name).write_text(json.dumps(nb))
    try:
        helpers.read_verdicts(tmp_path)
    except ValueError as e:
        assert "two VERDICT lines" in str(e)
    else:
        raise AssertionError("a claim printed twice was accepted")
