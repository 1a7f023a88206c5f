"""Render every executed notebook to a static HTML edition, for reading without a kernel.

    python tools/build_html.py            # writes site/ (ignored by git)
    python tools/build_html.py --out DIR

Figures are embedded in the pages (data URIs), links between notebooks are rewritten to the
HTML pages, links to README.md point at the edition's index page, and helpers.py is copied
next to the pages so links to it resolve.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# href="relative/path.ipynb#anchor" -> .html; absolute URLs and pure anchors are left alone
_IPYNB_HREF = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|#)([^"#?]*?)\.ipynb((?:#[^"]*)?)"')
_README_HREF = re.compile(r'href="(?![a-z][a-z0-9+.-]*:)((?:\.\./)*)README\.md((?:#[^"]*)?)"')


def rewrite_links(page: str) -> str:
    """Point notebook links at their HTML pages and README links at the index page."""
    page = _IPYNB_HREF.sub(r'href="\1.html\2"', page)
    return _README_HREF.sub(r'href="\1index.html"', page)


def notebook_title(path: Path) -> str:
    """The text of the notebook's first H1 heading, or its file name."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def build(out: Path, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write out/index.html, out/notebooks/*.html and out/helpers.py; return the page paths."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.embed_images = True
    pages_dir = out / "notebooks"
    pages_dir.mkdir(parents=True, exist_ok=True)
    pages, items = [], []
    for nb_path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        body, _ = exporter.from_filename(str(nb_path))
        page = pages_dir / (nb_path.stem + ".html")
        page.write_text(rewrite_links(body), encoding="utf-8")
        pages.append(page)
        title = html.escape(notebook_title(nb_path))
        items.append(f'<li><a href="notebooks/{page.name}">{title}</a></li>')
    shutil.copy2(ROOT / "helpers.py", out / "helpers.py")
    index = out / "index.html"
    index.write_text(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Positional encodings in Transformers</title></head><body>\n"
        "<h1>Positional encodings in Transformers, tested</h1>\n"
        "<p>The executed notebooks of the series, rendered for reading without a kernel. "
        'Shared code: <a href="helpers.py">helpers.py</a>.</p>\n<ol>\n'
        + "\n".join(items)
        + "\n</ol>\n</body></html>\n",
        encoding="utf-8",
    )
    return [index, *pages]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    pages = build(args.out)
    print(f"wrote {len(pages)} pages to {args.out}")


if __name__ == "__main__":
    main()
