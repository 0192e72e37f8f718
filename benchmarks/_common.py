"""Shared helpers for the benchmark scripts: timing, machine description, tables."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(wall seconds, return value) of one call."""
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or what platform knows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_lines() -> list[str]:
    """One line each: cores, CPU, Python and library versions, load average."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return [
        f"cores (nproc): {os.cpu_count()}",
        f"CPU: {cpu_model()}",
        f"OS: {platform.platform()}",
        f"Python {platform.python_version()} ({sys.executable})",
        "numba {}, numpy {}, sqlalchemy {}, sqlmodel {}, click {}; SQLite {}".format(
            _version("numba"),
            _version("numpy"),
            _version("sqlalchemy"),
            _version("sqlmodel"),
            _version("click"),
            __import__("sqlite3").sqlite_version,
        ),
        "load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*load),
    ]


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, markdown: bool = False) -> str:
    """A plain aligned table, or a GitHub markdown table. First column left-aligned."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    out = []
    for r in [header, *rows]:
        cells = [str(r[0]).ljust(widths[0])] + [str(c).rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        out.append("  ".join(cells))
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def print_report(title: str, header: Sequence[str], table: Sequence[Sequence[str]], *, markdown: bool) -> None:
    """A benchmark's table: title, aligned table, machine lines, and the same table as
    markdown when asked (for RESULTS.md)."""
    print(title)
    print(format_table(header, table))
    for line in machine_lines():
        print(f"# {line}")
    if markdown:
        print()
        print(format_table(header, table, markdown=True))
