"""Options the planning commands share (``plan ...`` and ``simulate``), in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def accuracy_options(fn: F) -> F:
    """``--prevalence``, ``--se``, ``--sp`` (one value, or one per stage as a comma list)."""
    fn = click.option(
        "--sp", default="1", show_default=True, metavar="S[,S...]", help="Specificity: one value, or one per stage."
    )(fn)
    fn = click.option(
        "--se",
        default="1",
        show_default=True,
        metavar="S[,S...]",
        help="Sensitivity: one value, or one per stage (comma list, first stage first).",
    )(fn)
    return click.option(
        "--prevalence",
        "-p",
        type=float,
        required=True,
        help="Prevalence: the share of people infected, strictly between 0 and 1.",
    )(fn)


def dilution_options(default: bool = False, sense: str = "one positive in K shifts Ct by log2 K") -> Callable[[F], F]:
    """``--dilution/--no-dilution`` and the Ct model's values."""

    def decorate(fn: F) -> F:
        fn = click.option(
            "--limit-ct",
            type=float,
            default=None,
            help="Ct (cycles, 0-50) above which the assay sees nothing (default 38); with --dilution.",
        )(fn)
        fn = click.option(
            "--ct-sd",
            type=float,
            default=None,
            help="SD of positives' Ct (cycles, 0-25; default 7.6); with --dilution.",
        )(fn)
        fn = click.option(
            "--ct-mean",
            type=float,
            default=None,
            help="Mean Ct of positives (cycles, 0-50; default 27.2); with --dilution.",
        )(fn)
        return click.option(
            "--dilution/--no-dilution",
            default=default,
            show_default=True,
            help=f"Let sensitivity fall with pool size: {sense}.",
        )(fn)

    return decorate


def residents_option(required: bool, help_text: str) -> Callable[[F], F]:
    """``--residents/-n N``."""
    return click.option("--residents", "-n", type=int, required=required, default=None, help=help_text)


def leftovers_option(fn: F) -> F:
    """``--leftovers`` for array designs whose last square is partial."""
    return click.option(
        "--leftovers",
        type=click.Choice(["rectangle", "dorfman", "individual"]),
        default=None,
        help="Arrays: how the people after the last full square are tested (default: the cheapest at --prevalence).",
    )(fn)


def json_option(fn: F) -> F:
    """``--json``: one JSON object instead of a table."""
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")(fn)
