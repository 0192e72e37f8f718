"""The wheel's package list matches the tree, and the front end installs as ``poolab_cli``."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


def _setuptools_config() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]


def test_every_library_package_is_listed() -> None:
    """A new folder under poolab/ must be added to pyproject's package list, or the wheel lacks it."""
    listed = set(_setuptools_config()["packages"])  # type: ignore[call-overload]
    assert set(find_packages(str(ROOT), include=["poolab", "poolab.*"])) == listed - {"poolab_cli"}


def test_front_end_installs_as_poolab_cli() -> None:
    """cli/ is installed as poolab_cli (no top-level ``cli`` package) and the console script points there."""
    import poolab_cli.main

    assert {"poolab_cli": "cli"} == _setuptools_config()["package-dir"]
    assert Path(poolab_cli.main.__file__).resolve().parent == ROOT / "cli"
    with open(ROOT / "pyproject.toml", "rb") as f:
        assert "poolab_cli.entry:main" == tomllib.load(f)["project"]["scripts"]["poolab"]
