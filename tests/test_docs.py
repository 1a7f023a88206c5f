"""The CI guide shows exactly the commands CI runs, and the GitHub workflow runs them too."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "notebook-ci.md"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


@pytest.fixture(scope="module")
def ci_commands(load_tool) -> list[str]:
    return load_tool("readme_ci").all_commands()


def _bash_commands(markdown: str) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", markdown, re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_ci_runs_the_readme_blocks(ci_commands):
    cmds = ci_commands
    assert "pytest" in cmds and "pip install -r requirements.txt" in cmds
    assert "POSENC_SEED=1 pytest --nbval-lax notebooks/" in cmds
    assert "pytest -m browser tests/test_browser.py" in cmds


def test_guide_shows_every_ci_command_and_nothing_else(ci_commands):
    shown = _bash_commands(GUIDE.read_text(encoding="utf-8"))
    ci = ci_commands
    assert [c for c in shown if c not in ci] == [], "the guide shows commands CI does not run"
    assert [c for c in ci if c not in shown] == [], "CI runs commands the guide does not show"


def test_workflow_runs_every_ci_command(ci_commands):
    runs = [m.strip() for m in re.findall(r"^\s*run: (.+)$", WORKFLOW.read_text(encoding="utf-8"), re.M)]
    missing = [c for c in ci_commands if not any(r == c or r.startswith(c + " ") for r in runs)]
    assert not missing, f"{WORKFLOW.name} never runs {missing}"
