"""Helpers for workflow tests: run the CLI against a store, read CSVs back."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from poolab_cli.main import cli


def run(url: str, *args: str, input: str | bytes | None = None, operator: str = "tester") -> Result:
    """``poolab --db URL --operator tester ARGS`` through Click's test runner."""
    return CliRunner().invoke(cli, ["--db", url, "--operator", operator, *args], input=input, catch_exceptions=False)


def read_csv(path: Path | str) -> list[dict[str, str]]:
    """Rows of a CSV written by poolab."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_results(
    path: Path, rows: Sequence[Sequence[str]], header: str = "tube_barcode,result,ct_orf1ab,ct_n"
) -> Path:
    """A results CSV."""
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path
