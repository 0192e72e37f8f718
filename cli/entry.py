"""The ``poolab`` console script: the cyclic collector is off (``poolab_cli.collector``)
before Click and the rest are imported, then ``poolab_cli.main`` runs the command."""

from __future__ import annotations

from .collector import pause_collector


def main() -> object:
    """Console-script entry point."""
    pause_collector()
    from .main import main as run

    return run()
