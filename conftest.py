"""Tolerant comparison of trained numbers in notebook outputs, for nbval.

Strict nbval compares every output character by character. That is right for what is deterministic
(shapes, closed forms, FLOP counts, error messages) and wrong for numbers that come out of training or
out of float32 random draws: another CPU type or thread count trains a slightly different model.

A code cell whose metadata holds ``"tolerance": {"atol": A, "rtol": R}`` is compared with
``tolerant_match`` instead: every piece of text between numbers must match exactly (whitespace runs
count as one space, so a column that gains a minus sign still matches), the cell must print the same
count of numbers, and each number may differ from the committed one by at most ``A + R * |committed|``.
Integers fall under the same rule, so with A < 1 a seed label or a layer index stays exact. An
integer that comes out of training (a step count) may also get ``"int_rtol": I``: integers, and only
they, may then move by ``I * |committed|`` more, without loosening the cell's other numbers.
Cells without that metadata keep strict nbval's exact comparison. docs/notebook-ci.md explains the
scheme and how each tolerance was measured.
"""

from __future__ import annotations

import copy
import math
import re

import pytest

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
INTEGER = re.compile(r"[-+]?\d+")
SPACES = re.compile(r"\s+")


def _tolerance(metadata) -> tuple[float, float, float] | None:
    """(atol, rtol, int_rtol) from a cell's metadata, or None for an exactly compared cell."""
    tol = metadata.get("tolerance") if metadata else None
    if tol is None:
        return None
    if not isinstance(tol, dict) or set(tol) - {"atol", "rtol", "int_rtol"} or not tol:
        raise ValueError(f"cell metadata 'tolerance' must be a dict with keys atol, rtol and/or int_rtol, got {tol!r}")
    atol, rtol, int_rtol = (float(tol.get(key, 0.0)) for key in ("atol", "rtol", "int_rtol"))
    if atol < 0 or rtol < 0 or int_rtol < 0:
        raise ValueError(f"tolerance must be >= 0, got atol={atol}, rtol={rtol}, int_rtol={int_rtol}")
    return atol, rtol, int_rtol


def number_diffs(ref: str, test: str) -> list[tuple[float, float]] | None:
    """Pairs (committed, fresh) of the numbers in two texts, or None if the texts differ elsewhere."""
    ref_parts, test_parts = NUMBER.split(ref), NUMBER.split(test)
    if len(ref_parts) != len(test_parts):
        return None
    if any(SPACES.sub(" ", a) != SPACES.sub(" ", b) for a, b in zip(ref_parts, test_parts, strict=True)):
        return None
    return [(float(a), float(b)) for a, b in zip(NUMBER.findall(ref), NUMBER.findall(test), strict=True)]


def tolerant_match(ref: str, test: str, atol: float, rtol: float, int_rtol: float = 0.0) -> bool:
    """True if ``test`` equals ``ref`` except for numbers within atol + rtol * |committed| of it
    (plus int_rtol * |committed| for a number written as an integer on both sides)."""
    if ref == test:
        return True
    pairs = number_diffs(ref, test)
    if pairs is None:
        return False
    for (a, b), (ra, tb) in zip(pairs, zip(NUMBER.findall(ref), NUMBER.findall(test), strict=True), strict=True):
        extra = int_rtol * abs(a) if INTEGER.fullmatch(ra) and INTEGER.fullmatch(tb) else 0.0
        if math.isnan(a) or math.isnan(b):
            if not (math.isnan(a) and math.isnan(b)):
                return False
        elif abs(a - b) > atol + rtol * abs(a) + extra:
            return False
    return True


def _text(value) -> str | None:
    if isinstance(value, list):
        value = "".join(value)
    return value if isinstance(value, str) else None


def align_within_tolerance(ref_outputs, test_outputs, atol: float, rtol: float, int_rtol: float = 0.0):
    """Copy of ``test_outputs`` in which each text that matches its committed text within the
    tolerance is replaced by the committed text, so that nbval's exact comparison then passes for it
    and still reports every output that does not match."""
    test = copy.deepcopy(test_outputs)  # nbval has coalesced the streams of both sides
    if len(ref_outputs) != len(test):
        return test
    for r, t in zip(ref_outputs, test, strict=True):
        if r.get("output_type") != t.get("output_type") or r.get("name") != t.get("name"):
            continue
        if "text" in r and "text" in t:
            rt, tt = _text(r["text"]), _text(t["text"])
            if rt is not None and tt is not None and tolerant_match(rt, tt, atol, rtol, int_rtol):
                t["text"] = r["text"]
        for key, value in (r.get("data") or {}).items():
            if key.startswith("image/"):
                continue
            tv = (t.get("data") or {}).get(key)
            rt, tt = _text(value), _text(tv)
            if rt is not None and tt is not None and tolerant_match(rt, tt, atol, rtol, int_rtol):
                t["data"][key] = value
    return test


def pytest_collection_modifyitems(session, config, items):
    """Route nbval's comparison of cells that carry a tolerance through ``align_within_tolerance``."""
    from nbval.plugin import IPyNbCell  # an ImportError here means nbval changed: fail loudly, never compare silently
    if getattr(IPyNbCell, "_posenc_tolerant", False):
        return
    exact = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        tol = _tolerance(self.cell.get("metadata"))
        if tol is not None:
            test = align_within_tolerance(ref, test, *tol)
        return exact(self, test, ref, skip_compare)

    IPyNbCell.compare_outputs = compare_outputs
    IPyNbCell._posenc_tolerant = True


@pytest.fixture
def tolerant():
    """The comparison functions above, for the unit tests in tests/test_tolerance.py."""
    return {"match": tolerant_match, "align": align_within_tolerance, "diffs": number_diffs}
