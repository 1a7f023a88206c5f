"""Every relative link in the README and the notebooks resolves; the HTML edition is complete."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MD_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r'(?:href|src)="([^"]+)"')


def _is_relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")


def _markdown_texts(nb_path: Path):
    """Markdown cell sources and rendered Markdown outputs of a notebook."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            yield "".join(cell["source"])
        for out in cell.get("outputs", []):
            md = out.get("data", {}).get("text/markdown")
            if md:
                yield "".join(md)


def _relative_targets(text: str):
    for target in MD_LINK.findall(text) + HTML_LINK.findall(text):
        if _is_relative(target):
            yield target.split("#")[0]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("doc", [ROOT / "README.md", *NOTEBOOKS], ids=lambda p: p.name)
def test_relative_links_resolve(doc):
    texts = [doc.read_text(encoding="utf-8")] if doc.suffix == ".md" else list(_markdown_texts(doc))
    broken = sorted(
        {t for text in texts for t in _relative_targets(text) if t and not (doc.parent / t).exists()}
    )
    assert not broken, f"{doc.name} links to missing files: {broken}"


def test_readme_lists_every_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [nb.name for nb in NOTEBOOKS if f"notebooks/{nb.name}" not in readme]
    assert not missing, f"README's notebook table lacks {missing}"


def test_html_edition_pages_links_and_figures(tmp_path, load_tool):
    builder = load_tool("build_html")
    pages = builder.build(tmp_path)
    assert (tmp_path / "index.html") in pages
    for nb in NOTEBOOKS:
        page = tmp_path / "notebooks" / (nb.stem + ".html")
        assert page.exists(), f"no page for {nb.name}"
        text = page.read_text(encoding="utf-8")
        committed_figures = sum(
            "image/png" in out.get("data", {})
            for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]
            for out in cell.get("outputs", [])
        )
        assert text.count('src="data:image/png;base64,') == committed_figures, nb.name
    for page in pages:
        for target in HTML_LINK.findall(page.read_text(encoding="utf-8")):
            if _is_relative(target):
                path = target.split("#")[0]
                assert not path.endswith(".ipynb"), f"{page.name} still links to a notebook: {target}"
                assert (page.parent / path).exists(), f"{page.name}: broken link {target}"
