"""``poolab plan ...``: operating characteristics, optimiser, curves."""

from __future__ import annotations

import click


@click.group()
def plan() -> None:
    """Plan a pooling design: operating characteristics, optimum, curves."""
