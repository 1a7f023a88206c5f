"""The commands CI runs, read from the README's `<!-- ci: NAME -->` code blocks.

    python3 tools/readme_ci.py install     # prints the first command of that block
    python3 tools/readme_ci.py checks      # prints every command of that block, one per line

`.ci/run` takes its commands from here, so the README and CI cannot drift apart, and
tests/test_docs.py checks that every command the docs show is one of them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = ("install", "test", "dev-install", "checks")


def block_commands(name: str, readme: Path = ROOT / "README.md") -> list[str]:
    """The non-empty, non-comment lines of the code block after `<!-- ci: name -->`."""
    text = readme.read_text(encoding="utf-8")
    m = re.search(r"<!-- ci: " + re.escape(name) + r" -->\s*```[a-z]*\n(.*?)```", text, re.S)
    if not m:
        raise SystemExit(f"{readme.name} has no '<!-- ci: {name} -->' code block")
    lines = [line.strip() for line in m.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def all_commands() -> list[str]:
    """Every command `.ci/run` runs from the README, in order."""
    return [cmd for name in BLOCKS for cmd in block_commands(name)]


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in BLOCKS:
        raise SystemExit(f"usage: python3 tools/readme_ci.py {{{'|'.join(BLOCKS)}}}")
    cmds = block_commands(sys.argv[1])
    print("\n".join(cmds if sys.argv[1] == "checks" else cmds[:1]))
