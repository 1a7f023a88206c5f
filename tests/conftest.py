"""Shared pytest fixtures."""

import importlib.util
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture(scope="session")
def load_tool():
    """Import a script from tools/ by name (tools/ is not a package): load_tool("build_html")."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
